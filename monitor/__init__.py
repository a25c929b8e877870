"""govnet's monitor package (see README)."""
