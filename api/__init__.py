"""govnet's api package (see README)."""

if __name__ != "govnet.api":  # one import root: see scripts/restructure.py
    raise ImportError(f"{__name__} is installed as govnet.api: import it by that name")
