"""SNMP sessions on asyncio: GET and bulk walks, v2c and v3, with one result type.

Two engines stand behind one interface (:class:`Session`):

* :class:`V2cSession` speaks SNMPv2c itself with :mod:`govnet.snmp.ber` over a connected UDP
  socket: the fast path the poller uses for most devices;
* :class:`govnet.snmp.v3.V3Session` speaks SNMPv3 USM (authPriv, authNoPriv) with the same codec:
  the fast path for v3 devices;
* :class:`PysnmpSession` drives pysnmp 7's asyncio engine: selectable with ``engine="pysnmp"``
  and, in tests, the reference the fast paths must match.

Both return :class:`govnet.snmp.ber.VarBind` lists, and both read and walk through
:mod:`govnet.snmp.walk` (what real agents need: tuple order, capped and unsorted answers, tooBig,
noSuchName). Every target address passes the interlock (:func:`govnet.safety.check_target`)
before the first packet; errors are :class:`SnmpError` (see :mod:`govnet.snmp.errors`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from govnet.safety import check_target
from govnet.snmp import ber
from govnet.snmp.ber import VarBind
from govnet.snmp.errors import (
    SnmpAgentError,
    SnmpError,
    SnmpMalformedError,
    SnmpStatusError,
    SnmpTimeoutError,
    SnmpUnreadableError,
)
from govnet.snmp.exchange import Waiting, exchange
from govnet.snmp.target import Target
from govnet.snmp.v3 import V3Session
from govnet.snmp.walk import ColumnWalk, ScalarGet, get_scalars, walk_columns

__all__ = [
    "ColumnWalk",
    "PysnmpSession",
    "ScalarGet",
    "Session",
    "SnmpAgentError",
    "SnmpError",
    "SnmpMalformedError",
    "SnmpStatusError",
    "SnmpTimeoutError",
    "SnmpUnreadableError",
    "Target",
    "V2cSession",
    "get_scalars",
    "open_session",
    "walk_columns",
]


class Session(Protocol):
    """What the poller, discovery and tests use, whatever the engine."""

    target: Target

    async def get(self, oids: Sequence[str]) -> list[VarBind]:
        """GET of the given OIDs, in order."""
        ...

    async def walk(self, oid: str) -> list[VarBind]:
        """Every varbind under ``oid`` (GETBULK), in order."""
        ...

    async def walk_columns(
        self, columns: Sequence[str], first_rows: int | None = None
    ) -> dict[str, list[VarBind]]:
        """Several table columns at once: column OID -> its varbinds, in order.

        Engines return a :class:`~govnet.snmp.walk.ColumnWalk` (a dict with ``warnings``)
        from :func:`govnet.snmp.walk.walk_columns`; ``first_rows`` caps the first request's rows.
        """
        ...

    async def close(self) -> None:
        """Release the socket."""
        ...


class _Datagrams(Waiting[ber.Pdu]):
    """Hands each v2c answer of the session's community to the request waiting for its id."""

    def __init__(self) -> None:
        super().__init__()
        self.community = b""
        self.host = ""

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            version, community, pdu = ber.decode_message(data)
        except ber.BerError as exc:
            self.garbage += 1
            self.last_garbage = f"{exc} ({ber.shown(data, 12)})"
            # Malformed, but an answer to one of ours: tell that request what was wrong.
            if exc.request_id is not None and exc.version == 1 and exc.community == self.community:
                self.fail(exc.request_id, SnmpMalformedError(self.host, str(exc), exc.oid))
            return
        if version != 1 or community != self.community:
            self.garbage += 1
            self.last_garbage = "an answer of another version or community"
            return
        if pdu.tag != ber.RESPONSE:  # an echo of the request, a trap...: not what was asked
            self.fail(
                pdu.request_id,
                SnmpMalformedError(self.host, f"a {ber.pdu_name(pdu.tag)} PDU where a Response was due"),
            )
            return
        self.answer(pdu.request_id, pdu)


