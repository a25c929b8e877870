"""Optical transceiver levels from ENTITY-MIB and ENTITY-SENSOR-MIB (RFC 4133, RFC 3433).

A transceiver's receive and transmit power are *sensors* in entPhySensorTable, each one a
physical entity whose name says what it measures ("eth1 Rx Power"). The sensor is tied to an
interface by walking up ``entPhysicalContainedIn`` to an entity with an ``entAliasMapping``
onto ``ifIndex`` (a port or the transceiver module). Sensors are read in dBm where the agent
reports dBm (type 14, as Cisco, Arista and others extend the RFC), or converted from watts
(the RFC's own type 6). The transceiver's low thresholds come from CISCO-ENTITY-SENSOR-MIB's
``entSensorThresholdTable`` where the agent has one, since the standard MIB has no thresholds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from govnet.snmp.ber import VarBind
from govnet.snmp.mibs import by_index, text
from govnet.snmp.mibs import integer as _int

ENT_PHYSICAL_ENTRY = "1.3.6.1.2.1.47.1.1.1.1"
ENT_PHYSICAL_CONTAINED_IN = f"{ENT_PHYSICAL_ENTRY}.4"
ENT_PHYSICAL_NAME = f"{ENT_PHYSICAL_ENTRY}.7"
ENT_ALIAS_MAPPING_IDENTIFIER = "1.3.6.1.2.1.47.1.3.2.1.2"

SENSOR_ENTRY = "1.3.6.1.2.1.99.1.1.1"
SENSOR_TYPE = f"{SENSOR_ENTRY}.1"
SENSOR_SCALE = f"{SENSOR_ENTRY}.2"
SENSOR_PRECISION = f"{SENSOR_ENTRY}.3"
SENSOR_VALUE = f"{SENSOR_ENTRY}.4"
SENSOR_OPER_STATUS = f"{SENSOR_ENTRY}.5"

#: CISCO-ENTITY-SENSOR-MIB entSensorThresholdEntry, indexed ``entPhysicalIndex.thresholdIndex``.
THRESHOLD_ENTRY = "1.3.6.1.4.1.9.9.91.1.2.1.1"
THRESHOLD_SEVERITY = f"{THRESHOLD_ENTRY}.2"
THRESHOLD_RELATION = f"{THRESHOLD_ENTRY}.3"
THRESHOLD_VALUE = f"{THRESHOLD_ENTRY}.4"

#: Every column the optics module walks.
OPTICS_COLUMNS = {
    "entPhysicalContainedIn": ENT_PHYSICAL_CONTAINED_IN,
    "entPhysicalName": ENT_PHYSICAL_NAME,
    "entAliasMappingIdentifier": ENT_ALIAS_MAPPING_IDENTIFIER,
    "entPhySensorType": SENSOR_TYPE,
    "entPhySensorScale": SENSOR_SCALE,
    "entPhySensorPrecision": SENSOR_PRECISION,
    "entPhySensorValue": SENSOR_VALUE,
    "entPhySensorOperStatus": SENSOR_OPER_STATUS,
    "entSensorThresholdSeverity": THRESHOLD_SEVERITY,
    "entSensorThresholdRelation": THRESHOLD_RELATION,
    "entSensorThresholdValue": THRESHOLD_VALUE,
}

WATTS, DBM = 6, 14
#: EntitySensorDataScale → power of ten (note the MIB's order: exa(14) comes before peta(15)).
SCALE_EXPONENT = {
    1: -24, 2: -21, 3: -18, 4: -15, 5: -12, 6: -9, 7: -6, 8: -3, 9: 0,
    10: 3, 11: 6, 12: 9, 13: 12, 14: 18, 15: 15, 16: 21, 17: 24,
}  # fmt: skip
#: What a transceiver reports with no light at all; also the floor for 0 W.
NO_LIGHT_DBM = -40.0
IF_INDEX_OID = "1.3.6.1.2.1.2.2.1.1."
_RX = re.compile(r"\b(rx|receive[rd]?)\b|rx ?power", re.IGNORECASE)
_TX = re.compile(r"\b(tx|transmit(ted)?)\b|tx ?power", re.IGNORECASE)


def sensor_value(raw: int, scale: int, precision: int) -> float:
    """A sensor's reading in base units: ``raw`` × 10^scale ÷ 10^precision.

    >>> sensor_value(-253, 9, 1)   # -25.3 (dBm, in units, one decimal)
    -25.3
    >>> sensor_value(316, 7, 2)    # 3.16 µW
    3.16e-06
    """
    return round(raw * 10.0 ** (SCALE_EXPONENT.get(scale, 0) - precision), 12)


def watts_to_dbm(watts: float) -> float:
    """Optical power in dBm; no light reads as :data:`NO_LIGHT_DBM`.

    >>> watts_to_dbm(0.001), round(watts_to_dbm(3.16e-06), 1), watts_to_dbm(0.0)
    (0.0, -25.0, -40.0)
    """
    if watts <= 0:
        return NO_LIGHT_DBM
    return max(NO_LIGHT_DBM, round(10 * math.log10(watts * 1000), 2))


def direction(name: str) -> Literal["rx", "tx"] | None:
    """Whether a sensor's name says receive or transmit power (None: neither, e.g. a PSU).

    >>> direction("eth1 Rx Power Sensor"), direction("Te1/1 Transmit Power"), direction("PSU 1")
    ('rx', 'tx', None)
    """
    if _RX.search(name):
        return "rx"
    if _TX.search(name):
        return "tx"
    return None


@dataclass(frozen=True)
class Optic:
    """One optical power reading of a transceiver, tied to its interface where the agent says."""

    entity: int
    name: str
    direction: Literal["rx", "tx"]
    if_index: int | None
    dbm: float | None  # None when the sensor is unavailable or not operational
    low_warning_dbm: float | None = None
    low_alarm_dbm: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "entity": self.entity,
            "name": self.name,
            "direction": self.direction,
            "ifIndex": self.if_index,
            "dbm": self.dbm,
            "low_warning_dbm": self.low_warning_dbm,
            "low_alarm_dbm": self.low_alarm_dbm,
        }


def _to_dbm(kind: int, raw: int, scale: int, precision: int) -> float:
    value = sensor_value(raw, scale, precision)
    return round(value, 2) if kind == DBM else watts_to_dbm(value)


def parse_optics(tables: dict[str, list[VarBind]]) -> list[Optic]:
    """Optical rx/tx power sensors from the walked columns (keyed by column OID).

    Sensors of other kinds (temperature, voltage) and power sensors whose name says neither
    receive nor transmit (a power supply's watts) are left out.
    """
    cols = {oid: by_index(tables.get(oid, []), oid) for oid in OPTICS_COLUMNS.values()}
    parent = {k: _int(v) for k, v in cols[ENT_PHYSICAL_CONTAINED_IN].items()}
    names = {k: text(v.value) for k, v in cols[ENT_PHYSICAL_NAME].items()}
    aliases: dict[str, int] = {}
    for index, vb in cols[ENT_ALIAS_MAPPING_IDENTIFIER].items():
        value = str(vb.value or "").lstrip(".")
        if value.startswith(IF_INDEX_OID) and value[len(IF_INDEX_OID) :].isdigit():
            aliases.setdefault(index.split(".")[0], int(value[len(IF_INDEX_OID) :]))
    lows: dict[str, list[tuple[int, int]]] = {}
    for index, vb in cols[THRESHOLD_VALUE].items():
        relation = _int(cols[THRESHOLD_RELATION].get(index))
        raw = _int(vb)
        if relation in (1, 2) and raw is not None:  # lessThan, lessOrEqual: a low threshold
            severity = _int(cols[THRESHOLD_SEVERITY].get(index)) or 0
            lows.setdefault(index.split(".")[0], []).append((severity, raw))
    out = []
    for index, type_vb in cols[SENSOR_TYPE].items():
        kind = _int(type_vb)
        name = names.get(index, "")
        way = direction(name)
        if kind not in (WATTS, DBM) or way is None or not index.isdigit():
            continue
        scale = _int(cols[SENSOR_SCALE].get(index)) or 9
        precision = _int(cols[SENSOR_PRECISION].get(index)) or 0
        raw = _int(cols[SENSOR_VALUE].get(index))
        status = _int(cols[SENSOR_OPER_STATUS].get(index))
        valid = -8 <= precision <= 9  # EntitySensorPrecision's range: beyond it no reading means anything
        readable = valid and raw is not None and status in (None, 1)
        dbm = _to_dbm(kind, raw, scale, precision) if readable and raw is not None else None
        warning = alarm = None
        if valid and lows.get(index):
            levels = sorted(lows[index])  # by severity: the mildest is the warning
            warning = _to_dbm(kind, levels[0][1], scale, precision)
            alarm = _to_dbm(kind, levels[-1][1], scale, precision) if len(levels) > 1 else None
        out.append(Optic(int(index), name, way, _if_index(index, parent, aliases), dbm, warning, alarm))
    return sorted(out, key=lambda o: (o.if_index or 0, o.direction, o.entity))


def _if_index(entity: str, parent: dict[str, int | None], aliases: dict[str, int]) -> int | None:
    """The ifIndex of the nearest entity up the containment tree that maps onto one."""
    seen: set[str] = set()
    current: str | None = entity
    while current is not None and current not in seen and len(seen) < 16:
        if current in aliases:
            return aliases[current]
        seen.add(current)
        up = parent.get(current)
        current = str(up) if up else None
    return None
