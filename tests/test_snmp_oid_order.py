"""Properties of OID order and of the codec (hypothesis), across sub-identifier boundaries.

A BER sub-identifier takes 1 byte up to 127, 2 up to 16383, 3 up to 2^21-1, 4 up to 2^28-1 and 5
up to 2^32-1; the encoded bytes of OIDs do not sort like the OIDs across those boundaries, which
is what broke walks on real devices (#12). Walks order by :func:`govnet.snmp.ber.oid_arcs`.
"""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from govnet.snmp import ber
from govnet.snmp.ber import VarBind
from govnet.snmp.testing import Agent, Mib, arcs, integer
from govnet.snmp.walk import ColumnWalk, walk_columns

BOUNDARIES = [0, 1, 127, 128, 16383, 16384, 2**21 - 1, 2**21, 2**28 - 1, 2**28, 2**32 - 2, 2**32 - 1]
sub_ids = st.one_of(
    st.sampled_from(BOUNDARIES),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=0, max_value=300),
)
heads = st.one_of(
    st.tuples(st.integers(0, 1), st.integers(0, 39)),
    st.tuples(st.just(2), sub_ids.filter(lambda x: x <= 2**32 - 1 - 80)),
)
oids = st.builds(lambda h, rest: (*h, *rest), heads, st.lists(sub_ids, max_size=12))
COLUMN = "1.3.6.1.2.1.2.2.1.2"


def text(oid: tuple[int, ...]) -> str:
    return ".".join(map(str, oid))


@given(oids)
def test_encode_decode_round_trip(oid: tuple[int, ...]) -> None:
    body = ber.oid_body(text(oid))
    assert ber.oid_arcs(body) == oid
    assert ber.decode_oid_body(body) == text(oid)


@given(oids, oids)
def test_walk_order_is_tuple_order(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    ka, kb = ber.oid_arcs(ber.oid_body(text(a))), ber.oid_arcs(ber.oid_body(text(b)))
    assert (ka < kb, ka == kb, ka > kb) == (a < b, a == b, a > b)


def test_encoded_bytes_do_not_sort_like_oids_at_every_boundary() -> None:
    """Why the walk cannot compare bytes: each boundary reverses the byte order."""
    for below, above in ((127, 128), (16383, 16384), (2**21 - 1, 2**21), (2**28 - 1, 2**28)):
        lo, hi = (ber.oid_body(f"1.3.6.{n}.1") for n in (below, above))
        assert ber.oid_arcs(lo) < ber.oid_arcs(hi)
        assert lo > hi or below == 127  # 127 (7f) vs 128 (81 00): bytes happen to agree there


@given(oids, st.data())
def test_padding_any_sub_identifier_is_refused(oid: tuple[int, ...], data: st.DataObject) -> None:
    """0x80 before a sub-identifier reads as the same number; BER forbids it, and so do we."""
    body = ber.oid_body(text(oid))
    starts = [0] + [i + 1 for i, byte in enumerate(body[:-1]) if byte < 0x80]
    at = data.draw(st.sampled_from(starts))
    padded = body[:at] + b"\x80" + body[at:]
    try:
        ber.oid_arcs(padded)
    except ber.BerError as exc:
        assert "padded with 0x80" in str(exc)
    else:
        raise AssertionError(f"padded OID {padded.hex()} was accepted")


@given(st.sampled_from([ber.INTEGER, ber.COUNTER32, ber.GAUGE32, ber.TIMETICKS, ber.COUNTER64]), st.data())
def test_integer_values_round_trip_and_oversized_ones_are_refused(tag: int, data: st.DataObject) -> None:
    bits = 64 if tag == ber.COUNTER64 else 32
    low, high = (-(2**31), 2**31 - 1) if tag == ber.INTEGER else (0, 2**bits - 1)
    value = data.draw(st.one_of(st.sampled_from([low, high, 0, 127, 128, 255, 256]), st.integers(low, high)))
    pdu = _response([("1.3.6.1.2.1.1.3.0", ber.encode_int(value, tag))])
    assert ber.decode_pdu(pdu).varbinds[0].value == value
    width = data.draw(st.integers(min_value=bits // 8 + 2, max_value=24))
    oversized = ber.tlv(tag, b"\x01" * width)
    try:
        ber.decode_pdu(_response([("1.3.6.1.2.1.1.3.0", oversized)]))
    except ber.BerError as exc:
        assert "oversized" in str(exc) and exc.oid == "1.3.6.1.2.1.1.3.0"
    else:
        raise AssertionError(f"{width}-byte {ber.TYPE_NAMES[tag]} accepted")


def _response(varbinds: list[tuple[str, bytes]]) -> bytes:
    body = b"".join(ber.tlv(ber.SEQUENCE, ber.encode_oid(o) + v) for o, v in varbinds)
    return ber.tlv(
        ber.RESPONSE, ber.encode_int(7) + ber.encode_int(0) + ber.encode_int(0) + ber.tlv(ber.SEQUENCE, body)
    )


def _walk(agent: Agent, columns: list[str], reps: int) -> ColumnWalk:
    """walk_columns over the agent's answers, encoded and decoded as on the wire (no socket)."""

    async def bulk(asked: list[str], repetitions: int) -> list[VarBind]:
        request = ber.encode_request(1, b"public", ber.GET_BULK, 7, asked, 0, repetitions)
        answer = agent.answer(request)
        assert answer is not None
        return ber.decode_message(answer)[2].varbinds

    return asyncio.run(walk_columns(bulk, columns, reps, "agent"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(sub_ids, min_size=1, max_size=3), min_size=1, max_size=30, unique_by=tuple),
    st.integers(1, 30),
)
def test_a_sorted_table_is_walked_whole(indexes: list[list[int]], reps: int) -> None:
    mib = Mib()
    for index in indexes:
        mib.set(f"{COLUMN}.{text(tuple(index))}", integer(1))
    mib.set("1.3.6.1.2.1.2.2.1.3.1", integer(2))
    walked = _walk(Agent(mib), [COLUMN], reps)
    got = [arcs(vb.oid)[len(arcs(COLUMN)) :] for vb in walked[COLUMN]]
    assert got == sorted(tuple(i) for i in indexes)
    assert walked.warnings == []


@settings(max_examples=60, deadline=None)
@given(st.lists(sub_ids, min_size=2, max_size=20, unique=True), st.integers(1, 10))
def test_an_unsorted_table_stops_at_its_first_descent(indexes: list[int], reps: int) -> None:
    mib = Mib()
    for index in indexes:
        mib.set(f"{COLUMN}.{index}", integer(index % 100))
    mib.order([f"{COLUMN}.{i}" for i in indexes])  # the agent walks them in this (random) order
    walked = _walk(Agent(mib), [COLUMN], reps)
    # what snmpbulkwalk keeps: the agent's order up to the first OID not above the one before
    want = [indexes[0]]
    for i in indexes[1:]:
        if i <= want[-1]:
            break
        want.append(i)
    got = [arcs(vb.oid)[-1] for vb in walked[COLUMN]]
    descends = any(b <= a for a, b in itertools.pairwise(indexes))
    assert got == want
    warnings = walked.warnings
    assert bool(warnings) == descends and all("OID not increasing" in w for w in warnings)
