"""Limits that keep one caller from wearing the API down: failed authentications, dry runs.

Failed authentications are counted per client address and per token id (the ``gvn_<id>_`` part,
which is not secret). After :attr:`FailedAuth.max_failures` failures within
:attr:`FailedAuth.window_s` seconds, that address, or that token id, is locked out for
:attr:`FailedAuth.lockout_s` seconds: every request it makes is answered 429 with
``Retry-After``, before any token is checked, so even the right secret is refused until the
lockout ends. The secret itself is still compared in constant time (auth.py); a lockout is logged
with the address and the token id, never with a secret.

The tables are bounded (:attr:`FailedAuth.max_keys`): an attacker cycling through addresses or
invented token ids pushes out the oldest entries, not the process's memory.

Request bodies over a small limit are answered 413 (:class:`BodyLimit`).

Engineer dry runs each open SSH sessions to devices: at most :attr:`DryRunSlots.limit` run at
once, the next one is answered 429.
"""

from __future__ import annotations

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


@dataclass
class FailedAuth:
    """Failed authentications per client address and per token id, and the lockouts they cause."""

    max_failures: int = 10
    window_s: float = 300.0
    lockout_s: float = 300.0
    max_keys: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _counts: OrderedDict[tuple[str, str], _Count] = field(default_factory=OrderedDict, repr=False)
    #: Routes on the event loop and in worker threads (the login) both count.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def retry_after(self, address: str, token_id: str | None) -> int | None:
        """Seconds until the lockout of this address (or token id) ends; None when not locked."""
        if not self._counts:
            return None
        now = self.clock()
        left = 0.0
        with self._lock:
            for key in self._keys(address, token_id):
                count = self._counts.get(key)
                if count is not None and count.locked_until > now:
                    left = max(left, count.locked_until - now)
        return math.ceil(left) if left > 0 else None

    def failed(self, address: str, token_id: str | None) -> int | None:
        """Count one failure; the seconds of the lockout when this one starts it (else None)."""
        with self._lock:
            return self._failed(address, token_id)

    def _failed(self, address: str, token_id: str | None) -> int | None:
        now = self.clock()
        locked: int | None = None
        for key in self._keys(address, token_id):
            count = self._counts.pop(key, None)
            if count is None or now - count.first > self.window_s:
                count = _Count(now)
            count.failures += 1
            self._counts[key] = count  # the newest at the end: eviction takes the oldest
            if count.failures >= self.max_failures and count.locked_until <= now:
                count.locked_until = now + self.lockout_s
                count.first, count.failures = now + self.lockout_s, 0
                locked = math.ceil(self.lockout_s)
                log.warning(
                    "api: %d failed authentications from %s within %.0f s: %s %s locked out for %.0f s",
                    self.max_failures,
                    address,
                    self.window_s,
                    "address" if key[0] == "address" else "token id",
                    key[1],
                    self.lockout_s,
                )
        while len(self._counts) > self.max_keys:
            self._counts.popitem(last=False)
        return locked

    @staticmethod
    def _keys(address: str, token_id: str | None) -> list[tuple[str, str]]:
        return [("address", address), *([("token", token_id)] if token_id else [])]


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
