"""Incidents: root cause, blast radius (JSON), opened/closed, acknowledgement."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from govnet.monitor.store.database import Database
from govnet.monitor.store.records import IncidentRow
from govnet.monitor.store.schema import incidents


class Incidents:
    """Open, update, acknowledge, close and list incidents."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def open_incident(self, key: str, kind: str, root_cause: str, at: float, detail: dict[str, Any]) -> int:
        """Store a new open incident; return its id."""
        stmt = (
            incidents.insert()
            .values(key=key, kind=kind, root_cause=root_cause, opened=at, updated=at,
                    detail=json.dumps(detail, ensure_ascii=False))
            .returning(incidents.c.id)
        )  # fmt: skip
        with self.db.write() as conn:
            return int(conn.execute(stmt).scalar_one())

    def update_incident(self, incident_id: int, at: float, detail: dict[str, Any]) -> None:
        """Replace an open incident's detail (its blast radius grew or shrank)."""
        stmt = (
            incidents.update()
            .where(incidents.c.id == incident_id)
            .values(updated=at, detail=json.dumps(detail, ensure_ascii=False))
        )
        with self.db.write() as conn:
            conn.execute(stmt)

    def close_incident(self, incident_id: int, at: float) -> None:
        """Close an incident."""
        with self.db.write() as conn:
            conn.execute(
                incidents.update().where(incidents.c.id == incident_id).values(closed=at, updated=at)
            )

    def acknowledge(self, incident_id: int, who: str, at: float) -> bool:
        """Mark an incident acknowledged; False when there is no such incident."""
        stmt = (
            incidents.update()
            .where(incidents.c.id == incident_id)
            .values(acknowledged_by=who, acknowledged_at=at)
        )
        with self.db.write() as conn:
            return bool(conn.execute(stmt).rowcount)

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
        c = incidents.c
        query = sa.select(
            c.id, c.key, c.kind, c.root_cause, c.opened, c.updated, c.closed, c.detail,
            c.acknowledged_by, c.acknowledged_at,
        )  # fmt: skip
        if open_only:
            query = query.where(c.closed.is_(None))
        if since is not None:
            query = query.where(sa.or_(c.closed.is_(None), c.closed >= since))
        if incident_id is not None:
            query = query.where(c.id == incident_id)
        query = query.order_by(c.opened.desc(), c.id.desc()).limit(limit).offset(offset)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return [
            IncidentRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9]) for r in rows
        ]

    def incident(self, incident_id: int) -> IncidentRow | None:
        """One incident by id."""
        found = self.incidents(incident_id=incident_id, limit=1)
        return found[0] if found else None
