"""Files the lab installs *on* its nodes (the node's own tools), not run by govnet itself."""
