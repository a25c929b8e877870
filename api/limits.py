"""Limits that keep one caller from wearing the API down: failed authentications, dry runs, streams.

Failed authentications are counted per client address (an IPv6 client per /64, the block one
host or site is normally given, so that cycling through its own addresses gains nothing). After
:attr:`FailedAuth.max_failures` failures within :attr:`FailedAuth.window_s` seconds, that address
is locked out for :attr:`FailedAuth.lockout_s` seconds: every request it makes is answered 429
with ``Retry-After``, before any token is checked, so even the right secret is refused from there
until the lockout ends. The secret itself is still compared in constant time (auth.py); a lockout
is logged with the address and the last token id tried, never with a secret.

Never per token id alone: the id (the ``gvn_<id>_`` part) is not secret, it is printed in logs
and audit rows, so a lockout of the id for every address would let anyone who read or guessed it
lock the IOC's wall out by sending wrong secrets with it (a denial of service). And per-id
guessing is no threat worth that: a token's secret is 32 random bytes (256 bits), which no
number of tries finds. What the lockout guards against is one client hammering the API with
wrong tokens (scanning for valid ids, filling the log, spending its CPU), and that client is an
address. The same token used from another address is not affected. (A count per address and
token id as well would add nothing: it could never reach the limit before its address's count.)

The table is bounded (:attr:`FailedAuth.max_keys`): an attacker cycling through addresses
pushes out the oldest entries, not the process's memory.

Request bodies over a small limit are answered 413 (:class:`BodyLimit`).

Engineer dry runs each open SSH sessions to devices: at most :attr:`DryRunSlots.limit` run at
once, the next one is answered 429.

Each ``/events`` stream holds a connection and reads the store every second: at most
:attr:`StreamSlots.per_token` streams per token (a wall of screens, a few browser tabs) and
:attr:`StreamSlots.total` in all are open at once (``govnet serve --events-per-token``,
``--events-max``); the next is answered 429 with ``Retry-After`` and what to do. A stream's slot is
given back when it ends, however it ends (the client gone, its token revoked, the server
stopping): :class:`StreamSlot` is released once, whichever end comes first.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("govnet.api")


@dataclass
class _Count:
    first: float
    failures: int = 0
    locked_until: float = 0.0


def client_key(address: str) -> str:
    """What failures are counted against: the address, or for IPv6 its /64.

    >>> client_key("198.51.100.7"), client_key("2001:db8:1:2:aaaa::1"), client_key("testclient")
    ('198.51.100.7', '2001:db8:1:2::/64', 'testclient')
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an address (a Unix socket's peer, a test client): counted as given
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)


@dataclass
class FailedAuth:
    """Failed authentications per client address, and the lockouts they cause (never per token
    id alone: see the module's docstring)."""

    max_failures: int = 10
    window_s: float = 300.0
    lockout_s: float = 300.0
    max_keys: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _counts: OrderedDict[str, _Count] = field(default_factory=OrderedDict, repr=False)
    #: Routes on the event loop and in worker threads (the login) both count.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def retry_after(self, address: str) -> int | None:
        """Seconds until the lockout of this address ends; None when it is not locked out."""
        if not self._counts:
            return None
        now = self.clock()
        with self._lock:
            count = self._counts.get(client_key(address))
            left = count.locked_until - now if count is not None else 0.0
        return math.ceil(left) if left > 0 else None

    def failed(self, address: str, token_id: str | None) -> int | None:
        """Count one failure from ``address`` (``token_id``: the id it tried, for the log only);
        the seconds of the lockout when this one starts it (else None)."""
        with self._lock:
            return self._failed(address, token_id)

    def _failed(self, address: str, token_id: str | None) -> int | None:
        now = self.clock()
        key = client_key(address)
        count = self._counts.pop(key, None)
        if count is None or now - count.first > self.window_s:
            count = _Count(now)
        count.failures += 1
        self._counts[key] = count  # the newest at the end: eviction takes the oldest
        locked: int | None = None
        if count.failures >= self.max_failures and count.locked_until <= now:
            count.locked_until = now + self.lockout_s
            count.first, count.failures = now + self.lockout_s, 0
            locked = math.ceil(self.lockout_s)
            log.warning(
                "api: %d failed authentications from %s within %.0f s (last token id tried: %s): "
                "address locked out for %.0f s",
                self.max_failures,
                key,
                self.window_s,
                token_id or "none",
                self.lockout_s,
            )
        while len(self._counts) > self.max_keys:
            self._counts.popitem(last=False)
        return locked


