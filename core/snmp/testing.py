"""A real SNMP v2c agent on loopback that misbehaves on demand: a test double for pollers.

Like httpx's ``MockTransport``, it is for tests, but nothing is mocked: it listens on a UDP
socket of 127.0.0.1 (a port the OS picks), decodes requests with govnet's own codec, and
answers GET, GETNEXT and GETBULK from a table of OIDs, with the faults real agents have::

    mib = Mib()
    mib.column("1.3.6.1.2.1.2.2.1.2", {1: octets(b"lo"), 16384: octets(b"eth0")})
    with AgentServer(Agent(mib, max_varbinds=10)) as server:
        ...  # poll 127.0.0.1:server.port with community "public"

Faults (:class:`Agent` fields): varbind caps per response, tooBig above a size, v1-style
noSuchName in GETs, an unsorted table (an explicit walk order), late answers (a busy agent that
answers each request once, after a delay, ignoring the retries it gets meanwhile), OIDs padded
with 0x80 bytes, values with any encoding (oversized integers are just bytes, see
:func:`raw`), requests naming too many OIDs refused, silence, and garbage. endOfMibView and
short rows (a row missing some columns) come from the table itself.
"""

from __future__ import annotations

import asyncio
import bisect
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, cast

from govnet.snmp import ber
from govnet.snmp.errors import NO_SUCH_NAME

#: A value as the agent sends it: BER tag and content octets (any bytes: the agent does not check).
Value = tuple[int, bytes]
Arcs = tuple[int, ...]


def integer(value: int) -> Value:
    """An INTEGER, minimally encoded."""
    return ber.INTEGER, ber.encode_int(value)[2:]


def unsigned(tag: int, value: int) -> Value:
    """A Counter32, Gauge32, TimeTicks or Counter64, minimally encoded."""
    return tag, ber.encode_int(value, tag)[2:]


def octets(value: bytes) -> Value:
    """An OCTET STRING."""
    return ber.OCTET_STRING, value


def oid_value(value: str) -> Value:
    """An OBJECT IDENTIFIER value."""
    return ber.OBJECT_ID, ber.oid_body(value)


def raw(tag: int, body: bytes) -> Value:
    """Any tag with any content octets: a 12-byte Counter64, a 20-byte INTEGER..."""
    return tag, body


def arcs(oid: str) -> Arcs:
    """``"1.3.6"`` → ``(1, 3, 6)``."""
    return tuple(int(a) for a in oid.strip(".").split("."))


def dotted(oid: Arcs) -> str:
    """``(1, 3, 6)`` → ``"1.3.6"``."""
    return ".".join(map(str, oid))


class Mib:
    """The agent's objects: OID → value, walked in OID order unless :meth:`order` says otherwise."""

    def __init__(self, objects: Mapping[str, Value] | None = None) -> None:
        self.objects: dict[Arcs, Value] = {}
        self._sorted: list[Arcs] | None = None
        self._order: list[Arcs] | None = None
        for oid, value in (objects or {}).items():
            self.set(oid, value)

    def set(self, oid: str, value: Value) -> None:
        """One object."""
        self.objects[arcs(oid)] = value
        self._sorted = None

    def column(self, column: str, rows: Mapping[int, Value] | Mapping[str, Value]) -> None:
        """One table column: ``{index: value}`` (an index may be ``"1.2.3"``)."""
        for index, value in rows.items():
            self.set(f"{column}.{index}", value)

    def order(self, oids: Iterable[str]) -> None:
        """Walk these objects in this order (an unsorted agent), in the places they hold in OID
        order; set every object first."""
        listed = [arcs(o) for o in oids]
        slots = sorted(self.sorted_oids.index(o) for o in listed)
        order = list(self.sorted_oids)
        for slot, oid in zip(slots, listed, strict=True):
            order[slot] = oid
        self._order = order

    @property
    def sorted_oids(self) -> list[Arcs]:
        if self._sorted is None:
            self._sorted = sorted(self.objects)
        return self._sorted

    def next_after(self, oid: Arcs) -> Arcs | None:
        """What a GETNEXT of ``oid`` answers (None: endOfMibView).

        In OID order: the first object after ``oid``. With an explicit order: the object after
        ``oid`` in that order if ``oid`` is one, else the first object in that order after it.
        """
        if self._order is None:
            keys = self.sorted_oids
            at = bisect.bisect_right(keys, oid)
            return keys[at] if at < len(keys) else None
        if oid in self.objects:
            at = self._order.index(oid) + 1
            return self._order[at] if at < len(self._order) else None
        return next((o for o in self._order if o > oid), None)


