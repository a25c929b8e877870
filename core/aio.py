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
