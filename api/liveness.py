"""Whether the monitor is watching, as the API sees it: the leader's row (monitor/coverage.py).

The states the API serves are only as current as the monitor that writes them. When ``govnet
monitor run`` stops or dies, the store keeps its last states and nothing else would tell the IOC
wall or the NOC page that they have stopped moving. So every answer built from states says which
of these holds (a NOC's "poller not running" / "data stale"):

* ``running``: a leader runs and its heartbeat is fresh; ``since``: when its run began;
* ``stopped``: it said it stopped (a clean stop, or its polls stopped coming back; a dead run
  closed by the next leader); ``since``: when;
* ``silent``: the row says ``running`` but its heartbeat (refreshed every
  :data:`~govnet.monitor.coverage.HEARTBEAT_S`) has not moved for
  :data:`~govnet.monitor.coverage.GRACE_S`: the process died without a word (killed, crashed,
  power cut) or cannot write; ``since``: its last heartbeat;
* ``unknown``: no monitor ever ran on this store.

Only ``running`` makes the states current; otherwise they are the last known.

Cost: the row (one primary-key read) is re-read at most every :data:`CHECK_S`, on the event loop;
in between :meth:`MonitorWatch.status` is arithmetic. The answers cached per store version take
:meth:`MonitorStatus.key` into their cache key, so a monitor going silent (a matter of wall time,
not a store change) is in ``/summary`` within :data:`CHECK_S` of crossing the grace.

Clocks: the heartbeat is the monitor host's time. The API does not trust its own clock to agree:
it notes (on its monotonic clock) when it saw the heartbeat move, and counts the silence from
there. A move it sees late (nobody asked for a while) is dated by the heartbeat's age on the wall
clock, but never before the API's previous read; so a skew between the hosts matters only when
the API has not been asked for a while.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from govnet.monitor import coverage
from govnet.monitor.store import StateRow, Store, StoreError

#: Seconds a read of the leader's row is reused.
CHECK_S = 1.0

RUNNING, STOPPED, SILENT, UNKNOWN = "running", "stopped", "silent", "unknown"
STATES = (RUNNING, STOPPED, SILENT, UNKNOWN)


def _utc(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class MonitorStatus:
    """The monitor's state and since when (see the module's docstring)."""

    state: str
    since: float | None

    @property
    def current(self) -> bool:
        """Whether the states served are current (the monitor runs and beats)."""
        return self.state == RUNNING

    def key(self) -> tuple[str, float | None]:
        """What a cached answer depends on (the heartbeat itself is left out: it moves every 15 s)."""
        return (self.state, self.since)

    def message(self) -> str:
        """One line for an operator."""
        if self.state == RUNNING:
            return "the monitor is running: the states are current"
        when = _utc(self.since) if self.since is not None else "?"
        if self.state == STOPPED:
            return f"monitoring stopped since {when}: the states shown are the last known"
        if self.state == SILENT:
            return (
                f"monitoring silent since {when} (no heartbeat for over {coverage.GRACE_S:.0f} s: the "
                "monitor died or cannot write): the states shown are the last known"
            )
        return "no monitor has run on this store: the states are not known"

    def body(self) -> dict[str, Any]:
        """The ``monitor`` object of the API's answers."""
        return {"state": self.state, "since": self.since, "current": self.current, "message": self.message()}


#: The ``monitor`` object in OpenAPI.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Whether the monitor is watching. Only 'running' makes the states current; "
    "otherwise they are the last known (the monitor stopped, went silent, or never ran).",
    "required": ["state", "since", "current", "message"],
    "properties": {
        "state": {
            "type": "string",
            "enum": list(STATES),
            "description": "running: heartbeat fresh; stopped: it said it stopped; silent: no "
            f"heartbeat for over {coverage.GRACE_S:.0f} s (died without a word); unknown: never ran",
        },
        "since": {
            "type": ["number", "null"],
            "description": "Unix time: running since; stopped since; silent: the last heartbeat",
        },
        "current": {"type": "boolean", "description": "true only when state is 'running'"},
        "message": {"type": "string", "description": "One line for an operator"},
    },
}


@dataclass
class MonitorWatch:
    """The leader's row, re-read at most every :attr:`check_s` (see the module's docstring)."""

    store: Store
    check_s: float = CHECK_S
    grace_s: float = coverage.GRACE_S
    wall: Callable[[], float] = time.time
    mono: Callable[[], float] = time.monotonic
    _read_at: float = float("-inf")
    _read_ok_at: float = float("-inf")
    _row: StateRow | None = None
    _seen: float | None = None
    _moved_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def status(self) -> MonitorStatus:
        """Now (from a read at most :attr:`check_s` old)."""
        with self._lock:
            now = self.mono()
            if now - self._read_at >= self.check_s:
                self._read(now)
            row = self._row
            if row is None:
                return MonitorStatus(UNKNOWN, None)
            if row.state != coverage.RUNNING:
                return MonitorStatus(STOPPED, row.since)
            if now - self._moved_at > self.grace_s:
                return MonitorStatus(SILENT, self._seen)
            return MonitorStatus(RUNNING, row.since)

    def _read(self, now: float) -> None:
        self._read_at = now  # a failed read is not retried sooner either
        try:
            row = coverage.leader_row(self.store)
        except StoreError:
            return  # the store cannot be read: the last row holds, and its heartbeat ages
        previous, self._read_ok_at = self._read_ok_at, now
        self._row = row
        seen = coverage.last_seen(row) if row is not None else None
        if seen is not None and seen != self._seen:
            # Moved since the last good read: dated by its age, but not before that read.
            self._moved_at = max(previous, now - max(0.0, self.wall() - seen))
            self._seen = seen


class _StatusCollector:
    def __init__(self, status: MonitorStatus) -> None:
        self.status = status

    def collect(self) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "govnet_monitor_state",
            "The monitor writing the store, as the API sees it: 1 for its state (running: heartbeat "
            "fresh; stopped; silent: no heartbeat within the grace; unknown: never ran), 0 for the others.",
            labels=["state"],
        )
        for name in STATES:
            state.add_metric([name], 1.0 if self.status.state == name else 0.0)
        yield state
        if self.status.since is not None:
            yield GaugeMetricFamily(
                "govnet_monitor_state_since_seconds",
                "Unix time the monitor's state began (silent: its last heartbeat).",
                value=self.status.since,
            )


def exposition(status: MonitorStatus) -> bytes:
    """``govnet_monitor_state{state=...}`` (and since when) for the API's ``/metrics``: alert on
    ``govnet_monitor_state{state="running"} == 0``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StatusCollector(status))
    return generate_latest(registry)
