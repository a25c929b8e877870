"""govnet: provision and monitor a provincial government dedicated data network (TSLCD).

This small package holds only what every other package shares: the error tree
(:mod:`govnet.errors`), well-known paths (:mod:`govnet.paths`) and the command line
(:mod:`govnet.cli`) that assembles each package's own sub-commands.
"""

if __name__ != "govnet":  # one import root: see scripts/restructure.py
    raise ImportError(f"{__name__} is installed as govnet: import it by that name")


__version__ = "0.1.0"
