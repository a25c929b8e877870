"""Monitoring: SNMP polling split the way Prometheus' snmp_exporter is — :mod:`govnet.monitor.config`
(what to ask whom), :mod:`govnet.monitor.scraper` (the SNMP exchanges, with a fake for tests) and
:mod:`govnet.monitor.collector` (turning varbinds into device state) — then traps, store and alerting.
:mod:`govnet.monitor.discover` asks every device for its LLDP neighbours (the links it really has).
"""

if __name__ != "govnet.monitor":  # one import root: see scripts/restructure.py
    raise ImportError(f"{__name__} is installed as govnet.monitor: import it by that name")
