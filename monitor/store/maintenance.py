"""Declared maintenance windows (excluded from availability), and the write probe's ``meta`` row."""

from __future__ import annotations

import sqlalchemy as sa

from govnet.monitor.store.database import Database
from govnet.monitor.store.records import StoreError, Window
from govnet.monitor.store.schema import maintenance, meta
from govnet.monitor.store.upsert import upsert


class Maintenance:
    """Add, list and remove maintenance windows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add_maintenance(self, target: str, starts: float, ends: float, reason: str) -> int:
        """Declare a maintenance window; return its id."""
        if ends <= starts:
            raise StoreError("a maintenance window must end after it starts", hint="check --start/--end")
        stmt = (
            maintenance.insert()
            .values(target=target, starts=starts, ends=ends, reason=reason)
            .returning(maintenance.c.id)
        )
        with self.db.write() as conn:
            return int(conn.execute(stmt).scalar_one())

    def delete_maintenance(self, window_id: int) -> Window | None:
        """Remove a window; return it (None when there was none with that id)."""
        c = maintenance.c
        with self.db.write() as conn:
            row = conn.execute(
                sa.select(c.id, c.target, c.starts, c.ends, c.reason).where(c.id == window_id)
            ).first()
            if row is None:
                return None
            conn.execute(sa.delete(maintenance).where(c.id == window_id))
            return Window(*row)

    def maintenance(self, since: float = 0.0, until: float = float("inf")) -> list[Window]:
        """Windows overlapping [since, until)."""
        c = maintenance.c
        limit = until if until != float("inf") else 1e18
        query = (
            sa.select(c.id, c.target, c.starts, c.ends, c.reason)
            .where(c.ends > since, c.starts < limit)
            .order_by(c.starts)
        )
        with self.db.read() as conn:
            return [Window(*r) for r in conn.execute(query)]


class Probe:
    """One small row written and committed on demand: can the store take a write now?"""

    def __init__(self, db: Database) -> None:
        self.db = db

    def probe_write(self, at: float) -> None:
        """Write one small row and commit it (StoreError when the store cannot be written)."""
        with self.db.write() as conn:
            conn.execute(upsert(conn, meta, ["key"], ["value"]), {"key": "write_probe", "value": repr(at)})
