"""govnet: provision and monitor a provincial government dedicated data network (TSLCD).

This small package holds only what every other package shares: the error tree
(:mod:`govnet.errors`), well-known paths (:mod:`govnet.paths`), the safety interlock
(:mod:`govnet.safety`) and the SNMP codec and client (:mod:`govnet.snmp`). The command line,
the top layer, is :mod:`govnet.cli` (folder ``cli/``).
"""

if __name__ != "govnet":  # one import root: see scripts/restructure.py
    raise ImportError(f"{__name__} is installed as govnet: import it by that name")


__version__ = "0.1.0"
