"""The store as the monitor and the API use it: one object over the aggregates' repositories."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from govnet.monitor.store.database import Database
from govnet.monitor.store.incidents import Incidents
from govnet.monitor.store.maintenance import Maintenance, Probe
from govnet.monitor.store.migrate import upgrade
from govnet.monitor.store.records import (
    Change,
    IncidentRow,
    PollRecord,
    PruneReport,
    Sample,
    StateRow,
    StateUpdate,
    StoreError,
    Window,
)
from govnet.monitor.store.samples import Samples
from govnet.monitor.store.states import States


class Store:
    """Current state and history, samples and polls, incidents, maintenance: one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.backend = db.backend
        #: Held by callers that keep their own view beside the store's (the spool).
        self._lock = threading.RLock()
        self.state_repo = States(db)
        self.sample_repo = Samples(db)
        self.incident_repo = Incidents(db)
        self.maintenance_repo = Maintenance(db)
        self.probe_repo = Probe(db)

    def close(self) -> None:
        """Close every pooled connection."""
        self.db.dispose()

    # -- state
    def set_states(self, updates: Iterable[StateUpdate], at: float, source: str) -> list[Change]:
        """Write (kind, name, state, detail) rows; record and return the ones that changed state."""
        return self.state_repo.set_states(updates, at, source)

    def current(self, kind: str | None = None, *, detail: bool = True) -> list[StateRow]:
        """Current state of everything (of one kind), sorted by kind and name."""
        return self.state_repo.current(kind, detail=detail)

    def changes(
        self,
        kind: str | None = None,
        name: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[Change]:
        """State changes in time order, filtered."""
        return self.state_repo.changes(kind, name, since, until)

    def version(self) -> tuple[int, int, float]:
        """(last change id, open incidents, last incident update): moves when anything does."""
        return self.state_repo.version()

    def changes_after(self, last_id: int, limit: int = 500) -> list[tuple[int, Change]]:
        """Changes with an id above ``last_id`` (oldest first)."""
        return self.state_repo.changes_after(last_id, limit)

    def last_change_id(self) -> int:
        """The id of the newest change (0 when there is none)."""
        return self.state_repo.last_change_id()

    def states_at(self, kind: str, at: float) -> dict[str, str]:
        """The state of every object of ``kind`` at time ``at``."""
        return self.state_repo.states_at(kind, at)

    # -- samples and polls
    def write_samples(self, samples: Sequence[Sample]) -> None:
        """Append interface samples (one transaction)."""
        self.sample_repo.write_samples(samples)

    def samples(self, device: str, interface: str, since: float = 0.0) -> list[Sample]:
        """Raw samples of one interface since ``since``."""
        return self.sample_repo.samples(device, interface, since)

    def hourly(self, device: str, interface: str) -> list[dict[str, Any]]:
        """Hourly rollups of one interface."""
        return self.sample_repo.hourly(device, interface)

    def write_polls(self, polls: Sequence[PollRecord]) -> None:
        """Append poll records (one transaction)."""
        self.sample_repo.write_polls(polls)

    def polls(self, since: float = 0.0) -> list[PollRecord]:
        """Poll records since ``since``, in time order."""
        return self.sample_repo.polls(since)

    def prune(
        self, now: float, raw_seconds: float = 7 * 86400, hourly_seconds: float = 400 * 86400
    ) -> PruneReport:
        """Roll old samples into hours, expire old rows (see :meth:`Samples.prune`)."""
        return self.sample_repo.prune(now, raw_seconds, hourly_seconds)

    # -- incidents
    def open_incident(self, key: str, kind: str, root_cause: str, at: float, detail: dict[str, Any]) -> int:
        """Store a new open incident; return its id."""
        return self.incident_repo.open_incident(key, kind, root_cause, at, detail)

    def update_incident(self, incident_id: int, at: float, detail: dict[str, Any]) -> None:
        """Replace an open incident's detail."""
        self.incident_repo.update_incident(incident_id, at, detail)

    def close_incident(self, incident_id: int, at: float) -> None:
        """Close an incident."""
        self.incident_repo.close_incident(incident_id, at)

    def acknowledge(self, incident_id: int, who: str, at: float) -> bool:
        """Mark an incident acknowledged; False when there is no such incident."""
        return self.incident_repo.acknowledge(incident_id, who, at)

    def incidents(
        self,
        *,
        open_only: bool = False,
        since: float | None = None,
        limit: int = 1000,
        offset: int = 0,
        incident_id: int | None = None,
    ) -> list[IncidentRow]:
        """Incidents, newest first (or the one with ``incident_id``)."""
        return self.incident_repo.incidents(
            open_only=open_only, since=since, limit=limit, offset=offset, incident_id=incident_id
        )

    def incident(self, incident_id: int) -> IncidentRow | None:
        """One incident by id."""
        return self.incident_repo.incident(incident_id)

    # -- maintenance and probes
    def add_maintenance(self, target: str, starts: float, ends: float, reason: str) -> int:
        """Declare a maintenance window; return its id."""
        return self.maintenance_repo.add_maintenance(target, starts, ends, reason)

    def maintenance(self, since: float = 0.0, until: float = float("inf")) -> list[Window]:
        """Windows overlapping [since, until)."""
        return self.maintenance_repo.maintenance(since, until)

    def delete_maintenance(self, window_id: int) -> Window | None:
        """Remove a maintenance window; return it (None when there was none with that id)."""
        return self.maintenance_repo.delete_maintenance(window_id)

    def probe_write(self, at: float) -> None:
        """Write one small row and commit it (StoreError when the store cannot be written)."""
        self.probe_repo.probe_write(at)

    # -- SQLite housekeeping
    def integrity(self) -> str:
        """SQLite's own integrity check (``ok`` when intact; PostgreSQL has none to run)."""
        if self.backend != "sqlite":
            return "ok"
        with self.db.read() as conn:
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())

    def checkpoint(self) -> None:
        """Fold SQLite's write-ahead log into the database file (nothing on PostgreSQL)."""
        if self.backend == "sqlite":
            with self.db.read() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def open_database(url: str) -> Database:
    """The pooled database at ``url``, upgraded to this govnet's schema."""
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.select(1))
    except exc.SQLAlchemyError as error:
        db.dispose()
        cause = error.orig if isinstance(error, exc.DBAPIError) else error
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        hint = (
            "check GOVNET_STORE (postgresql://user@host/db) and that the server is running"
            if db.backend == "postgresql"
            else "is it a govnet SQLite file?"
        )
        raise StoreError(f"cannot open the store {db.where}: {first}", hint=hint) from cause
    try:
        db.revisions = upgrade(db)
    except StoreError as error:
        db.dispose()
        if db.backend == "sqlite" and "not a database" in error.message:
            raise StoreError(error.message, hint="is it a govnet SQLite file?") from error.__cause__
        raise
    return db
