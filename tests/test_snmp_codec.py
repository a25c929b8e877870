"""The BER codec and the collector, on recorded bytes and recorded varbinds (no network)."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from govnet.monitor.collector import collect
from govnet.monitor.fake import FakeScraper
from govnet.monitor.poll import poll_round
from govnet.monitor.scraper import Scrape
from govnet.snmp import ber, mibs
from govnet.snmp.ber import VarBind
from govnet.snmp.client import Target


def build_response() -> bytes:
    vbs = b"".join(
        ber.tlv(ber.SEQUENCE, ber.encode_oid(oid) + value)
        for oid, value in [
            ("1.3.6.1.2.1.1.3.0", ber.encode_int(123456, ber.TIMETICKS)),
            ("1.3.6.1.2.1.1.5.0", ber.tlv(ber.OCTET_STRING, b"hub-dx")),
            ("1.3.6.1.2.1.31.1.1.1.6.3", ber.encode_int(2**40 + 5, ber.COUNTER64)),
            ("1.3.6.1.2.1.2.2.1.8.3", ber.encode_int(1)),
            ("1.3.6.1.2.1.4.20.1.1.198.18.0.12", ber.tlv(ber.IP_ADDRESS, bytes([198, 18, 0, 12]))),
            ("1.3.6.1.2.1.2.2.1.8.99", b"\x81\x00"),
        ]
    )
    pdu = ber.tlv(
        ber.RESPONSE,
        ber.encode_int(4242) + ber.encode_int(0) + ber.encode_int(0) + ber.tlv(ber.SEQUENCE, vbs),
    )
    return ber.tlv(ber.SEQUENCE, ber.encode_int(1) + ber.tlv(ber.OCTET_STRING, b"public") + pdu)


def test_decode_response_types() -> None:
    version, community, pdu = ber.decode_message(build_response())
    assert (version, community, pdu.tag, pdu.request_id) == (1, b"public", ber.RESPONSE, 4242)
    values = {vb.oid: (vb.type_name, vb.value) for vb in pdu.varbinds}
    assert values["1.3.6.1.2.1.1.3.0"] == ("TimeTicks", 123456)
    assert values["1.3.6.1.2.1.1.5.0"] == ("OctetString", b"hub-dx")
    assert values["1.3.6.1.2.1.31.1.1.1.6.3"] == ("Counter64", 2**40 + 5)
    assert values["1.3.6.1.2.1.4.20.1.1.198.18.0.12"] == ("IpAddress", "198.18.0.12")
    assert pdu.varbinds[-1].is_exception and pdu.varbinds[-1].type_name == "noSuchInstance"


def test_encoded_request_matches_pyasn1() -> None:
    """Our GETBULK request decodes, with pysnmp's own pyasn1 codec, to what we meant."""
    from pyasn1.codec.ber import decoder
    from pysnmp.proto import api

    raw = ber.encode_request(
        1, b"public", ber.GET_BULK, 77, ["1.3.6.1.2.1.2.2.1.8", "1.3.6.1.2.1.31.1.1.1.1"], 0, 25
    )
    msg, rest = decoder.decode(raw, asn1Spec=api.PROTOCOL_MODULES[api.SNMP_VERSION_2C].Message())
    assert rest == b""
    pdu = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C].apiMessage.get_pdu(msg)
    p = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C].apiBulkPDU
    assert int(p.get_request_id(pdu)) == 77 and int(p.get_max_repetitions(pdu)) == 25
    assert [str(o) for o, _ in p.get_varbinds(pdu)] == ["1.3.6.1.2.1.2.2.1.8", "1.3.6.1.2.1.31.1.1.1.1"]


@pytest.mark.parametrize("oid", ["1.3.6.1.2.1.1.3.0", "1.3.6.1.4.1.99999.1.2.3.4294967295", "0.0", "2.5.4.3"])
def test_oid_round_trip(oid: str) -> None:
    raw = ber.encode_oid(oid)
    assert ber.decode_oid_body(raw[2:]) == oid


@pytest.mark.parametrize("value", [0, 1, 127, 128, 255, 256, -1, -128, -129, 2**31 - 1, -(2**31)])
def test_integer_round_trip(value: int) -> None:
    vb_bytes = ber.tlv(ber.SEQUENCE, ber.encode_oid("1.3.6.1") + ber.encode_int(value))
    pdu = ber.tlv(
        ber.RESPONSE,
        ber.encode_int(1) + ber.encode_int(0) + ber.encode_int(0) + ber.tlv(ber.SEQUENCE, vb_bytes),
    )
    assert ber.decode_pdu(pdu).varbinds[0].value == value


