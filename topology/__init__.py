"""govnet's topology package (see README)."""