@dataclass
class Agent:
    """How the agent behaves (every fault off by default: a well-behaved v2c agent)."""

    mib: Mib
    community: bytes = b"public"
    #: Cut every response to at most this many varbinds (many agents cap at 64 or fewer).
    max_varbinds: int | None = None
    #: Answer tooBig (error-status 1) when the response would exceed this many bytes.
    too_big_bytes: int | None = None
    #: A GET of a missing object gets a v1-style noSuchName error-status, not noSuchObject.
    v1_errors_in_get: bool = False
    #: Refuse (never answer) a request naming more OIDs than this.
    max_request_oids: int | None = None
    #: Answer each request once, after this many seconds, ignoring its retries meanwhile.
    late: float | None = None
    #: OIDs under these prefixes are sent with a 0x80 byte padding their last sub-identifier.
    padded: tuple[str, ...] = ()
    #: Never answer.
    silent: bool = False
    #: Fall silent after this many answers (an agent that dies, or stalls, half-way).
    stop_after: int | None = None
    #: Answer bytes that are not BER at all.
    garbage: bool = False
    #: What it saw: (PDU tag, OIDs named, max-repetitions) per request, refused ones included.
    seen: list[tuple[int, int, int]] = field(default_factory=list)
    #: Retries a late agent dropped because it was still busy with their request.
    dropped_retries: int = 0
    pending: set[bytes] = field(default_factory=set)

    @property
    def requests(self) -> int:
        """Requests received."""
        return len(self.seen)

    @property
    def widest(self) -> int:
        """The most OIDs one request named."""
        return max((n for _, n, _ in self.seen), default=0)

    # -- encoding
    def _oid(self, oid: Arcs) -> bytes:
        body = ber.oid_body(dotted(oid))
        text = dotted(oid)
        if any(text.startswith(p + ".") for p in self.padded):
            last = ber.oid_body(f"1.3.{oid[-1]}")[1:]
            body = body[: len(body) - len(last)] + b"\x80" + last
        return ber.tlv(ber.OBJECT_ID, body)

    def _varbind(self, oid: Arcs, value: Value) -> bytes:
        return ber.tlv(ber.SEQUENCE, self._oid(oid) + ber.tlv(*value))

    def _message(self, request_id: int, status: int, index: int, varbinds: list[bytes]) -> bytes:
        pdu = ber.tlv(
            ber.RESPONSE,
            ber.encode_int(request_id)
            + ber.encode_int(status)
            + ber.encode_int(index)
            + ber.tlv(ber.SEQUENCE, b"".join(varbinds)),
        )
        return ber.tlv(ber.SEQUENCE, ber.encode_int(1) + ber.tlv(ber.OCTET_STRING, self.community) + pdu)

    # -- answering
    def answer(self, data: bytes) -> bytes | None:
        """The response to one datagram (None: no answer)."""
        try:
            version, community, pdu = ber.decode_message(data)
        except ber.BerError:
            return None
        oids = [arcs(vb.oid) for vb in pdu.varbinds]
        if version != 1 or community != self.community or self._refuses(pdu, oids):
            return None
        if self.garbage:
            return b"\x30\x82\xff\xff not BER at all" + data[:5]
        null = (ber.NULL, b"")
        status, index = 0, 0
        out: list[tuple[Arcs, Value]] = []
        if pdu.tag == ber.GET:
            for position, oid in enumerate(oids, 1):
                value = self.mib.objects.get(oid)
                if value is None and self.v1_errors_in_get:
                    status, index = NO_SUCH_NAME, position
                    out = [(o, null) for o in oids]
                    break
                out.append((oid, value if value is not None else (ber.NO_SUCH_INSTANCE, b"")))
        elif pdu.tag == ber.GET_NEXT:
            out = [self._next(oid) for oid in oids]
        elif pdu.tag == ber.GET_BULK:
            out = self._bulk(oids, pdu.error_status, pdu.error_index)
        else:
            return None
        if self.max_varbinds is not None:
            out = out[: self.max_varbinds]
        varbinds = [self._varbind(o, v) for o, v in out]
        message = self._message(pdu.request_id, status, index, varbinds)
        if self.too_big_bytes is not None and len(message) > self.too_big_bytes:
            message = self._message(pdu.request_id, 1, 0, [self._varbind(o, null) for o in oids])
        return message

    def _refuses(self, pdu: ber.Pdu, oids: list[Arcs]) -> bool:
        """Whether this request goes unanswered (and counts it as seen)."""
        self.seen.append((pdu.tag, len(oids), pdu.error_index if pdu.tag == ber.GET_BULK else 0))
        if self.silent or (self.max_request_oids is not None and len(oids) > self.max_request_oids):
            return True
        if self.stop_after is not None:
            if self.stop_after <= 0:
                return True
            self.stop_after -= 1
        return False

    def _next(self, oid: Arcs) -> tuple[Arcs, Value]:
        found = self.mib.next_after(oid)
        if found is None:
            return oid, (ber.END_OF_MIB_VIEW, b"")
        return found, self.mib.objects[found]

    def _bulk(self, oids: list[Arcs], non_repeaters: int, max_repetitions: int) -> list[tuple[Arcs, Value]]:
        out = [self._next(oid) for oid in oids[:non_repeaters]]
        cursors = list(oids[non_repeaters:])
        for _ in range(max(0, max_repetitions)):
            row = [self._next(oid) for oid in cursors]
            out += row
            cursors = [oid for oid, _ in row]
            if all(value[0] == ber.END_OF_MIB_VIEW for _, value in row):
                break
        return out


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        agent = self.agent
        if agent.late is None:
            self._send(agent.answer(data), addr)
            return
        # A busy agent: one answer per request, late; retries of a pending request are dropped.
        key = _without_request_id(data)
        if key in agent.pending:
            agent.dropped_retries += 1
            return
        agent.pending.add(key)
        message = agent.answer(data)

        def later() -> None:
            agent.pending.discard(key)
            self._send(message, addr)

        asyncio.get_running_loop().call_later(agent.late, later)

    def _send(self, message: bytes | None, addr: Any) -> None:
        if message is not None and self.transport is not None:
            self.transport.sendto(message, addr)


