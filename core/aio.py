"""Running coroutines on the fastest event loop available.

SNMP polling is thousands of small UDP exchanges; with the standard event loop about two thirds
of the poller's CPU goes to the loop itself. uvloop (libuv) cuts that by more than half, which is
what brings govnet's poller below snmp_exporter's CPU per varbind (see bench/poll.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop when it is installed, on the standard loop otherwise."""
    try:
        import uvloop  # noqa: PLC0415  (optional speed-up: a bare install runs without it)
    except ImportError:  # pragma: no cover - uvloop is a dependency; this keeps a bare install working
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


async def first_of(*events: asyncio.Event, timeout: float | None = None) -> None:
    """Wait until any of ``events`` is set (or ``timeout`` seconds pass); the waiters left over
    are cancelled, never awaited (awaiting a cancelled waiter under a suppress would swallow the
    caller's own cancellation)."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


async def cancel_and_wait(*tasks: asyncio.Future[Any], timeout: float = 10.0) -> set[asyncio.Future[Any]]:
    """Cancel ``tasks`` and wait for them at most ``timeout`` seconds; return those still running.

    Shutting down never hangs on a task that does not end (one that swallowed its cancellation),
    and the caller's own cancellation is never swallowed here (nothing is awaited under a
    suppress)."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return set()
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    return pending
