"""Numeric OIDs govnet reads, and the small parsers shared by discovery and polling.

Debian ships no IF-MIB text and pysnmp 7 bundles none, so govnet works with numeric OIDs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from govnet.snmp.ber import VarBind

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
IF_NUMBER = "1.3.6.1.2.1.2.1.0"
#: SNMP-FRAMEWORK-MIB snmpEngineID: what a v3 trap's keys are localised to.
SNMP_ENGINE_ID = "1.3.6.1.6.3.10.2.1.1.0"

IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IF_COLUMNS = {
    "ifDescr": f"{IF_ENTRY}.2",
    "ifType": f"{IF_ENTRY}.3",
    "ifSpeed": f"{IF_ENTRY}.5",
    "ifAdminStatus": f"{IF_ENTRY}.7",
    "ifOperStatus": f"{IF_ENTRY}.8",
    "ifInOctets": f"{IF_ENTRY}.10",
    "ifInDiscards": f"{IF_ENTRY}.13",
    "ifInErrors": f"{IF_ENTRY}.14",
    "ifOutOctets": f"{IF_ENTRY}.16",
    "ifOutDiscards": f"{IF_ENTRY}.19",
    "ifOutErrors": f"{IF_ENTRY}.20",
}
IFX_ENTRY = "1.3.6.1.2.1.31.1.1.1"
IFX_COLUMNS = {
    "ifName": f"{IFX_ENTRY}.1",
    "ifHCInOctets": f"{IFX_ENTRY}.6",
    "ifHCOutOctets": f"{IFX_ENTRY}.10",
    "ifHighSpeed": f"{IFX_ENTRY}.15",
    "ifAlias": f"{IFX_ENTRY}.18",
}

LLDP_LOC_PORT_ID = "1.0.8802.1.1.2.1.3.7.1.3"
LLDP_LOC_PORT_DESC = "1.0.8802.1.1.2.1.3.7.1.4"
LLDP_REM_PORT_ID = "1.0.8802.1.1.2.1.4.1.1.7"
LLDP_REM_PORT_DESC = "1.0.8802.1.1.2.1.4.1.1.8"
LLDP_REM_SYS_NAME = "1.0.8802.1.1.2.1.4.1.1.9"
LLDP_COLUMNS = {
    "lldpLocPortId": LLDP_LOC_PORT_ID,
    "lldpLocPortDesc": LLDP_LOC_PORT_DESC,
    "lldpRemPortId": LLDP_REM_PORT_ID,
    "lldpRemPortDesc": LLDP_REM_PORT_DESC,
    "lldpRemSysName": LLDP_REM_SYS_NAME,
}

#: IF-MIB ifAdminStatus / ifOperStatus words.
IF_STATUS = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "notPresent",
    7: "lowerLayerDown",
}


def by_index(varbinds: Iterable[VarBind], column: str) -> dict[str, VarBind]:
    """Rows of one column keyed by the index after the column OID.

    >>> rows = by_index([VarBind("1.3.6.1.2.1.2.2.1.8.3", 2, 1)], "1.3.6.1.2.1.2.2.1.8")
    >>> rows["3"].value
    1
    """
    prefix = column + "."
    cut = len(prefix)
    return {vb.oid[cut:]: vb for vb in varbinds if vb.oid.startswith(prefix)}


def integer(vb: VarBind | None) -> int | None:
    """A varbind's integer value; None when absent, an exception, or not an integer.

    >>> integer(VarBind("1.3.6.1.2.1.2.1.0", 2, 4)), integer(None)
    (4, None)
    """
    if vb is None or vb.is_exception or not isinstance(vb.value, int):
        return None
    return vb.value


def text(value: object) -> str:
    """A DisplayString as text (bytes decoded as UTF-8, undecodable bytes replaced)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").rstrip("\x00")
    return "" if value is None else str(value)


@dataclass(frozen=True)
class LldpNeighbour:
    """One LLDP neighbour as seen from a local port."""

    local_port: str
    remote_system: str
    remote_port: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {
            "local_port": self.local_port,
            "remote_system": self.remote_system,
            "remote_port": self.remote_port,
        }


def parse_lldp(tables: dict[str, list[VarBind]]) -> list[LldpNeighbour]:
    """Neighbours from LLDP-MIB columns (walk results keyed by column OID).

    The remote table is indexed ``timeMark.localPortNum.remIndex``; the local port's name is
    ``lldpLocPortId`` of that number (its description when the id is a MAC address).
    """
    loc_id = by_index(tables.get(LLDP_LOC_PORT_ID, []), LLDP_LOC_PORT_ID)
    loc_desc = by_index(tables.get(LLDP_LOC_PORT_DESC, []), LLDP_LOC_PORT_DESC)
    rem_port = by_index(tables.get(LLDP_REM_PORT_ID, []), LLDP_REM_PORT_ID)
    rem_desc = by_index(tables.get(LLDP_REM_PORT_DESC, []), LLDP_REM_PORT_DESC)
    out = []
    for index, name in by_index(tables.get(LLDP_REM_SYS_NAME, []), LLDP_REM_SYS_NAME).items():
        parts = index.split(".")
        if len(parts) < 3:
            continue
        local_num = parts[1]
        local = _port_name(loc_id.get(local_num), loc_desc.get(local_num)) or local_num
        remote = _port_name(rem_port.get(index), rem_desc.get(index))
        out.append(LldpNeighbour(local, text(name.value), remote))
    return sorted(out, key=lambda n: (n.local_port, n.remote_system, n.remote_port))


def _port_name(port_id: VarBind | None, desc: VarBind | None) -> str:
    value = port_id.value if port_id is not None else None
    if isinstance(value, bytes) and not all(32 <= b < 127 for b in value):  # a MAC address, not a name
        return text(desc.value) if desc is not None else value.hex(":")
    return text(value) if value else (text(desc.value) if desc is not None else "")
