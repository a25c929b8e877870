"""govnet: provision and monitor a provincial government dedicated data network (TSLCD).

This small package holds only what every other package shares: the error tree
(:mod:`govnet.errors`), well-known paths (:mod:`govnet.paths`) and the command line
(:mod:`govnet.cli`) that assembles each package's own sub-commands.
"""

__version__ = "0.1.0"
