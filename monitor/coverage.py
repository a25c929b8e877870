"""When the monitor was watching: the time availability may be counted over.

The leader (the process that works out the endpoints' states) keeps one state row of kind
``monitor`` (name ``leader``) in the store: ``running`` from the tick where every polled device
has answered or failed to answer at least once in this run (before that, an endpoint's state is a
guess from an older run), ``stopped`` when it stops. While it runs it refreshes the row's detail
(``seen``, at most every :data:`HEARTBEAT_S`): only that detail, so no history row is written.
A monitor that died without saying so (a crash, a killed process, a power cut) left the row
``running``: the next leader records ``stopped`` at the dead one's last heartbeat, back-dated,
before its own ``running``. A leader whose polls stop coming back (its broker or workers gone)
records ``stopped`` at its last answer (see ``Monitor._keep_coverage``) and ``running`` again once
every device has answered anew. So the change history says when the monitor was running, and
:mod:`govnet.monitor.sla` counts only that time as monitored; the rest is "not monitored", never
the last state seen.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from govnet.monitor.store import Change, StateRow, Store

#: The state row's kind and name.
KIND, NAME = "monitor", "leader"
RUNNING, STOPPED = "running", "stopped"
#: Seconds between two heartbeats of a running leader.
HEARTBEAT_S = 15.0
#: How long after its last heartbeat a ``running`` row still counts (a live monitor's next beat).
GRACE_S = 2 * HEARTBEAT_S


def last_seen(row: StateRow) -> float:
    """The last heartbeat of a ``monitor`` row (its ``since`` when it holds none)."""
    seen = (row.detail or {}).get("seen")
    return float(seen) if isinstance(seen, int | float) else row.since


def leader_row(store: Store) -> StateRow | None:
    """The stored ``monitor`` row, if a leader ever ran on this store."""
    return next((r for r in store.current(KIND) if r.name == NAME), None)


class Coverage:
    """The running leader's heartbeat in the store (see the module's docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.run = uuid.uuid4().hex[:12]
        self.began: float | None = None
        self._beat = 0.0

    def _write(self, state: str, at: float) -> list[Change]:
        return self.store.set_states([(KIND, NAME, state, {"seen": at, "run": self.run})], at, "monitor")

    def begin(self, at: float) -> None:
        """This run's view is complete: record ``running`` (closing a dead run's first)."""
        row = leader_row(self.store)
        if row is not None and row.state == RUNNING:
            dead = min(last_seen(row), at)
            self.store.set_states([(KIND, NAME, STOPPED, {"seen": dead, "run": "gone"})], dead, "monitor")
        self._write(RUNNING, at)
        self.began = self._beat = at

    def beat(self, at: float) -> None:
        """A tick of a running leader: refresh the heartbeat when it is due."""
        if self.began is not None and at - self._beat >= HEARTBEAT_S:
            self._write(RUNNING, at)
            self._beat = at

    def end(self, at: float) -> None:
        """This run stops: ``stopped`` now, unless another leader has taken over meanwhile."""
        if self.began is None:
            return
        row = leader_row(self.store)
        if row is not None and row.state == RUNNING and (row.detail or {}).get("run") == self.run:
            self._write(STOPPED, at)
        self.began = None


def running_intervals(
    history: Sequence[Change], at_start: str | None, start: float, end: float, row: StateRow | None
) -> list[tuple[float, float]]:
    """When the monitor was running within [start, end), from its changes in that time
    (``history``, in time order), its state at ``start`` and its current row (whose heartbeat
    bounds a run that has not said it stopped).

    >>> from govnet.monitor.store import Change, StateRow
    >>> changes = [Change(10.0, KIND, NAME, None, RUNNING, "monitor"),
    ...            Change(50.0, KIND, NAME, RUNNING, STOPPED, "monitor"),
    ...            Change(70.0, KIND, NAME, STOPPED, RUNNING, "monitor")]
    >>> row = StateRow(KIND, NAME, RUNNING, 70.0, {"seen": 80.0})
    >>> running_intervals(changes, None, 0.0, 1000.0, row)
    [(10.0, 50.0), (70.0, 110.0)]
    """
    out: list[tuple[float, float]] = []
    state, since = at_start, start
    for change in [*history, None]:
        until = end if change is None else change.at
        if state == RUNNING:
            if change is None and row is not None and row.state == RUNNING:
                until = min(until, max(since, last_seen(row) + GRACE_S))
            if until > since:
                out.append((since, until))
        if change is not None:
            state, since = change.new, change.at
    return out
