"""govnet's tasks package (see README)."""
