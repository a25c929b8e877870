"""One SNMP request over UDP, retried: the exchange the v2c and v3 sessions share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from govnet.snmp.errors import SnmpError

Answer = TypeVar("Answer")


class Waiting(asyncio.DatagramProtocol, Generic[Answer]):
    """A socket's requests in flight, by request id (v2c) or msgID (v3), and what it had to drop.

    Every attempt's id points at the same future (see :func:`exchange`), so a slow agent's answer
    to the first attempt still counts after a retry was sent. Subclasses decode datagrams and call
    :meth:`answer`.
    """

    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[Answer]] = {}
        self.garbage = 0
        self.last_garbage = ""

    def answer(self, request_id: int, value: Answer) -> bool:
        """Resolve the request waiting for ``request_id``; False when no request has that id."""
        future = self.waiting.get(request_id)
        if future is not None and not future.done():
            future.set_result(value)
        return future is not None

    def fail(self, request_id: int, exc: Exception) -> None:
        """Fail the request waiting for ``request_id`` with ``exc`` (a malformed answer to it)."""
        future = self.waiting.get(request_id)
        if future is not None and not future.done():
            future.set_exception(exc)

    def error_received(self, exc: Exception) -> None:
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(SnmpError(f"socket error: {exc}"))
        self.waiting.clear()


async def exchange(
    transport: asyncio.DatagramTransport,
    protocol: Waiting[Any],
    build: Callable[[int], bytes],
    new_id: Callable[[], int],
    timeout: float,
    attempts: int,
) -> Any:
    """Send ``build(request_id)`` up to ``attempts`` times, ``timeout`` seconds apart, until an answer
    to any attempt arrives (every attempt's id stays bound to this one request, so a late answer
    to the first still counts); raises :class:`TimeoutError` after the last attempt's timeout.
    ``protocol.waiting`` maps request ids to the future the datagram handler resolves."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    ids: list[int] = []

    def send() -> None:
        request_id = new_id()
        ids.append(request_id)
        protocol.waiting[request_id] = future
        transport.sendto(build(request_id))

    def expire() -> None:
        # A timer on the future is much cheaper than asyncio.wait_for (no task per request).
        if future.done():
            return
        if len(ids) < attempts:
            send()
            timers.append(loop.call_later(timeout, expire))
        else:
            future.set_exception(TimeoutError())

    send()
    timers = [loop.call_later(timeout, expire)]
    try:
        return await future
    finally:
        timers[-1].cancel()
        for request_id in ids:
            protocol.waiting.pop(request_id, None)
