"""A small, fast BER codec for SNMP messages (RFC 3416 PDUs in v2c messages).

pyasn1, which pysnmp decodes with, spends most of a bulk walk building generic ASN.1 objects.
An SNMP response has a fixed shape, so this decoder walks the bytes directly and returns plain
Python values: OIDs as dotted strings (cached by their encoded bytes, since a poller sees the
same OIDs every cycle), integers, bytes. Tests compare its results with pysnmp's on real agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

# Universal and SNMP application tags
INTEGER, OCTET_STRING, NULL, OBJECT_ID, SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
IP_ADDRESS, COUNTER32, GAUGE32, TIMETICKS, OPAQUE, COUNTER64 = 0x40, 0x41, 0x42, 0x43, 0x44, 0x46
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = 0x80, 0x81, 0x82
# PDU tags
GET, GET_NEXT, RESPONSE, SET, GET_BULK, INFORM, TRAP_V2, REPORT = (
    0xA0,
    0xA1,
    0xA2,
    0xA3,
    0xA5,
    0xA6,
    0xA7,
    0xA8,
)

TYPE_NAMES = {
    INTEGER: "Integer32",
    OCTET_STRING: "OctetString",
    NULL: "Null",
    OBJECT_ID: "ObjectIdentifier",
    IP_ADDRESS: "IpAddress",
    COUNTER32: "Counter32",
    GAUGE32: "Gauge32",
    TIMETICKS: "TimeTicks",
    OPAQUE: "Opaque",
    COUNTER64: "Counter64",
    NO_SUCH_OBJECT: "noSuchObject",
    NO_SUCH_INSTANCE: "noSuchInstance",
    END_OF_MIB_VIEW: "endOfMibView",
}
EXCEPTIONS = frozenset({NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW})
_UNSIGNED = frozenset({COUNTER32, GAUGE32, TIMETICKS, COUNTER64})


class BerError(ValueError):
    """The bytes are not a well-formed SNMP message.

    What was read before the fault travels with it, so an answer that is malformed can be told
    to the request it answers (instead of passing for no answer at all): the message's
    ``version`` and ``community``, the PDU's ``request_id``, and ``oid``, the varbind's OID as
    far as it could be read.
    """

    def __init__(self, message: str, *, oid: str | None = None) -> None:
        super().__init__(message)
        self.oid = oid
        self.version: int | None = None
        self.community: bytes | None = None
        self.request_id: int | None = None


class VarBind(NamedTuple):
    """One variable binding: numeric OID, BER tag of the value, and the value as Python.

    A named tuple, not a dataclass: a poller builds millions, and a tuple is the cheapest to build.
    """

    oid: str
    tag: int
    value: Any
    #: The OID's encoded content octets, canonical (the decoder refuses padded sub-identifiers):
    #: equal OIDs have equal bytes, and a prefix of arcs is a prefix of bytes. They do NOT sort
    #: like the OID (``16383`` is ``ff 7f``, ``16384`` is ``81 80 00``): order with :func:`oid_arcs`.
    raw: bytes = b""
    #: The OID as a tuple of ints: what walks order by (empty when the maker did not say; then
    #: :func:`oid_arcs` of :attr:`raw` gives it).
    arcs: tuple[int, ...] = ()

    @property
    def type_name(self) -> str:
        """SMI type name, e.g. ``Counter64``."""
        return TYPE_NAMES.get(self.tag, f"tag-0x{self.tag:02x}")

    @property
    def is_exception(self) -> bool:
        """noSuchObject, noSuchInstance or endOfMibView."""
        return self.tag in EXCEPTIONS


@dataclass(frozen=True, slots=True)
class Pdu:
    """A decoded PDU."""

    tag: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[VarBind]


# --------------------------------------------------------------------------- encoding


def encode_length(n: int) -> bytes:
    """BER definite length.

    >>> encode_length(5), encode_length(200), encode_length(1000)
    (b'\\x05', b'\\x81\\xc8', b'\\x82\\x03\\xe8')
    """
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, body: bytes) -> bytes:
    """One tag-length-value."""
    n = len(body)
    if n < 0x80:  # the rule in SNMP requests: no call for the length
        return bytes((tag, n)) + body
    return bytes((tag,)) + encode_length(n) + body


def encode_int(value: int, tag: int = INTEGER) -> bytes:
    """A signed INTEGER (or an unsigned application type with ``tag``).

    >>> encode_int(0).hex(), encode_int(128).hex(), encode_int(-1).hex()
    ('020100', '02020080', '0201ff')
    """
    if 0 <= value < 0x80:
        return bytes((tag, 1, value))
    if tag in _UNSIGNED:
        body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    else:
        body = value.to_bytes((value + (value < 0)).bit_length() // 8 + 1, "big", signed=True)
    return tlv(tag, body)


def encode_oid(oid: str) -> bytes:
    """An OBJECT IDENTIFIER from its dotted form.

    >>> encode_oid("1.3.6.1.2.1.1.3.0").hex()
    '06082b06010201010300'
    """
    return tlv(OBJECT_ID, oid_body(oid))


def oid_body(oid: str) -> bytes:
    """The content octets of an OID, as :attr:`VarBind.raw` holds them.

    >>> oid_body("1.3.6.1.2.1.2.2").hex(), oid_body("1.3.6.1.2.1.2.2.1.1.16384").hex()[-6:]
    ('2b060102010202', '818000')
    """
    try:
        arcs = [int(a) for a in oid.strip(".").split(".")]
    except ValueError:
        raise BerError(f"bad OID '{oid}': write dotted numbers, e.g. 1.3.6.1.2.1.1.3.0") from None
    if len(arcs) < 2:
        raise BerError(f"an OID needs two arcs at least: '{oid}'")
    if arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40) or len(arcs) > MAX_SUB_IDS:
        raise BerError(f"bad OID '{oid}'")
    out = bytearray()
    if not all(0 <= arc <= MAX_SUB_ID for arc in arcs):
        raise BerError(f"bad OID '{oid}': sub-identifiers go from 0 to 2^32-1")
    for arc in (arcs[0] * 40 + arcs[1], *arcs[2:]):
        if arc < 0:
            raise BerError(f"bad OID '{oid}': sub-identifiers go from 0 to 2^32-1")
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = []
        rest = arc
        while rest:
            chunk.append(rest & 0x7F)
            rest >>= 7
        for i in range(len(chunk) - 1, 0, -1):
            out.append(chunk[i] | 0x80)
        out.append(chunk[0])
    return bytes(out)


_VB_CACHE: dict[str, bytes] = {}


def _request_varbind(oid: str) -> bytes:
    """``SEQUENCE { oid, NULL }``, cached: a poller asks for the same OIDs again and again."""
    encoded = _VB_CACHE.get(oid)
    if encoded is None:
        encoded = tlv(SEQUENCE, encode_oid(oid) + b"\x05\x00")
        if len(_VB_CACHE) < _OID_CACHE_MAX:
            _VB_CACHE[oid] = encoded
    return encoded


def encode_request(
    version: int,
    community: bytes,
    pdu_tag: int,
    request_id: int,
    oids: list[str],
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """A v1/v2c request message (GET, GETNEXT or GETBULK with NULL values)."""
    pdu = encode_pdu(pdu_tag, request_id, oids, non_repeaters, max_repetitions)
    return tlv(SEQUENCE, encode_int(version) + tlv(OCTET_STRING, community) + pdu)


def encode_pdu(
    pdu_tag: int, request_id: int, oids: list[str], non_repeaters: int = 0, max_repetitions: int = 0
) -> bytes:
    """A request PDU (GET, GETNEXT or GETBULK with NULL values): v2c's message and v3's scopedPDU hold it."""
    varbinds = b"".join(_request_varbind(oid) for oid in oids)
    second = non_repeaters if pdu_tag == GET_BULK else 0
    third = max_repetitions if pdu_tag == GET_BULK else 0
    return tlv(
        pdu_tag, encode_int(request_id) + encode_int(second) + encode_int(third) + tlv(SEQUENCE, varbinds)
    )


def read_length(buf: bytes, pos: int) -> tuple[int, int]:
    """A BER definite length at ``pos``: (length, position of the content)."""
    return _length(buf, pos)


# --------------------------------------------------------------------------- decoding

_OID_CACHE: dict[bytes, tuple[str, tuple[int, ...]]] = {}
_OID_CACHE_MAX = 500_000


def _length(buf: bytes, pos: int) -> tuple[int, int]:
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0 or count > 4:
        raise BerError("indefinite or oversized length")
    return int.from_bytes(buf[pos + 1 : pos + 1 + count], "big"), pos + 1 + count


#: RFC 2578 §7.1.3: at most 128 sub-identifiers, each at most 2^32-1.
MAX_SUB_IDS, MAX_SUB_ID = 128, 0xFFFFFFFF


def _shown(body: bytes, limit: int = 24) -> str:
    """Bytes for an error message: hex, the first ``limit`` only (an agent's garbage can be long).

    >>> _shown(bytes(range(3))), _shown(bytes(30), 2)
    ('00 01 02', '00 00 ... (30 bytes)')
    """
    if len(body) <= limit:
        return body.hex(" ")
    return f"{body[:limit].hex(' ')} ... ({len(body)} bytes)"


def shown(data: bytes, limit: int = 24) -> str:
    """Bytes an agent sent, for a message: the first ``limit`` in hex, and the length.

    >>> shown(b"\\x30\\x82\\xff", 2), shown(b"\\x30")
    ('30 82 ... (3 bytes)', '30 (1 bytes)')
    """
    return _shown(data, limit) if len(data) > limit else f"{data.hex(' ')} ({len(data)} bytes)"


#: PDU tags by name, for messages.
PDU_NAMES = {
    GET: "GetRequest",
    GET_NEXT: "GetNextRequest",
    RESPONSE: "Response",
    SET: "SetRequest",
    GET_BULK: "GetBulkRequest",
    INFORM: "InformRequest",
    TRAP_V2: "SNMPv2-Trap",
    REPORT: "Report",
}


def pdu_name(tag: int) -> str:
    """A PDU tag's name (``tag 0x..`` for one SNMP has not).

    >>> pdu_name(GET), pdu_name(0x30)
    ('GetRequest', 'tag 0x30')
    """
    return PDU_NAMES.get(tag, f"tag 0x{tag:02x}")


def _lenient_text(body: bytes) -> str:
    """What a malformed OID reads as, ignoring its faults (for error messages only; cut short)."""
    if len(body) > 160:
        return f"(an OID of {len(body)} bytes: {_shown(body)})"
    arcs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        return f"(bytes {_shown(body)})"
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(map(str, head + arcs[1:]))


def _decode_arcs(body: bytes) -> tuple[int, ...]:
    """The arcs of an OID's content octets, refusing what BER and SMI forbid."""
    if not body:
        raise BerError("empty OID")
    subs: list[int] = []
    value = 0
    fresh = True  # at the first byte of a sub-identifier
    for byte in body:
        if fresh and byte == 0x80:
            raise BerError(
                f"OID {_lenient_text(body)} has sub-identifier {len(subs) + 1} padded with 0x80 "
                f"(a non-minimal encoding: bytes {_shown(body)})",
                oid=_lenient_text(body),
            )
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            subs.append(value)
            value = 0
            fresh = True
        else:
            fresh = False
    if not fresh:
        raise BerError(f"OID ends inside a sub-identifier (bytes {_shown(body)})", oid=_lenient_text(body))
    first = subs[0]
    arcs = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    out = arcs + tuple(subs[1:])
    if len(out) > MAX_SUB_IDS or max(out) > MAX_SUB_ID:
        raise BerError(
            f"OID {_lenient_text(body)} has more than {MAX_SUB_IDS} sub-identifiers or one above 2^32-1",
            oid=_lenient_text(body),
        )
    return out


def _named(body: bytes) -> tuple[str, tuple[int, ...]]:
    """An OID's dotted form and arcs from its content octets (cached: a poller sees the same
    OIDs every cycle); malformed OIDs are a :class:`BerError`."""
    named = _OID_CACHE.get(body)
    if named is None:
        arcs = _decode_arcs(body)
        named = (".".join(map(str, arcs)), arcs)
        if len(_OID_CACHE) < _OID_CACHE_MAX:
            _OID_CACHE[bytes(body)] = named
    return named


def oid_arcs(body: bytes) -> tuple[int, ...]:
    """The arcs of an OID's content octets, as a tuple of ints (cached): what walks order by.

    >>> oid_arcs(oid_body("1.3.6.1.2.1.2.2.1.1.16384"))[-1]
    16384
    >>> oid_arcs(bytes.fromhex("2b 06 01 02 01 ff 7f")) < oid_arcs(bytes.fromhex("2b 06 01 02 01 81 80 00"))
    True
    """
    return _named(body)[1]


def decode_oid_body(body: bytes) -> str:
    """The dotted form of an OID's content octets (cached); malformed OIDs are a :class:`BerError`.

    >>> decode_oid_body(bytes.fromhex("2b06010201010300"))
    '1.3.6.1.2.1.1.3.0'
    >>> decode_oid_body(bytes.fromhex("2b0601020101800300"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    govnet.snmp.ber.BerError: OID 1.3.6.1.2.1.1.3.0 has sub-identifier 7 padded with 0x80 ...
    """
    return _named(body)[0]


#: Largest content length of each integer type (one more than its width, for a leading zero).
_INT_LIMITS = {INTEGER: 4, COUNTER32: 5, GAUGE32: 5, TIMETICKS: 5, COUNTER64: 9}


def _checked_integer(tag: int, body: bytes, oid: str) -> int:
    """An integer value whose length is not the common case: zero, wide, or oversized (refused).

    SNMP's INTEGER is Integer32, its Counter32/Gauge32/TimeTicks are 32-bit unsigned and
    Counter64 64-bit: a longer encoding is garbage, however the bytes read. An INTEGER of 5
    bytes is let through when it holds an unsigned 32-bit number (some agents put one there).
    """
    name = TYPE_NAMES[tag]
    if not body:
        raise BerError(f"{name} at {oid} has no content octets", oid=oid)
    if tag == INTEGER:
        value = int.from_bytes(body, "big", signed=True)
        if len(body) <= 5 and -(2**31) <= value <= MAX_SUB_ID:
            return value
    else:
        value = int.from_bytes(body, "big")
        width = 64 if tag == COUNTER64 else 32
        if len(body) <= _INT_LIMITS[tag] and value >> width == 0:
            return value
    raise BerError(f"{name} at {oid} is {len(body)} bytes long (oversized: {_shown(body)})", oid=oid)


def _value(tag: int, body: bytes, oid: str) -> Any:
    """A value of a type other than the three common ones (checked: see :func:`_checked_integer`)."""
    if tag in _INT_LIMITS:
        return _checked_integer(tag, body, oid)
    if tag == OPAQUE:
        return body
    if tag == OBJECT_ID:
        try:
            return decode_oid_body(body)
        except BerError as exc:
            raise BerError(f"the OID value at {oid} is malformed: {exc}", oid=oid) from None
    if tag == IP_ADDRESS:
        if len(body) != 4:
            raise BerError(f"IpAddress at {oid} is {len(body)} bytes long, not 4", oid=oid)
        return ".".join(map(str, body))
    if tag == NULL or tag in EXCEPTIONS:
        if body:
            raise BerError(f"{TYPE_NAMES[tag]} at {oid} carries {len(body)} content bytes", oid=oid)
        return None
    raise BerError(f"unknown value tag 0x{tag:02x} at {oid}", oid=oid)


def decode_message(buf: bytes) -> tuple[int, bytes, Pdu]:
    """Decode a v1/v2c message: (version, community, PDU)."""
    try:
        if buf[0] != SEQUENCE:
            raise BerError("not a SEQUENCE")
        _, pos = _length(buf, 1)
        if buf[pos] != INTEGER:
            raise BerError("no version")
        n, pos = _length(buf, pos + 1)
        version = int.from_bytes(buf[pos : pos + n], "big")
        pos += n
        if buf[pos] != OCTET_STRING:
            raise BerError("no community")
        n, pos = _length(buf, pos + 1)
        community = buf[pos : pos + n]
        pos += n
    except IndexError as exc:
        raise BerError("truncated message") from exc
    try:
        return version, community, decode_pdu(buf, pos)
    except BerError as exc:
        exc.version, exc.community = version, community
        raise


def decode_pdu(buf: bytes, pos: int = 0) -> Pdu:
    """Decode a PDU starting at ``pos``; a fault past the request-id names it (:class:`BerError`)."""
    ints: list[int] = []
    try:
        tag = buf[pos]
        _, pos = _length(buf, pos + 1)
        ints = []
        for _ in range(3):
            if buf[pos] != INTEGER:
                raise BerError("malformed PDU header")
            n, pos = _length(buf, pos + 1)
            ints.append(int.from_bytes(buf[pos : pos + n], "big", signed=True))
            pos += n
        if buf[pos] != SEQUENCE:
            raise BerError("no variable-bindings")
        total, pos = _length(buf, pos + 1)
        end = pos + total
        if end > len(buf):
            raise BerError("truncated variable-bindings")
        varbinds: list[VarBind] = []
        append = varbinds.append
        cache_get = _OID_CACHE.get
        make = tuple.__new__  # a VarBind without NamedTuple's Python-level __new__: a poller makes millions
        while pos < end:
            if buf[pos] != SEQUENCE:
                raise BerError("malformed variable-binding")
            # short lengths are the rule: read inline, fall back to _length otherwise
            n = buf[pos + 1]
            pos = pos + 2 if n < 0x80 else _length(buf, pos + 1)[1]
            if buf[pos] != OBJECT_ID:
                raise BerError("variable-binding without OID")
            n = buf[pos + 1]
            if n < 0x80:
                start = pos + 2
            else:
                n, start = _length(buf, pos + 1)
            raw = buf[start : start + n]
            named = cache_get(raw) or _named(raw)
            pos = start + n
            vtag = buf[pos]
            n = buf[pos + 1]
            if n < 0x80:
                start = pos + 2
            else:
                n, start = _length(buf, pos + 1)
            body = buf[start : start + n]
            pos = start + n
            # The common cases inline; anything long, empty or rarer is checked by _value.
            if vtag == INTEGER and 0 < n <= 4:
                value: Any = int.from_bytes(body, "big", signed=True)
            elif vtag == OCTET_STRING:
                value = body
            elif vtag in _UNSIGNED and (0 < n <= 4 or (vtag == COUNTER64 and 4 < n <= 8)):
                value = int.from_bytes(body, "big")
            else:
                value = _value(vtag, body, named[0])
            append(make(VarBind, (named[0], vtag, value, raw, named[1])))
        if pos != end:
            raise BerError("variable-bindings overrun")
        return Pdu(tag, ints[0], ints[1], ints[2], varbinds)
    except IndexError as exc:
        error = BerError("truncated PDU")
        if ints:
            error.request_id = ints[0]
        raise error from exc
    except BerError as exc:
        if ints:
            exc.request_id = ints[0]
        raise
