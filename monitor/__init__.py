"""Monitoring: SNMP polling split the way Prometheus' snmp_exporter is — :mod:`monitor.config`
(what to ask whom), :mod:`monitor.scraper` (the SNMP exchanges, with a fake for tests) and
:mod:`monitor.collector` (turning varbinds into device state) — then traps, store and alerting.
"""
