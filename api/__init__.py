"""govnet's api package (see README)."""
