"""One SNMP request over UDP, retried: the exchange the v2c and v3 sessions share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def exchange(
    transport: asyncio.DatagramTransport,
    protocol: Any,
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
