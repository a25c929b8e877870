"""What one finished poll says beyond up/down: interface samples, threshold alerts, the stored detail.

The engine (:mod:`govnet.monitor.engine`) hands each reachable device's state and rates here and
writes what comes back: :func:`samples` for the series (and :func:`gauges` for a time-series
database: optical power, WiFi clients), :class:`PollAlerts` for the rules on
utilisation, errors and optical levels, :func:`device_detail` for the device's stored state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govnet.monitor.alerts import AlertChange, AlertEngine, Drop
from govnet.monitor.collector import DeviceState
from govnet.monitor.rates import Rates
from govnet.monitor.series import Gauge
from govnet.monitor.store import Sample
from govnet.snmp.entity import NO_LIGHT_DBM

#: (device, interface name) -> link id, for the ports the inventory links.
PortLinks = Mapping[tuple[str, str], str]


def rx_levels(state: DeviceState) -> dict[str, float]:
    """Receive power (dBm) by interface name, where a transceiver reports it (dark ones included:
    a level of "no light" is part of the fiber's history)."""
    names = {i.if_index: i.name for i in state.interfaces}
    return {
        names[o.if_index]: o.dbm
        for o in state.optics
        if o.direction == "rx" and o.dbm is not None and o.if_index in names
    }


def samples(
    device: str,
    rates: Mapping[str, Rates],
    links: PortLinks,
    at: float,
    rx: Mapping[str, float] | None = None,
) -> list[Sample]:
    """One sample per interface with rates, named by its link where it has one, with its receive
    power where ``rx`` (:func:`rx_levels`) has it."""
    levels = rx or {}
    return [
        Sample(
            at,
            device,
            name,
            links.get((device, name)),
            r.in_bps,
            r.out_bps,
            r.utilisation_pct,
            r.in_errors_ps,
            r.out_errors_ps,
            r.in_discards_ps,
            r.out_discards_ps,
            levels.get(name),
        )
        for name, r in rates.items()
    ]


def gauges(device: str, state: DeviceState, links: PortLinks, at: float) -> list[Gauge]:
    """The optical power of every transceiver (per port, and link where it has one) and the WiFi
    clients of an access point, as single-valued series (for the time-series database)."""
    names = {i.if_index: i.name for i in state.interfaces}
    out = []
    for optic in state.optics:
        if optic.dbm is None:
            continue
        port = names.get(optic.if_index or -1, optic.name)
        link = links.get((device, port))
        out.append(Gauge(at, "govnet_optical_power_dbm", device, optic.dbm, port, link, optic.direction))
    if state.wifi is not None:
        out.append(Gauge(at, "govnet_wifi_clients", device, float(state.wifi.total)))
    return out


class PollAlerts:
    """The threshold rules a poll feeds: utilisation and errors per port, optical levels per link end."""

    def __init__(self, alerts: AlertEngine, links: PortLinks) -> None:
        self.alerts, self.links = alerts, links
        self.optical_drop = Drop()

    def observe(
        self, device: str, state: DeviceState, rates: Mapping[str, Rates], at: float
    ) -> list[AlertChange]:
        """Every alert that rose or cleared with this poll of ``device``."""
        out: list[AlertChange] = []
        for name, r in rates.items():
            subject = self.links.get((device, name)) or f"{device}:{name}"
            if r.utilisation_pct is not None:
                out += self.alerts.observe("util_pct", subject, r.utilisation_pct, at)
            errors = [x for x in (r.in_errors_ps, r.out_errors_ps, r.in_discards_ps, r.out_discards_ps) if x]
            out += self.alerts.observe("error_ps", subject, sum(errors), at)
        return out + self.optical(device, state, at)

    def optical(self, device: str, state: DeviceState, at: float) -> list[AlertChange]:
        """Receive power under the transceiver's threshold, or falling: per link where known.

        Only on interfaces that are up and receiving light at all: a cut fiber's "no light" is the
        link's incident (the agent's interface table may still say up for a few seconds while
        its optics already read dark), and the NOC gets one alarm per fault, not a second one.
        """
        names = {i.if_index: i.name for i in state.interfaces}
        up = {i.if_index for i in state.interfaces if i.oper_status == "up"}
        out: list[AlertChange] = []
        for optic in state.optics:
            if optic.direction != "rx":
                continue
            port = names.get(optic.if_index or -1, optic.name)
            link_id = self.links.get((device, port))
            subject = f"{link_id}@{device}" if link_id else f"{device}:{port}"
            if optic.dbm is None or optic.dbm <= NO_LIGHT_DBM or optic.if_index not in up:
                out += self.alerts.withdraw("optical_dbm", subject, at)
                out += self.alerts.withdraw("optical_drop_db", subject, at)
                continue
            out += self.alerts.observe("optical_dbm", subject, optic.dbm, at, limit=optic.low_warning_dbm)
            drop = self.optical_drop.observe(subject, optic.dbm, at)
            # "falling" warns before "low"; once the level is low that alert says it all
            low = self.alerts.firing_on("optical_dbm", subject)
            out += self.alerts.observe("optical_drop_db", subject, 0.0 if low else drop, at)
        return out


def device_detail(state: DeviceState, polled_at: float | None, rates: Mapping[str, Rates]) -> dict[str, Any]:
    """A device's stored detail: uptime, error, interfaces, rates, optics, WiFi clients."""
    return {
        "sys_uptime": state.sys_uptime,
        "error": state.error,
        # what a monitor taking over needs to accept the device's SNMPv3 traps before polling it
        "engine_id": state.engine_id.hex() if state.engine_id else None,
        "polled_at": polled_at,
        "interfaces": [i.as_dict() for i in state.interfaces],
        "rates": {
            n: {
                "in_bps": r.in_bps,
                "out_bps": r.out_bps,
                "util_pct": r.utilisation_pct,
                "in_errors_ps": r.in_errors_ps,
                "out_errors_ps": r.out_errors_ps,
            }
            for n, r in rates.items()
        },
        "optics": [o.as_dict() for o in state.optics],
        "wifi_clients": state.wifi.total if state.wifi is not None else None,
    }
