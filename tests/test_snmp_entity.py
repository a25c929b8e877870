"""Optics, WiFi client counts and alert-rule files: parsers and pure logic on recorded answers.

The recorded answers follow the two layouts seen in the field: a Cisco-style chassis (port →
transceiver module → sensors in dBm, thresholds in CISCO-ENTITY-SENSOR-MIB) and an agent that
keeps to RFC 3433 (sensors in watts with a scale, no thresholds). The lab serves the first
layout from real snmpd agents (tests/test_monitor_lab.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govnet.errors import InventoryError
from govnet.monitor.alerts import DEFAULT_RULES, AlertEngine
from govnet.monitor.rules import load_rules
from govnet.snmp import entity, wireless
from govnet.snmp.ber import VarBind

INTEGER, OCTETS, OID, COUNTER = 0x02, 0x04, 0x06, 0x41


def tables(rows: list[tuple[str, str, int, object]]) -> dict[str, list[VarBind]]:
    out: dict[str, list[VarBind]] = {}
    for column, suffix, tag, value in rows:
        out.setdefault(column, []).append(VarBind(f"{column}.{suffix}", tag, value))
    return out


def cisco_like() -> dict[str, list[VarBind]]:
    """Te1/1 (ifIndex 9): port 1009 ⊃ module 1109 ⊃ Rx 1110 / Tx 1111 / temperature 1112."""
    rows: list[tuple[str, str, int, object]] = [
        (entity.ENT_PHYSICAL_NAME, "1009", OCTETS, b"Te1/1"),
        (entity.ENT_PHYSICAL_NAME, "1109", OCTETS, b"Te1/1 Module"),
        (entity.ENT_PHYSICAL_NAME, "1110", OCTETS, b"Te1/1 Receive Power Sensor"),
        (entity.ENT_PHYSICAL_NAME, "1111", OCTETS, b"Te1/1 Transmit Power Sensor"),
        (entity.ENT_PHYSICAL_NAME, "1112", OCTETS, b"Te1/1 Module Temperature Sensor"),
        (entity.ENT_PHYSICAL_CONTAINED_IN, "1009", INTEGER, 1),
        (entity.ENT_PHYSICAL_CONTAINED_IN, "1109", INTEGER, 1009),
        (entity.ENT_PHYSICAL_CONTAINED_IN, "1110", INTEGER, 1109),
        (entity.ENT_PHYSICAL_CONTAINED_IN, "1111", INTEGER, 1109),
        (entity.ENT_PHYSICAL_CONTAINED_IN, "1112", INTEGER, 1109),
        (entity.ENT_ALIAS_MAPPING_IDENTIFIER, "1009.0", OID, "1.3.6.1.2.1.2.2.1.1.9"),
    ]
    for sensor, kind, raw in (("1110", entity.DBM, -74), ("1111", entity.DBM, -21), ("1112", 8, 312)):
        rows += [
            (entity.SENSOR_TYPE, sensor, INTEGER, kind),
            (entity.SENSOR_SCALE, sensor, INTEGER, 9),
            (entity.SENSOR_PRECISION, sensor, INTEGER, 1),
            (entity.SENSOR_VALUE, sensor, INTEGER, raw),
            (entity.SENSOR_OPER_STATUS, sensor, INTEGER, 1),
        ]
    # Rx thresholds: high alarm, high warning, low warning (minor), low alarm (major)
    for n, severity, relation, raw in ((1, 30, 3, 10), (2, 10, 3, 5), (3, 10, 1, -150), (4, 20, 1, -170)):
        rows += [
            (entity.THRESHOLD_SEVERITY, f"1110.{n}", INTEGER, severity),
            (entity.THRESHOLD_RELATION, f"1110.{n}", INTEGER, relation),
            (entity.THRESHOLD_VALUE, f"1110.{n}", INTEGER, raw),
        ]
    return tables(rows)


def test_cisco_style_optics_map_to_their_interface_with_the_transceivers_thresholds() -> None:
    optics = entity.parse_optics(cisco_like())
    assert [(o.direction, o.if_index, o.dbm) for o in optics] == [("rx", 9, -7.4), ("tx", 9, -2.1)]
    rx = optics[0]
    assert (rx.low_warning_dbm, rx.low_alarm_dbm) == (-15.0, -17.0)
    assert optics[1].low_warning_dbm is None  # no thresholds recorded for Tx


def test_rfc3433_watts_sensors_convert_to_dbm_and_unavailable_ones_read_none() -> None:
    rows: list[tuple[str, str, int, object]] = [
        (entity.ENT_PHYSICAL_NAME, "20", OCTETS, b"port 1/1/3"),
        (entity.ENT_ALIAS_MAPPING_IDENTIFIER, "20.0", OID, "1.3.6.1.2.1.2.2.1.1.3"),
        (entity.ENT_PHYSICAL_NAME, "21", OCTETS, b"1/1/3 rx power"),
        (entity.ENT_PHYSICAL_CONTAINED_IN, "21", INTEGER, 20),
        (entity.ENT_PHYSICAL_NAME, "22", OCTETS, b"1/1/3 tx power"),
        (entity.ENT_PHYSICAL_CONTAINED_IN, "22", INTEGER, 20),
        (entity.ENT_PHYSICAL_NAME, "30", OCTETS, b"PSU 1 output"),
    ]
    for sensor, raw, status in (("21", 316, 1), ("22", 5012, 2), ("30", 1500, 1)):
        rows += [
            (entity.SENSOR_TYPE, sensor, INTEGER, entity.WATTS),
            (entity.SENSOR_SCALE, sensor, INTEGER, 7),  # micro
            (entity.SENSOR_PRECISION, sensor, INTEGER, 2),
            (entity.SENSOR_VALUE, sensor, INTEGER, raw),
            (entity.SENSOR_OPER_STATUS, sensor, INTEGER, status),
        ]
    optics = entity.parse_optics(tables(rows))
    # 3.16 µW is -25.0 dBm; the Tx sensor is "unavailable"; the PSU's watts are not optics
    assert [(o.direction, o.if_index, o.dbm) for o in optics] == [("rx", 3, -25.0), ("tx", 3, None)]


def test_a_sensor_with_no_mapping_and_a_containment_loop_has_no_interface() -> None:
    rows: list[tuple[str, str, int, object]] = [
        (entity.ENT_PHYSICAL_NAME, "5", OCTETS, b"Rx power"),
        (entity.ENT_PHYSICAL_CONTAINED_IN, "5", INTEGER, 6),
        (entity.ENT_PHYSICAL_CONTAINED_IN, "6", INTEGER, 5),  # a broken agent's loop
        (entity.SENSOR_TYPE, "5", INTEGER, entity.DBM),
        (entity.SENSOR_VALUE, "5", INTEGER, -3),
    ]
    (optic,) = entity.parse_optics(tables(rows))
    assert (optic.if_index, optic.dbm) == (None, -3.0)


def test_wifi_client_counts_from_mikrotik_and_cisco_wlc_tables() -> None:
    mikrotik = tables(
        [
            (wireless.MIKROTIK_WL_AP_CLIENT_COUNT, "7", COUNTER, 12),
            (wireless.MIKROTIK_WL_AP_CLIENT_COUNT, "8", COUNTER, 3),
            (wireless.MIKROTIK_WL_AP_SSID, "7", OCTETS, "Công viên".encode()),
        ]
    )
    found = wireless.parse_wifi(mikrotik)
    assert found is not None
    assert (found.total, found.radios, found.ssids["7"]) == (15, {"7": 12, "8": 3}, "Công viên")
    wlc = tables([(wireless.AIRESPACE_AP_IF_NO_OF_USERS, "0.36.20.1.2.3.0", COUNTER, 9)])
    found = wireless.parse_wifi(wlc)
    assert found is not None and (found.total, found.source) == (9, "AIRESPACE-WIRELESS-MIB")
    assert wireless.parse_wifi({}) is None


def test_a_transceiver_threshold_replaces_the_rules_and_keeps_its_hysteresis() -> None:
    engine = AlertEngine(DEFAULT_RULES)
    # the default rule (-25 dBm) would not fire at -19; the transceiver's -18 does
    assert engine.observe("optical_dbm", "L", -19.0, 0) == []
    assert engine.observe("optical_dbm", "L", -19.0, 0, limit=-18.0) == []  # pending for 60 s
    (fired,) = engine.observe("optical_dbm", "L", -19.0, 60, limit=-18.0)
    assert fired.firing and fired.rule == "low-optical-power"
    assert engine.observe("optical_dbm", "L", -17.0, 200, limit=-18.0) == []  # not yet 2 dB above
    assert engine.observe("optical_dbm", "L", -15.5, 210, limit=-18.0) == []
    (cleared,) = engine.observe("optical_dbm", "L", -15.5, 270, limit=-18.0)
    assert not cleared.firing


def test_a_rules_file_replaces_defaults_by_name_and_adds_new_ones(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n"
        "  - {name: high-utilisation, metric: util_pct, raise_at: 85, clear_at: 75, for_seconds: 600}\n"
        "  - {name: busy-now, metric: util_pct, raise_at: 99, clear_at: 95, for_seconds: 0}\n",
        encoding="utf-8",
    )
    rules = {r.name: r for r in load_rules(path)}
    assert (rules["high-utilisation"].raise_at, rules["high-utilisation"].for_seconds) == (85, 600)
    assert rules["busy-now"].raise_at == 99
    assert set(rules) == {r.name for r in DEFAULT_RULES} | {"busy-now"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "rules:\n  - name: hot\n    metric: util_pct\n    raise_at: 90\n"
            "    clear_at: 80\n    for_secs: 5\n",
            "rules[0] 'hot': field 'for_secs': unknown key 'for_secs' (fix: did you mean 'for_seconds'?)",
        ),
        (
            "rules:\n  - {name: dim, metric: optical_dbm, raise_at: -20, clear_at: -22, below: true}\n",
            "rules[0] 'dim': a 'below' rule clears above where it fires",
        ),
        (
            "rules:\n  - {name: hot, metric: temperature, raise_at: 1, clear_at: 0}\n",
            "rules[0] 'hot': field 'metric'",
        ),
        ("alerts: []\n", "the file must hold a 'rules:' list"),
        ("rules: [\n", "YAML syntax error"),
    ],
)
def test_a_wrong_rules_file_names_the_file_the_rule_and_the_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InventoryError) as caught:
        load_rules(path)
    assert str(path) in str(caught.value) and expected in str(caught.value)
