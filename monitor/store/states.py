"""Current state and its history: the ``current`` and ``changes`` tables."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from govnet.monitor.store.database import Database
from govnet.monitor.store.records import Change, StateRow, StateUpdate
from govnet.monitor.store.schema import changes, current, incidents
from govnet.monitor.store.upsert import upsert

#: Names per ``IN (...)`` list (well under SQLite's bound-parameter limit).
CHUNK = 500


def _json(detail: dict[str, Any] | None) -> str | None:
    return json.dumps(detail, ensure_ascii=False) if detail is not None else None


class States:
    """Writes and reads of current state; every state change is recorded once."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def set_states(self, updates: Iterable[StateUpdate], at: float, source: str) -> list[Change]:
        """Write (kind, name, state, detail) rows; record and return the ones that changed state.

        Only the rows named are read (in batches), and the writes are batched: the cost follows
        the number of updates, not the size of the network.
        """
        rows = list(updates)
        if not rows:
            return []
        changed: list[Change] = []
        with self.db.write() as conn:
            known = self._states_of(conn, {(kind, name) for kind, name, _, _ in rows})
            refresh, upserts, history = [], [], []
            upserted: dict[tuple[str, str], dict[str, Any]] = {}
            for kind, name, state, detail in rows:
                old = known.get((kind, name))
                text = _json(detail)
                if old == state:
                    if (kind, name) in upserted:  # changed earlier in this batch: its row, newer detail
                        upserted[(kind, name)]["detail"] = text
                    else:
                        refresh.append({"k": kind, "n": name, "detail": text})
                    continue
                upserted[(kind, name)] = row = {"kind": kind, "name": name, "state": state, "since": at,
                                                "detail": text}  # fmt: skip
                upserts.append(row)
                history.append(
                    {"at": at, "kind": kind, "name": name, "old": old, "new": state, "source": source}
                )
                known[(kind, name)] = state
                changed.append(Change(at, kind, name, old, state, source))
            if refresh:
                conn.execute(
                    current.update()
                    .where(current.c.kind == sa.bindparam("k"), current.c.name == sa.bindparam("n"))
                    .values(detail=sa.bindparam("detail")),
                    refresh,
                )
            if upserts:
                conn.execute(upsert(conn, current, ["kind", "name"], ["state", "since", "detail"]), upserts)
            if history:
                conn.execute(changes.insert(), history)
        return changed

    @staticmethod
    def _states_of(conn: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, name in keys:
            by_kind[kind].append(name)
        found: dict[tuple[str, str], str] = {}
        for kind, names in by_kind.items():
            for i in range(0, len(names), CHUNK):
                query = sa.select(current.c.name, current.c.state).where(
                    current.c.kind == kind, current.c.name.in_(names[i : i + CHUNK])
                )
                found.update({(kind, name): state for name, state in conn.execute(query)})
        return found

    def current(self, kind: str | None = None, *, detail: bool = True) -> list[StateRow]:
        """Current state of everything (of one kind), sorted by kind and name.

        ``detail=False`` skips the JSON details (interfaces, rates): ten times faster to read.
        """
        detail_col = current.c.detail if detail else sa.null()
        query = sa.select(current.c.kind, current.c.name, current.c.state, current.c.since, detail_col)
        if kind is not None:
            query = query.where(current.c.kind == kind)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(current.c.kind, current.c.name)).all()
        return [StateRow(r[0], r[1], r[2], r[3], json.loads(r[4]) if r[4] else None) for r in rows]

    def changes(
        self,
        kind: str | None = None,
        name: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[Change]:
        """State changes in time order, filtered."""
        c = changes.c
        query = sa.select(c.at, c.kind, c.name, c.old, c.new, c.source)
        if kind is not None:
            query = query.where(c.kind == kind)
        if name is not None:
            query = query.where(c.name == name)
        if since is not None:
            query = query.where(c.at >= since)
        if until is not None:
            query = query.where(c.at < until)
        with self.db.read() as conn:
            return [Change(*r) for r in conn.execute(query.order_by(c.at, c.id))]

    def version(self) -> tuple[int, int, float]:
        """Changes when any state or incident does: (last change id, open incidents, last incident update).

        Cheap enough to ask on every request, so that answers can be cached until it moves.
        """
        query = sa.select(
            sa.select(sa.func.max(changes.c.id)).scalar_subquery(),
            sa.select(sa.func.count())
            .select_from(incidents)
            .where(incidents.c.closed.is_(None))
            .scalar_subquery(),
            sa.select(sa.func.max(incidents.c.updated)).scalar_subquery(),
        )
        with self.db.read() as conn:
            row = conn.execute(query).one()
        return int(row[0] or 0), int(row[1] or 0), float(row[2] or 0.0)

    def changes_after(self, last_id: int, limit: int = 500) -> list[tuple[int, Change]]:
        """Changes with an id above ``last_id`` (oldest first): what a live stream sends next."""
        c = changes.c
        query = (
            sa.select(c.id, c.at, c.kind, c.name, c.old, c.new, c.source)
            .where(c.id > last_id)
            .order_by(c.id)
            .limit(limit)
        )
        with self.db.read() as conn:
            return [(int(r[0]), Change(*r[1:])) for r in conn.execute(query)]

    def last_change_id(self) -> int:
        """The id of the newest change (0 when there is none)."""
        with self.db.read() as conn:
            return int(conn.execute(sa.select(sa.func.max(changes.c.id))).scalar() or 0)

    def states_at(self, kind: str, at: float) -> dict[str, str]:
        """The state of every object of ``kind`` at time ``at`` (from the change history)."""
        last = (
            sa.select(changes.c.name, sa.func.max(changes.c.id).label("last"))
            .where(changes.c.kind == kind, changes.c.at <= at)
            .group_by(changes.c.name)
            .subquery()
        )
        query = sa.select(changes.c.name, changes.c.new).join(last, changes.c.id == last.c.last)
        with self.db.read() as conn:
            return {name: new for name, new in conn.execute(query)}
