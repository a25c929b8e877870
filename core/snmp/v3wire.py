"""SNMPv3 messages on the wire (RFC 3412 §6, RFC 3414 §2.4): parse a received message up to its
msgData, and build one around a scoped PDU; no keys, no I/O (:mod:`govnet.snmp.v3` sends them).

A v3 message wraps the same PDU as v2c::

    SEQUENCE { msgVersion 3,
               msgGlobalData SEQUENCE { msgID, msgMaxSize, msgFlags, msgSecurityModel 3 },
               msgSecurityParameters OCTET STRING (UsmSecurityParameters, RFC 3414 §2.4),
               msgData: scopedPDU SEQUENCE { contextEngineID, contextName, PDU }
                        or its encryption, an OCTET STRING }
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from govnet.snmp import ber

#: msgFlags bits (RFC 3412 §6.4).
FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE = 0x01, 0x02, 0x04
USM_SECURITY_MODEL = 3
MAX_MESSAGE_SIZE = 65507


@dataclass(slots=True)
class Envelope:
    """A received v3 message, parsed up to (not into) its msgData."""

    msg_id: int
    flags: int
    security_model: int
    engine_id: bytes
    boots: int
    engine_time: int
    user: bytes
    auth_params: bytes
    #: Where the authentication parameters' value starts in :attr:`data` (zeroed to verify).
    auth_offset: int
    priv_params: bytes
    data: bytes
    #: Where msgData (a scopedPDU SEQUENCE, or an OCTET STRING when encrypted) starts.
    payload: int


def _expect(buf: bytes, pos: int, tag: int, what: str) -> tuple[int, int]:
    """The content (start, end) of the TLV at ``pos``, which must carry ``tag``."""
    if buf[pos] != tag:
        raise ber.BerError(f"v3 message: {what} missing")
    n = buf[pos + 1]
    if n < 0x80:  # short lengths are the rule: read inline
        start = pos + 2
    else:
        n, start = ber.read_length(buf, pos + 1)
    end = start + n
    if end > len(buf):
        raise ber.BerError(f"v3 message: {what} truncated")
    return start, end


def _integer(buf: bytes, pos: int, what: str) -> tuple[int, int]:
    start, end = _expect(buf, pos, ber.INTEGER, what)
    return int.from_bytes(buf[start:end], "big", signed=True), end


def octets(buf: bytes, pos: int, what: str) -> tuple[bytes, int, int]:
    start, end = _expect(buf, pos, ber.OCTET_STRING, what)
    return buf[start:end], start, end


def decode_envelope(buf: bytes) -> Envelope:
    """Parse a v3 message's header and USM parameters; :class:`ber.BerError` if it is not one."""
    try:
        pos = _expect(buf, 0, ber.SEQUENCE, "message")[0]
        if buf[pos : pos + 3] != b"\x02\x01\x03":
            raise ber.BerError("not an SNMPv3 message (msgVersion is not 3)")
        pos = _expect(buf, pos + 3, ber.SEQUENCE, "msgGlobalData")[0]
        msg_id, pos = _integer(buf, pos, "msgID")
        pos = _expect(buf, pos, ber.INTEGER, "msgMaxSize")[1]
        start, pos = _expect(buf, pos, ber.OCTET_STRING, "msgFlags")
        if pos - start != 1:
            raise ber.BerError("v3 message: msgFlags is not one octet")
        flags = buf[start]
        model, pos = _integer(buf, pos, "msgSecurityModel")
        start, payload = _expect(buf, pos, ber.OCTET_STRING, "msgSecurityParameters")
        pos = _expect(buf, start, ber.SEQUENCE, "UsmSecurityParameters")[0]
        engine_id, _, pos = octets(buf, pos, "msgAuthoritativeEngineID")
        boots, pos = _integer(buf, pos, "msgAuthoritativeEngineBoots")
        engine_time, pos = _integer(buf, pos, "msgAuthoritativeEngineTime")
        user, _, pos = octets(buf, pos, "msgUserName")
        auth_params, auth_offset, pos = octets(buf, pos, "msgAuthenticationParameters")
        priv_params, _, pos = octets(buf, pos, "msgPrivacyParameters")
        if pos != payload or payload >= len(buf):
            raise ber.BerError("v3 message: security parameters overrun or no msgData")
    except IndexError as exc:
        raise ber.BerError("truncated v3 message") from exc
    return Envelope(
        msg_id, flags, model, engine_id, boots, engine_time, user, auth_params, auth_offset,
        priv_params, buf, payload,
    )  # fmt: skip


def decode_scoped_pdu(buf: bytes, pos: int = 0) -> ber.Pdu:
    """The PDU inside a plaintext scopedPDU starting at ``pos`` (trailing DES padding is ignored)."""
    try:
        pos = _expect(buf, pos, ber.SEQUENCE, "scopedPDU")[0]
        _, _, pos = octets(buf, pos, "contextEngineID")
        _, _, pos = octets(buf, pos, "contextName")
    except IndexError as exc:
        raise ber.BerError("truncated scopedPDU") from exc
    return ber.decode_pdu(buf, pos)


def encode_scoped_pdu(context_engine_id: bytes, context_name: bytes, pdu: bytes) -> bytes:
    """``scopedPDU ::= SEQUENCE { contextEngineID, contextName, data }``."""
    return ber.tlv(
        ber.SEQUENCE,
        ber.tlv(ber.OCTET_STRING, context_engine_id) + ber.tlv(ber.OCTET_STRING, context_name) + pdu,
    )


@functools.lru_cache(maxsize=4096)
def _fixed_parts(flags: int, engine_id: bytes, user: bytes, mac_length: int) -> tuple[bytes, bytes, bytes]:
    """What stays the same from one message to the next of a session: encoded once."""
    global_tail = (
        ber.encode_int(MAX_MESSAGE_SIZE)
        + ber.tlv(ber.OCTET_STRING, bytes((flags,)))
        + ber.encode_int(USM_SECURITY_MODEL)
    )
    engine = ber.tlv(ber.OCTET_STRING, engine_id)
    user_and_mac = (
        ber.tlv(ber.OCTET_STRING, user)
        + bytes((ber.OCTET_STRING,))
        + ber.encode_length(mac_length)
        + bytes(mac_length)
    )
    return global_tail, engine, user_and_mac


def encode_message(
    msg_id: int,
    flags: int,
    engine_id: bytes,
    boots: int,
    engine_time: int,
    user: bytes,
    mac_length: int,
    priv_params: bytes,
    msg_data: bytes,
) -> tuple[bytes, int]:
    """A v3 message with ``mac_length`` zero octets as its MAC: (message, offset of the MAC)."""
    global_tail, engine, user_and_mac = _fixed_parts(flags, engine_id, user, mac_length)
    global_data = ber.tlv(ber.SEQUENCE, ber.encode_int(msg_id) + global_tail)
    head = engine + ber.encode_int(boots) + ber.encode_int(engine_time) + user_and_mac
    usm_body = head + ber.tlv(ber.OCTET_STRING, priv_params)
    usm_sequence = ber.tlv(ber.SEQUENCE, usm_body)
    security = ber.tlv(ber.OCTET_STRING, usm_sequence)
    inner = b"\x02\x01\x03" + global_data + security + msg_data
    message = ber.tlv(ber.SEQUENCE, inner)
    # the MAC is the last thing in ``head``; everything before it has a known length
    offset = (
        len(message)
        - len(inner)
        + 3
        + len(global_data)
        + len(security)
        - len(usm_body)
        + len(head)
        - mac_length
    )
    return message, offset
