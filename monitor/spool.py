"""A store that outlives a full disk: what cannot be written is kept in memory and written later.

The monitor writes through a :class:`SpoolingStore`. When a write fails (``database or disk is
full``, a PostgreSQL server gone, a lock held too long), the monitor does not stop: the write is
queued in memory, in order and with its own timestamps, and the store's view for the monitor
(current states, open incidents) goes on from what was queued, so state changes, flaps and
incidents are still worked out as if written. Every write after that first tries to write the
queue out (at most once per :data:`RETRY_S`); when that works, the history is the same as if the
store had never failed, and recording resumes.

If the store cannot even be read when the outage begins (a PostgreSQL server gone), the view
starts empty: every state the monitor writes then looks new (``old`` None) until it is back.

The queue is bounded (``limit`` rows): past it, the oldest interface samples go first, then poll
records, then the oldest state changes; every dropped row is counted and said once.

Logged once per outage, not per failed write (ERROR, on logger ``govnet.monitor.store``; its end
at INFO, WARNING when rows were dropped; also told to ``notify`` when given), and always available
from :meth:`SpoolingStore.health` (``/healthz``, ``/metrics``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from govnet.monitor.store import (
    Change,
    IncidentRow,
    PollRecord,
    PruneReport,
    Sample,
    StateRow,
    StateUpdate,
    Store,
    StoreError,
)

log = logging.getLogger("govnet.monitor.store")

#: Default bound of the in-memory queue, in rows (a state row, a sample or a poll record each).
LIMIT_ROWS = 200_000
#: Seconds between two attempts to write the queue out.
RETRY_S = 1.0


def why(exc: StoreError) -> str:
    """The database's own words, without where the store is (``/healthz`` needs no token).

    >>> import sqlite3
    >>> try:
    ...     raise StoreError("store /var/lib/govnet/monitor.db: x") from sqlite3.OperationalError(
    ...         "database or disk is full")
    ... except StoreError as exc:
    ...     why(exc)
    'database or disk is full'
    """
    cause = exc.__cause__
    text = str(cause).strip().splitlines()[0] if cause is not None and str(cause).strip() else ""
    return text or exc.message


@dataclass(frozen=True)
class StoreHealth:
    """Whether the store can be written now, and what an outage cost so far."""

    writable: bool
    reason: str | None  # the last write error, while not writable
    since: float | None  # when the current outage began
    failures: int  # failed write attempts, in total
    pending: int  # rows kept in memory, waiting for the store
    dropped: int  # rows given up for good (memory limit), in total

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "writable": self.writable,
            "reason": self.reason,
            "since": self.since,
            "write_failures": self.failures,
            "pending_rows": self.pending,
            "dropped_rows": self.dropped,
        }


def healthz_body(health: StoreHealth) -> dict[str, Any]:
    """``{"status": "ok"}``, or ``degraded`` with the reason while the store refuses writes."""
    if health.writable:
        return {"status": "ok"}
    return {
        "status": "degraded",
        "reason": f"the store cannot be written: {health.reason}",
        "store": health.as_dict(),
    }


@dataclass
class _Op:
    """One queued write: what, how many rows, and how to replay it on the real store."""

    kind: str  # "samples" | "polls" | "states" | "incident"
    rows: int
    apply: Callable[[Store], None]


class SpoolingStore(Store):
    """Wraps a :class:`Store` for the monitor: failed writes are queued, never raised."""

    def __init__(
        self,
        inner: Store,
        *,
        limit: int = LIMIT_ROWS,
        notify: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
        retry_s: float = RETRY_S,
    ) -> None:
        super().__init__(inner.db)  # what is not overridden here reads the real store
        self.inner = inner
        self._lock = inner._lock  # one connection: readers and writers take the same lock
        self.limit = limit
        self.notify = notify
        self.clock = clock
        self.retry_s = retry_s
        self._queue: list[_Op] = []
        self._failures = 0
        self._dropped = 0
        self._reason: str | None = None
        self._since: float | None = None
        self._last_try = 0.0
        self._told_dropping = False
        #: The monitor's view while queueing: every current row, and the open incidents.
        self._states: dict[tuple[str, str], StateRow] | None = None
        self._open: dict[int, IncidentRow] | None = None
        #: Incidents opened while queueing get negative ids until they are written.
        self._next_temp = -1
        self._ids: dict[int, int] = {}

    def close(self) -> None:
        """Close the real store (what is still queued is said, then lost)."""
        if self._queue:
            self._say(
                logging.ERROR,
                f"store: closing with {self.pending} rows never written ({self._reason}); they are lost",
            )
        self.inner.close()

    def _say(self, level: int, text: str) -> None:
        """Log a change of the store's health (and tell ``notify``, when given)."""
        log.log(level, text, extra={"store": self.backend, "pending": self.pending, "dropped": self._dropped})
        if self.notify is not None:
            self.notify(text)

    # -- health
    @property
    def pending(self) -> int:
        """Rows waiting in memory."""
        return sum(op.rows for op in self._queue)

    @property
    def writable(self) -> bool:
        """Nothing waits to be written."""
        return not self._queue

    def health(self) -> StoreHealth:
        """Now."""
        with self._lock:
            return StoreHealth(
                self.writable, self._reason, self._since, self._failures, self.pending, self._dropped
            )

    # -- the queue
    def _write(self, kind: str, rows: int, apply: Callable[[Store], None]) -> bool:
        """Write now when possible (True); otherwise queue it (False). Callers hold the lock."""
        self._flush()
        if not self._queue:
            try:
                apply(self.inner)
                return True
            except StoreError as exc:
                self._outage(exc)
        self._queue.append(_Op(kind, rows, apply))
        self._bound()
        return False

    def _outage(self, exc: StoreError) -> None:
        self._failures += 1
        self._reason = why(exc)
        if self._since is not None:
            return
        self._since = self.clock()
        self._last_try = time.monotonic()
        self._told_dropping = False
        try:  # the view the monitor goes on from (reads usually still work on a full disk)
            self._states = {(r.kind, r.name): r for r in self.inner.current()}
            self._open = {r.id: r for r in self.inner.incidents(open_only=True, limit=100_000)}
        except StoreError:
            self._states, self._open = self._states or {}, self._open or {}
        self._say(
            logging.ERROR,
            f"store: cannot record ({exc.message}); monitoring goes on, changes are kept in memory "
            f"(up to {self.limit} rows) and written when the store works again",
        )

    def _flush(self) -> None:
        if not self._queue or time.monotonic() - self._last_try < self.retry_s:
            return
        self._last_try = time.monotonic()
        written = 0
        while self._queue:
            op = self._queue[0]
            try:
                op.apply(self.inner)
            except StoreError as exc:
                self._failures += 1
                self._reason = why(exc)
                return
            written += op.rows
            self._queue.pop(0)
        took = self.clock() - (self._since or self.clock())
        dropped = f"; {self._dropped} rows were dropped (memory limit)" if self._dropped else ""
        self._say(
            logging.WARNING if self._dropped else logging.INFO,
            f"store: recording again after {took:.0f} s; wrote the {written} rows kept{dropped}",
        )
        self._since, self._reason = None, None
        self._states, self._open = None, None
        self._ids.clear()

    def _bound(self) -> None:
        over = self.pending - self.limit
        if over <= 0:
            return
        for kind in ("samples", "polls", None):
            for op in list(self._queue):
                if over <= 0:
                    break
                if kind is None or op.kind == kind:
                    self._queue.remove(op)
                    self._dropped += op.rows
                    over -= op.rows
        if not self._told_dropping:
            self._told_dropping = True
            self._say(
                logging.ERROR,
                f"store: memory limit reached ({self.limit} rows kept): dropping the oldest, samples "
                f"first, then poll records, then state changes ({self._dropped} rows dropped so far)",
            )

    # -- writes
    def set_states(self, updates: Iterable[StateUpdate], at: float, source: str) -> list[Change]:
        """As :meth:`Store.set_states`; while queueing, the changes come from the monitor's view."""
        rows = list(updates)
        result: list[Change] = []

        def apply(store: Store) -> None:
            result[:] = store.set_states(rows, at, source)

        with self._lock:
            if self._write("states", len(rows), apply):
                return result
            assert self._states is not None
            changed = []
            for kind, name, state, detail in rows:
                old = self._states.get((kind, name))
                if old is not None and old.state == state:
                    self._states[(kind, name)] = replace(old, detail=detail)
                    continue
                self._states[(kind, name)] = StateRow(kind, name, state, at, detail)
                changed.append(Change(at, kind, name, old.state if old else None, state, source))
            return changed

    def write_samples(self, samples: Sequence[Sample]) -> None:
        """As :meth:`Store.write_samples` (queued when the store fails)."""
        if samples:
            rows = list(samples)
            with self._lock:
                self._write("samples", len(rows), lambda store: store.write_samples(rows))

    def write_polls(self, polls: Sequence[PollRecord]) -> None:
        """As :meth:`Store.write_polls` (queued when the store fails)."""
        if polls:
            rows = list(polls)
            with self._lock:
                self._write("polls", len(rows), lambda store: store.write_polls(rows))

    def open_incident(self, key: str, kind: str, root_cause: str, at: float, detail: dict[str, Any]) -> int:
        """As :meth:`Store.open_incident`; while queueing the id is negative until written."""
        temp = self._next_temp
        result: list[int] = []

        def apply(store: Store) -> None:
            real = store.open_incident(key, kind, root_cause, at, detail)
            self._ids[temp] = real
            result.append(real)

        with self._lock:
            if self._write("incident", 1, apply):
                return result[0]
            self._next_temp -= 1
            assert self._open is not None
            self._open[temp] = IncidentRow(temp, key, kind, root_cause, at, at, None, detail, None, None)
            return temp

    def _real_id(self, incident_id: int) -> int | None:
        return self._ids.get(incident_id) if incident_id < 0 else incident_id

    def update_incident(self, incident_id: int, at: float, detail: dict[str, Any]) -> None:
        """As :meth:`Store.update_incident` (queued when the store fails)."""

        def apply(store: Store) -> None:
            real = self._real_id(incident_id)
            if real is not None:  # None: its opening was dropped; correlation opens it again
                store.update_incident(real, at, detail)

        with self._lock:
            if not self._write("incident", 1, apply) and self._open and incident_id in self._open:
                self._open[incident_id] = replace(self._open[incident_id], updated=at, detail=detail)

    def close_incident(self, incident_id: int, at: float) -> None:
        """As :meth:`Store.close_incident` (queued when the store fails)."""

        def apply(store: Store) -> None:
            real = self._real_id(incident_id)
            if real is not None:
                store.close_incident(real, at)

        with self._lock:
            if not self._write("incident", 1, apply) and self._open is not None:
                self._open.pop(incident_id, None)

    def prune(
        self, now: float, raw_seconds: float = 7 * 86400, hourly_seconds: float = 400 * 86400
    ) -> PruneReport:
        """As :meth:`Store.prune`, skipped while the store cannot be written (it runs again later)."""
        if not self.writable:
            return PruneReport(0, 0, 0, 0)
        try:
            return self.inner.prune(now, raw_seconds, hourly_seconds)
        except StoreError as exc:
            self._failures += 1
            log.warning("store: retention skipped", extra={"store": self.backend, "error": exc.message})
            return PruneReport(0, 0, 0, 0)

    # -- the monitor's view while queueing
    def current(self, kind: str | None = None, *, detail: bool = True) -> list[StateRow]:
        """As :meth:`Store.current`, including what waits in memory."""
        with self._lock:
            if self._states is None:
                return self.inner.current(kind, detail=detail)
            rows = sorted(
                (r for r in self._states.values() if kind is None or r.kind == kind),
                key=lambda r: (r.kind, r.name),
            )
        return rows if detail else [replace(r, detail=None) for r in rows]

    def incidents(
        self,
        *,
        open_only: bool = False,
        since: float | None = None,
        limit: int = 1000,
        offset: int = 0,
        incident_id: int | None = None,
    ) -> list[IncidentRow]:
        """As :meth:`Store.incidents`; open incidents include what waits in memory."""
        with self._lock:
            if self._open is None or not open_only or since is not None or incident_id is not None:
                return self.inner.incidents(
                    open_only=open_only, since=since, limit=limit, offset=offset, incident_id=incident_id
                )
            rows = sorted(self._open.values(), key=lambda r: (-r.opened, -r.id))
        return rows[offset : offset + limit]