class V2cSession:
    """SNMPv2c with govnet's own BER codec: the fast path."""

    def __init__(self, target: Target) -> None:
        assert target.community is not None
        self.target = target
        self._community = target.community.get_secret_value().encode()
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: _Datagrams | None = None
        self._next_id = random.randrange(1, 1 << 30)
        self.requests = 0

    async def _open(self) -> tuple[asyncio.DatagramTransport, _Datagrams]:
        if self._transport is None or self._protocol is None:
            check_target(self.target.host)
            loop = asyncio.get_running_loop()
            try:
                transport, protocol = await loop.create_datagram_endpoint(
                    _Datagrams, remote_addr=(self.target.host, self.target.port)
                )
            except OSError as exc:
                raise SnmpError(f"{self.target.host}: cannot open a UDP socket: {exc.strerror}") from exc
            protocol.community = self._community
            protocol.host = self.target.host
            self._transport, self._protocol = transport, protocol
        return self._transport, self._protocol

    def _new_id(self) -> int:
        """The next request id (every attempt gets its own), counted as a request sent."""
        self._next_id = (self._next_id + 1) & 0x7FFFFFFF
        self.requests += 1
        return self._next_id

    async def _request(self, tag: int, oids: Sequence[str], max_repetitions: int = 0) -> ber.Pdu:
        """One request, sent again on timeout; the first answer to any attempt is the answer."""
        transport, protocol = await self._open()
        oid_list = list(oids)
        attempts = self.target.retries + 1

        def build(request_id: int) -> bytes:
            return ber.encode_request(1, self._community, tag, request_id, oid_list, 0, max_repetitions)

        garbage = protocol.garbage
        try:
            pdu: ber.Pdu = await exchange(
                transport, protocol, build, self._new_id, self.target.timeout, attempts
            )
        except TimeoutError:
            if protocol.garbage > garbage:  # the agent is there, but says nothing readable
                raise SnmpUnreadableError(
                    self.target.host, self.target.port, protocol.garbage - garbage, protocol.last_garbage
                ) from None
            raise SnmpTimeoutError(
                f"{self.target.host}:{self.target.port}: no answer in {self.target.timeout:g} s × {attempts}",
                hint="check the address, the community or v3 keys, and that the agent runs",
            ) from None
        if pdu.error_status:
            raise SnmpStatusError(self.target.host, pdu.error_status, pdu.error_index)
        return pdu

    async def get(self, oids: Sequence[str]) -> list[VarBind]:
        """GET of the given OIDs (in order; what the agent refuses is asked again without it)."""
        return await get_scalars(self._get_once, list(oids), self.target.host)

    async def _get_once(self, oids: list[str]) -> list[VarBind]:
        return (await self._request(ber.GET, oids)).varbinds

    async def _bulk(self, oids: list[str], reps: int) -> list[VarBind]:
        return (await self._request(ber.GET_BULK, oids, reps)).varbinds

    async def walk(self, oid: str) -> list[VarBind]:
        """GETBULK walk of a subtree (see :func:`govnet.snmp.walk.walk_columns`)."""
        return (await self.walk_columns([oid]))[oid]

    async def walk_columns(self, columns: Sequence[str], first_rows: int | None = None) -> ColumnWalk:
        """Walk several columns with multi-varbind GETBULKs (see :func:`govnet.snmp.walk.walk_columns`)."""
        return await walk_columns(
            self._bulk,
            columns,
            self.target.max_repetitions,
            self.target.host,
            first_rows=first_rows,
            max_varbinds=self.target.max_varbinds,
        )

    async def close(self) -> None:
        """Close the socket."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None


# --------------------------------------------------------------------------- pysnmp engine


def _to_varbind(oid: Any, value: Any) -> VarBind:
    """Convert pysnmp's (ObjectName, value) to a VarBind with the same tag and Python value."""
    name = type(value).__name__
    text = str(oid)
    if name in {"NoSuchObject", "NoSuchInstance", "EndOfMibView"}:
        special = {
            "NoSuchObject": ber.NO_SUCH_OBJECT,
            "NoSuchInstance": ber.NO_SUCH_INSTANCE,
            "EndOfMibView": ber.END_OF_MIB_VIEW,
        }[name]
        return VarBind(text, special, None, ber.oid_body(text))
    tags = {
        "Integer": ber.INTEGER,
        "Integer32": ber.INTEGER,
        "OctetString": ber.OCTET_STRING,
        "Counter32": ber.COUNTER32,
        "Gauge32": ber.GAUGE32,
        "Unsigned32": ber.GAUGE32,
        "TimeTicks": ber.TIMETICKS,
        "Counter64": ber.COUNTER64,
        "IpAddress": ber.IP_ADDRESS,
        "ObjectIdentifier": ber.OBJECT_ID,
        "ObjectName": ber.OBJECT_ID,
        "Opaque": ber.OPAQUE,
        "Null": ber.NULL,
        "Bits": ber.OCTET_STRING,
    }
    tag = tags.get(name)
    if tag is None:
        raise SnmpError(f"unexpected SNMP type {name} at {text}")
    if tag in {ber.OCTET_STRING, ber.OPAQUE}:
        py: Any = bytes(value.asOctets())
    elif tag == ber.IP_ADDRESS:
        py = ".".join(map(str, value.asOctets()))
    elif tag == ber.OBJECT_ID:
        py = str(value)
    elif tag == ber.NULL:
        py = None
    else:
        py = int(value)
    return VarBind(text, tag, py, ber.oid_body(text))


