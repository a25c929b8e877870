"""``python -m govnet.cli ...``: the ``govnet`` command."""

from govnet.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