@dataclass
class DryRunSlots:
    """How many engineer dry runs may run at once (each opens SSH sessions to devices)."""

    limit: int = 2
    running: int = 0

    def take(self) -> bool:
        """Take a slot; False when all are in use."""
        if self.running >= self.limit:
            return False
        self.running += 1
        return True

    def give_back(self) -> None:
        """Free the slot taken by :meth:`take`."""
        self.running = max(0, self.running - 1)


class StreamsFullError(Exception):
    """No ``/events`` slot: ``scope`` is ``token`` (this token's streams) or ``total`` (everyone's)."""

    def __init__(self, scope: str, limit: int) -> None:
        super().__init__(scope)
        self.scope = scope
        self.limit = limit


@dataclass
class StreamSlot:
    """One open stream's place; :meth:`release` gives it back (once; later calls do nothing)."""

    slots: StreamSlots
    token_id: str
    released: bool = False

    def release(self) -> None:
        """Give the place back."""
        self.slots.give_back(self)


@dataclass
class StreamSlots:
    """How many ``/events`` streams may be open at once, per token and in all."""

    per_token: int = 8
    total: int = 200
    _open: dict[str, int] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.per_token < 1 or self.total < 1:
            raise ValueError("the /events limits must be at least 1")

    @property
    def open(self) -> int:
        """Streams open now."""
        return sum(self._open.values())

    def open_for(self, token_id: str) -> int:
        """Streams of ``token_id`` open now."""
        return self._open.get(token_id, 0)

    def take(self, token_id: str) -> StreamSlot:
        """A place for one more stream of ``token_id``; :class:`StreamsFullError` when there is none."""
        with self._lock:
            if self._open.get(token_id, 0) >= self.per_token:
                raise StreamsFullError("token", self.per_token)
            if sum(self._open.values()) >= self.total:
                raise StreamsFullError("total", self.total)
            self._open[token_id] = self._open.get(token_id, 0) + 1
        return StreamSlot(self, token_id)

    def give_back(self, slot: StreamSlot) -> None:
        """Free ``slot`` (once)."""
        with self._lock:
            if slot.released:
                return
            slot.released = True
            left = self._open.get(slot.token_id, 0) - 1
            if left > 0:
                self._open[slot.token_id] = left
            else:
                self._open.pop(slot.token_id, None)


def _too_large(limit: int) -> dict[str, str]:
    return {
        "message": f"the request body is over {limit} bytes",
        "hint": "no request to this API needs more; check what is being sent",
    }


class BodyTooLarge(HTTPException):
    """A request body over the limit (413, in the API's error shape)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=_too_large(limit))


class BodyLimit:
    """413 for a request body over ``limit`` bytes (a pure ASGI middleware).

    A declared ``Content-Length`` over the limit is refused before anything is read; a chunked
    body is counted as it arrives and refused when it crosses the limit. A request without a body
    (every GET) passes through untouched.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length: int | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = int(value) if value.isdigit() else self.limit + 1
            elif name == b"transfer-encoding":
                chunked = True
        if length is not None and length > self.limit:
            await _refuse(scope, receive, send, self.limit)
            return
        if not chunked:
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = JSONResponse(
        {"error": {"status": 413, **_too_large(limit)}},
        status_code=413,
        headers={"Connection": "close"},
    )
    await response(scope, receive, send)
