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
    """The bytes are not a well-formed SNMP message."""


class VarBind(NamedTuple):
    """One variable binding: numeric OID, BER tag of the value, and the value as Python.

    A named tuple, not a dataclass: a poller builds millions, and a tuple is the cheapest to build.
    """

    oid: str
    tag: int
    value: Any
    #: The OID's encoded content octets: they sort like the OID itself, so walks compare these.
    raw: bytes = b""

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

    >>> oid_body("1.3.6.1.2.1.2.2").hex()
    '2b060102010202'
    """
    arcs = [int(a) for a in oid.strip(".").split(".")]
    if len(arcs) < 2:
        raise BerError(f"an OID needs two arcs at least: '{oid}'")
    out = bytearray((arcs[0] * 40 + arcs[1],)) if arcs[1] < 40 or arcs[0] == 2 else bytearray()
    if not out:
        raise BerError(f"bad OID '{oid}'")
    for arc in arcs[2:]:
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

_OID_CACHE: dict[bytes, str] = {}
_OID_CACHE_MAX = 500_000


def _length(buf: bytes, pos: int) -> tuple[int, int]:
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0 or count > 4:
        raise BerError("indefinite or oversized length")
    return int.from_bytes(buf[pos + 1 : pos + 1 + count], "big"), pos + 1 + count


def decode_oid_body(body: bytes) -> str:
    """The dotted form of an OID's content octets (cached).

    >>> decode_oid_body(bytes.fromhex("2b06010201010300"))
    '1.3.6.1.2.1.1.3.0'
    """
    cached = _OID_CACHE.get(body)
    if cached is not None:
        return cached
    if not body:
        raise BerError("empty OID")
    first = body[0]
    if first < 40:
        arcs = [0, first]
    elif first < 80:
        arcs = [1, first - 40]
    else:
        arcs = [2, first - 80]
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            arcs.append(value)
            value = 0
    text = ".".join(map(str, arcs))
    if len(_OID_CACHE) < _OID_CACHE_MAX:
        _OID_CACHE[bytes(body)] = text
    return text


def _value(tag: int, body: bytes) -> Any:
    if tag == INTEGER:
        return int.from_bytes(body, "big", signed=True)
    if tag in _UNSIGNED:
        return int.from_bytes(body, "big")
    if tag in {OCTET_STRING, OPAQUE}:
        return body
    if tag == OBJECT_ID:
        return decode_oid_body(body)
    if tag == IP_ADDRESS:
        return ".".join(map(str, body))
    if tag == NULL or tag in EXCEPTIONS:
        return None
    raise BerError(f"unknown value tag 0x{tag:02x}")


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
        return version, community, decode_pdu(buf, pos)
    except IndexError as exc:
        raise BerError("truncated message") from exc


def decode_pdu(buf: bytes, pos: int = 0) -> Pdu:
    """Decode a PDU starting at ``pos``."""
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
            oid = cache_get(raw) or decode_oid_body(raw)
            pos = start + n
            vtag = buf[pos]
            n = buf[pos + 1]
            if n < 0x80:
                start = pos + 2
            else:
                n, start = _length(buf, pos + 1)
            body = buf[start : start + n]
            pos = start + n
            if vtag == INTEGER:
                value: Any = int.from_bytes(body, "big", signed=True)
            elif vtag == OCTET_STRING:
                value = body
            elif vtag in _UNSIGNED:
                value = int.from_bytes(body, "big")
            else:
                value = _value(vtag, body)
            append(VarBind(oid, vtag, value, raw))
        if pos != end:
            raise BerError("variable-bindings overrun")
        return Pdu(tag, ints[0], ints[1], ints[2], varbinds)
    except IndexError as exc:
        raise BerError("truncated PDU") from exc