def usm_protocols(target: Target) -> tuple[Any, Any]:
    """pysnmp's USM (auth, priv) protocol identifiers for a v3 target's normalised names.

    ``aes192``/``aes256`` are net-snmp's ``AES-192``/``AES-256`` (draft-blumenthal key extension;
    pysnmp's ``usmAesCfb256Protocol`` is Cisco's, net-snmp's ``AES-256-C``: ``aes256c`` here).
    No priv key means authNoPriv.
    """
    from pysnmp.hlapi.v3arch import asyncio as hl  # noqa: PLC0415  (pysnmp: its engine and traps only)

    auth = {
        "sha": hl.usmHMACSHAAuthProtocol,
        "md5": hl.usmHMACMD5AuthProtocol,
        "sha224": hl.usmHMAC128SHA224AuthProtocol,
        "sha256": hl.usmHMAC192SHA256AuthProtocol,
        "sha384": hl.usmHMAC256SHA384AuthProtocol,
        "sha512": hl.usmHMAC384SHA512AuthProtocol,
    }
    priv = {
        "aes": hl.usmAesCfb128Protocol,
        "aes192": hl.usmAesBlumenthalCfb192Protocol,
        "aes256": hl.usmAesBlumenthalCfb256Protocol,
        "aes192c": hl.usmAesCfb192Protocol,
        "aes256c": hl.usmAesCfb256Protocol,
        "des": hl.usmDESPrivProtocol,
    }
    if target.priv_key is None:
        return auth[target.auth_protocol], hl.usmNoPrivProtocol
    return auth[target.auth_protocol], priv[target.priv_protocol]


