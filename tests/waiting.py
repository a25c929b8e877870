"""Waiting on a condition in async tests: a deadline and a name, never a fixed sleep."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable


async def until(check: Callable[[], object], timeout: float, what: str, every: float = 0.05) -> None:
    """Return once ``check()`` (or what it awaits to) is true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        done = check()
        if inspect.isawaitable(done):
            done = await done
        if done:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(every)
