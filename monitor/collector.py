"""The collector: a scrape becomes device state — uptime, interfaces, LLDP neighbours, optical
levels and WiFi client counts.

Real agents are untidy, so the collector trusts rows, not counts: ``ifNumber`` may disagree
with the table (it is reported, not believed); without ifXTable it falls back to ``ifDescr`` for
names and to the 32-bit counters; a row missing a column still yields an interface. A device is
reachable when its agent answered; what a module lacked (sysUpTime included) is a warning on
that module, never a reachability verdict.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from govnet.monitor.scraper import Scrape, clean
from govnet.snmp import mibs
from govnet.snmp.ber import VarBind
from govnet.snmp.entity import Optic, parse_optics
from govnet.snmp.wireless import WifiClients, parse_wifi


@dataclass
class Interface:
    """One row of IF-MIB, merged with its ifXTable row."""

    if_index: int
    name: str
    alias: str
    descr: str
    admin_status: str
    oper_status: str
    speed_mbps: int | None
    in_octets: int | None
    out_octets: int | None
    counter_bits: int  # 64 with ifXTable HC counters, 32 otherwise
    in_errors: int | None = None
    out_errors: int | None = None
    in_discards: int | None = None
    out_discards: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The ``poll-once`` JSON form."""
        return {
            "ifIndex": self.if_index,
            "ifName": self.name,
            "ifAlias": self.alias,
            "ifDescr": self.descr,
            "oper_status": self.oper_status,
            "admin_status": self.admin_status,
            "speed_mbps": self.speed_mbps,
            "in_octets": self.in_octets,
            "out_octets": self.out_octets,
            "counter_bits": self.counter_bits,
            "in_errors": self.in_errors,
            "out_errors": self.out_errors,
            "in_discards": self.in_discards,
            "out_discards": self.out_discards,
        }


@dataclass
class DeviceState:
    """Everything one scrape says about a device."""

    host: str
    reachable: bool
    error: str | None = None
    sys_uptime: int | None = None
    sys_name: str | None = None
    if_number: int | None = None
    engine_id: bytes | None = None
    interfaces: list[Interface] = field(default_factory=list)
    lldp: list[mibs.LldpNeighbour] = field(default_factory=list)
    optics: list[Optic] = field(default_factory=list)
    wifi: WifiClients | None = None
    #: Everything worth a look, each prefixed by its module ("interfaces: ...").
    warnings: list[str] = field(default_factory=list)
    #: The same warnings by module: a module listed here is partial or missing.
    module_warnings: dict[str, list[str]] = field(default_factory=dict)

    def warn(self, module: str, text: str) -> None:
        """Note a warning on ``module``."""
        self.module_warnings.setdefault(module, []).append(text)
        self.warnings.append(f"{module}: {text}")

    def note(self) -> str | None:
        """One line for a poll record: the error, else the warnings, else None."""
        return self.error or ("; ".join(self.warnings) or None)

    def as_dict(self) -> dict[str, Any]:
        """The ``poll-once`` JSON form."""
        return {
            "host": self.host,
            "reachable": self.reachable,
            "error": self.error,
            "sys_uptime": self.sys_uptime,
            "sys_name": self.sys_name,
            "if_number": self.if_number,
            "engine_id": self.engine_id.hex() if self.engine_id else None,
            "interfaces": [i.as_dict() for i in self.interfaces],
            "lldp_neighbors": [n.as_dict() for n in self.lldp],
            "optics": [o.as_dict() for o in self.optics],
            "wifi_clients": self.wifi.as_dict() if self.wifi is not None else None,
            "warnings": self.warnings,
            "module_warnings": self.module_warnings,
        }


_int = mibs.integer
log = logging.getLogger("govnet.monitor.collector")