class PysnmpSession:
    """pysnmp 7's asyncio engine: SNMPv3 USM authPriv, and the reference for v2c."""

    def __init__(self, target: Target, engine: Any = None) -> None:
        self.target = target
        self._engine = engine
        self._owns_engine = engine is None
        self._transport: Any = None
        self._auth: Any = None

    async def _setup(self) -> tuple[Any, Any, Any]:
        from pysnmp.hlapi.v3arch import asyncio as hl  # noqa: PLC0415  (pysnmp: engine="pysnmp" only)

        if self._engine is None:
            self._engine = hl.SnmpEngine()
        if self._transport is None:
            check_target(self.target.host)
            self._transport = await hl.UdpTransportTarget.create(
                (self.target.host, self.target.port), timeout=self.target.timeout, retries=self.target.retries
            )
        if self._auth is None:
            if self.target.version == "2c":
                assert self.target.community is not None
                self._auth = hl.CommunityData(self.target.community.get_secret_value(), mpModel=1)
            else:
                assert self.target.auth_key is not None
                auth, priv = usm_protocols(self.target)
                priv_key = self.target.priv_key
                self._auth = hl.UsmUserData(
                    self.target.user,
                    authKey=self.target.auth_key.get_secret_value(),
                    privKey=priv_key.get_secret_value() if priv_key is not None else None,
                    authProtocol=auth,
                    privProtocol=priv,
                )
        return hl, self._engine, self._transport

    def _check(self, error_indication: Any, error_status: Any, error_index: Any) -> None:
        if error_indication:
            text = str(error_indication)
            if "timeout" in text.lower() or "No SNMP response" in text:
                raise SnmpTimeoutError(
                    f"{self.target.host}:{self.target.port}: {text}",
                    hint="check the address, the credentials, and that the agent runs",
                )
            raise SnmpError(f"{self.target.host}: {text}")
        if error_status:
            raise SnmpStatusError(self.target.host, int(error_status), int(error_index or 0))

    async def get(self, oids: Sequence[str]) -> list[VarBind]:
        """GET through pysnmp (see :func:`govnet.snmp.walk.get_scalars`)."""
        hl, engine, transport = await self._setup()

        async def get_once(asked: list[str]) -> list[VarBind]:
            objects = [hl.ObjectType(hl.ObjectIdentity(o)) for o in asked]
            ei, es, ex, vbs = await hl.get_cmd(
                engine, self._auth, transport, hl.ContextData(), *objects, lookupMib=False
            )
            self._check(ei, es, ex)
            return [_to_varbind(o, v) for o, v in vbs]

        return await get_scalars(get_once, list(oids), self.target.host)

    async def walk(self, oid: str) -> list[VarBind]:
        """GETBULK walk of one subtree through pysnmp."""
        return (await self.walk_columns([oid]))[oid]

    async def walk_columns(self, columns: Sequence[str], first_rows: int | None = None) -> ColumnWalk:
        """Several columns per GETBULK through pysnmp (see :func:`govnet.snmp.walk.walk_columns`)."""
        hl, engine, transport = await self._setup()

        async def bulk(oids: list[str], reps: int) -> list[VarBind]:
            objects = [hl.ObjectType(hl.ObjectIdentity(o)) for o in oids]
            ei, es, ex, vbs = await hl.bulk_cmd(
                engine, self._auth, transport, hl.ContextData(), 0, reps, *objects, lookupMib=False
            )
            self._check(ei, es, ex)
            return [_to_varbind(o, v) for o, v in vbs]

        return await walk_columns(
            bulk,
            columns,
            self.target.max_repetitions,
            self.target.host,
            first_rows=first_rows,
            max_varbinds=self.target.max_varbinds,
        )

    async def close(self) -> None:
        """Close the engine's transports, unless the engine is shared (see :func:`open_session`)."""
        if self._engine is not None and self._owns_engine:
            self._engine.close_dispatcher()


def open_session(
    target: Target, *, engine: Literal["auto", "fast", "pysnmp"] = "auto", snmp_engine: Any = None
) -> Session:
    """A session for a target: govnet's own codec (v2c, or v3 USM) unless ``engine="pysnmp"``.

    ``snmp_engine`` shares one pysnmp engine between sessions (a poller's): building one costs
    about 70 ms of CPU, more than polling a small device. The fast v3 path shares agents' clocks
    and localised keys through :data:`govnet.snmp.v3state.DEFAULT_CACHE`.
    """
    if engine == "pysnmp":
        return PysnmpSession(target, snmp_engine)
    if target.version == "3":
        return V3Session(target)
    return V2cSession(target)
