"""A test run stopped with SIGTERM tears down like one stopped with Ctrl-C.

By default SIGTERM ends the process at once: session fixtures' finalizers never run, and the labs
they brought up stay (until the next run's fixture takes them down). pytest turns Ctrl-C
(KeyboardInterrupt) into an orderly stop that runs every finalizer; this makes SIGTERM the same.
Installed by ``tests/conftest.py`` in every pytest process (xdist workers included).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}: tearing down")


def install() -> None:
    """SIGTERM raises KeyboardInterrupt in the main thread (only it may set signal handlers)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