@pytest.mark.parametrize(
    "garbage", [b"", b"\x30", b"\x04\x03abc", build_response()[:-3], b"\x30\x85" + b"\x00" * 8]
)
def test_garbage_is_a_clean_error(garbage: bytes) -> None:
    with pytest.raises(ber.BerError):
        ber.decode_message(garbage)


def scrape_of(host: str, columns: dict[str, dict[int, object]], scalars: dict[str, VarBind]) -> Scrape:
    cols = {}
    for oid, rows in columns.items():
        tag = ber.OCTET_STRING if isinstance(next(iter(rows.values())), bytes) else ber.INTEGER
        cols[oid] = [VarBind(f"{oid}.{i}", tag, v) for i, v in rows.items()]
    return Scrape(host, scalars=scalars, columns=cols)


UPTIME = {mibs.SYS_UPTIME: VarBind(mibs.SYS_UPTIME, ber.TIMETICKS, 500)}


def test_collector_without_iftable_x_falls_back_to_ifdescr_and_32_bit_counters() -> None:
    scrape = scrape_of(
        "198.18.0.99",
        {
            mibs.IF_COLUMNS["ifDescr"]: {1: b"lo", 2: b"GigabitEthernet0/1"},
            mibs.IF_COLUMNS["ifOperStatus"]: {1: 1, 2: 7},
            mibs.IF_COLUMNS["ifAdminStatus"]: {1: 1, 2: 1},
            mibs.IF_COLUMNS["ifSpeed"]: {1: 10_000_000, 2: 1_000_000_000},
            mibs.IF_COLUMNS["ifInOctets"]: {1: 5, 2: 4_000_000_000},
        },
        {**UPTIME, mibs.IF_NUMBER: VarBind(mibs.IF_NUMBER, ber.INTEGER, 5)},
    )
    state = collect(scrape)
    second = state.interfaces[1]
    assert (second.name, second.oper_status, second.speed_mbps, second.counter_bits) == (
        "GigabitEthernet0/1",
        "lowerLayerDown",
        1000,
        32,
    )
    assert second.in_octets == 4_000_000_000 and second.out_octets is None
    assert any("no ifXTable" in w for w in state.warnings)
    assert any("ifNumber says 5" in w for w in state.warnings)  # reported, not believed
    assert len(state.interfaces) == 2


def test_collector_without_uptime_keeps_the_device_reachable_with_a_warning() -> None:
    """Reachable means the agent answered (#12): a missing sysUpTime is a warning, not an outage."""
    state = collect(Scrape("h", scalars={}, columns={}))
    assert state.reachable and state.error is None
    assert state.module_warnings == {"system": ["the agent answered without sysUpTime"]}


def test_dead_agent_does_not_stop_the_round() -> None:
    good = scrape_of("198.18.0.10", {mibs.IFX_COLUMNS["ifName"]: {1: b"eth1"}}, UPTIME)
    fake = FakeScraper(recorded={"198.18.0.10": good})
    targets = [Target(h, community=SecretStr("c")) for h in ("198.18.0.10", "198.18.0.11")]
    states = asyncio.run(poll_round(fake, targets))
    assert [s.reachable for s in states] == [True, False]
    assert states[0].interfaces[0].name == "eth1"
    assert fake.calls == ["198.18.0.10", "198.18.0.11"]


def test_lldp_parser_uses_port_names_and_descriptions_for_macs() -> None:
    loc, rem_sys, rem_port, rem_desc = (
        mibs.LLDP_LOC_PORT_ID,
        mibs.LLDP_REM_SYS_NAME,
        mibs.LLDP_REM_PORT_ID,
        mibs.LLDP_REM_PORT_DESC,
    )
    tables = {
        loc: [VarBind(f"{loc}.3", 4, b"eth1"), VarBind(f"{loc}.4", 4, b"eth2")],
        rem_sys: [VarBind(f"{rem_sys}.500.3.1", 4, b"core-01"), VarBind(f"{rem_sys}.500.4.2", 4, b"sw-x")],
        rem_port: [
            VarBind(f"{rem_port}.500.3.1", 4, b"eth9"),
            VarBind(f"{rem_port}.500.4.2", 4, bytes.fromhex("0011aabbccdd")),
        ],
        rem_desc: [VarBind(f"{rem_desc}.500.4.2", 4, b"GigabitEthernet0/7")],
    }
    assert [n.as_dict() for n in mibs.parse_lldp(tables)] == [
        {"local_port": "eth1", "remote_system": "core-01", "remote_port": "eth9"},
        {"local_port": "eth2", "remote_system": "sw-x", "remote_port": "GigabitEthernet0/7"},
    ]