def _without_request_id(data: bytes) -> bytes:
    """A request with its request-id blanked: what its retries have in common."""
    try:
        _, _, pdu = ber.decode_message(data)
    except ber.BerError:
        return data
    return bytes((pdu.tag, pdu.error_status, pdu.error_index)) + b"|".join(
        vb.oid.encode() for vb in pdu.varbinds
    )


class AgentServer:
    """Runs an :class:`Agent` on 127.0.0.1 in a thread of its own (its own event loop), so any
    client (asyncio.run, a CLI runner) can poll it. Use as a context manager; ``port`` is set."""

    def __init__(self, agent: Agent, host: str = "127.0.0.1", port: int = 0) -> None:
        self.agent = agent
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            transport, _ = loop.run_until_complete(
                loop.create_datagram_endpoint(
                    lambda: _Protocol(self.agent), local_addr=(self.host, self.port)
                )
            )
        except OSError as exc:
            self._failure = exc
            self._ready.set()
            loop.close()
            return
        self.port = int(transport.get_extra_info("sockname")[1])
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            transport.close()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def __enter__(self) -> AgentServer:
        self._thread = threading.Thread(target=self._serve, name="snmp-test-agent", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._failure is not None:
            raise self._failure
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)


class _Relay(asyncio.DatagramProtocol):
    """The client side of a :class:`LateProxy`: requests in, delayed answers out."""

    def __init__(self, proxy: LateProxy) -> None:
        self.proxy = proxy
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        proxy = self.proxy
        if proxy.pending or proxy.upstream is None:
            proxy.dropped += 1  # busy with the request before: a retry is lost
            return
        proxy.pending = True
        proxy.client = addr
        proxy.upstream.sendto(data)


class _Upstream(asyncio.DatagramProtocol):
    def __init__(self, proxy: LateProxy) -> None:
        self.proxy = proxy

    def datagram_received(self, data: bytes, addr: Any) -> None:
        proxy = self.proxy

        def deliver() -> None:
            proxy.pending = False
            if proxy.relay.transport is not None and proxy.client is not None:
                proxy.relay.transport.sendto(data, proxy.client)

        asyncio.get_running_loop().call_later(proxy.late, deliver)


class LateProxy:
    """A busy agent in front of any real one (v3 included, whose retries are new messages): each
    request is forwarded, its answer held ``late`` seconds, and requests arriving meanwhile (the
    client's retries) are dropped. Runs in a thread of its own like :class:`AgentServer`."""

    def __init__(self, upstream: tuple[str, int], late: float) -> None:
        self.target = upstream
        self.late = late
        self.port = 0
        self.pending = False
        self.dropped = 0
        self.client: Any = None
        self.relay = _Relay(self)
        self.upstream: asyncio.DatagramTransport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        front, _ = loop.run_until_complete(
            loop.create_datagram_endpoint(lambda: self.relay, local_addr=("127.0.0.1", 0))
        )
        back, _ = loop.run_until_complete(
            loop.create_datagram_endpoint(lambda: _Upstream(self), remote_addr=self.target)
        )
        self.upstream = back
        self.port = int(front.get_extra_info("sockname")[1])
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            front.close()
            back.close()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def __enter__(self) -> LateProxy:
        self._thread = threading.Thread(target=self._serve, name="snmp-late-proxy", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