def collect(scrape: Scrape) -> DeviceState:
    """Turn one scrape into a :class:`DeviceState`.

    Never raises for what an agent answered: should reading it fail all the same (a fault of
    govnet's own), the device is reachable with that said in a warning, and nothing else read.
    """
    state = DeviceState(scrape.host, scrape.reachable, scrape.error)
    if not scrape.reachable:
        return state
    for module, texts in scrape.warnings.items():
        for text in texts:
            state.warn(module, text)
    try:
        _read(scrape, state)
    except Exception as exc:  # one device's answer must never stop the poller for the others
        log.exception("reading the answer of %s failed", scrape.host)
        failed = DeviceState(scrape.host, True, None, warnings=list(state.warnings))
        failed.module_warnings = {m: list(t) for m, t in state.module_warnings.items()}
        failed.warn("answer", clean(f"govnet could not read the answer ({type(exc).__name__}: {exc})"))
        return failed
    return state


def _read(scrape: Scrape, state: DeviceState) -> None:
    """The answer's facts into ``state`` (which holds the scrape's warnings already)."""
    uptime = scrape.scalars.get(mibs.SYS_UPTIME)
    state.sys_uptime = _int(uptime)
    if state.sys_uptime is None and "system" not in state.module_warnings:
        state.warn("system", "the agent answered without sysUpTime")
    name = scrape.scalars.get(mibs.SYS_NAME)
    state.sys_name = mibs.text(name.value) if name is not None and not name.is_exception else None
    state.if_number = _int(scrape.scalars.get(mibs.IF_NUMBER))
    engine = scrape.scalars.get(mibs.SNMP_ENGINE_ID)
    if engine is not None and isinstance(engine.value, bytes) and engine.value:
        state.engine_id = engine.value
    cols = {
        key: mibs.by_index(scrape.columns.get(oid, []), oid)
        for key, oid in {**mibs.IF_COLUMNS, **mibs.IFX_COLUMNS}.items()
    }
    indexes = sorted({int(i) for table in cols.values() for i in table if i.isdigit()})
    has_x = any(cols[k] for k in mibs.IFX_COLUMNS)
    if not has_x and indexes:
        state.warn("interfaces", "no ifXTable: names from ifDescr, 32-bit counters")
    for index in indexes:
        key = str(index)

        def get(column: str, key: str = key) -> VarBind | None:
            return cols[column].get(key)

        descr_vb, name_vb, alias_vb = get("ifDescr"), get("ifName"), get("ifAlias")
        descr = mibs.text(descr_vb.value) if descr_vb is not None else ""
        hc_in, hc_out = _int(get("ifHCInOctets")), _int(get("ifHCOutOctets"))
        high = _int(get("ifHighSpeed"))
        speed = high if high else (_int(get("ifSpeed")) or 0) // 1_000_000 or None
        state.interfaces.append(
            Interface(
                if_index=index,
                name=mibs.text(name_vb.value) if name_vb is not None else descr,
                alias=mibs.text(alias_vb.value) if alias_vb is not None else "",
                descr=descr,
                admin_status=mibs.IF_STATUS.get(_int(get("ifAdminStatus")) or 0, "unknown"),
                oper_status=mibs.IF_STATUS.get(_int(get("ifOperStatus")) or 0, "unknown"),
                speed_mbps=speed,
                in_octets=hc_in if hc_in is not None else _int(get("ifInOctets")),
                out_octets=hc_out if hc_out is not None else _int(get("ifOutOctets")),
                counter_bits=64 if hc_in is not None else 32,
                in_errors=_int(get("ifInErrors")),
                out_errors=_int(get("ifOutErrors")),
                in_discards=_int(get("ifInDiscards")),
                out_discards=_int(get("ifOutDiscards")),
            )
        )
    polled_interfaces = any(oid in scrape.columns for oid in mibs.IF_COLUMNS.values())
    if polled_interfaces and state.if_number is not None and state.if_number != len(indexes):
        state.warn("interfaces", f"ifNumber says {state.if_number}, the table has {len(indexes)} rows")
    state.lldp = mibs.parse_lldp(scrape.columns)
    state.optics = parse_optics(scrape.columns)
    state.wifi = parse_wifi(scrape.columns)
