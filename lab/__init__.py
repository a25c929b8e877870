"""govnet's lab package (see README)."""
