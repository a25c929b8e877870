"""The link-health store: current state and history, in SQLite (default) or PostgreSQL.

One interface, two backends, the same SQL (``?`` placeholders, translated for psycopg):

* **current** — the latest state of every device, link and endpoint (agency, BTS, hotspot);
* **changes** — every state change, with where it came from (``poll``, ``trap``, ``correlation``);
* **samples** — per-interface rates per poll; older ones are rolled up into **samples_hourly**
  (average and maximum per hour) by :meth:`Store.prune`, then deleted: retention with downsampling;
* **polls** — one row per device scrape (which shard, how long, how many varbinds, the error);
* **incidents** — root cause, blast radius (JSON), opened/closed, acknowledgement;
* **maintenance** — declared windows, excluded from availability.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a writer killed mid-transaction leaves the
database as of its last commit (tested with SIGKILL). Every write method is one transaction.
Timestamps are UNIX seconds (float).
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from govnet.errors import GovnetError
from govnet.paths import state_home

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS current (
    kind TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL, since {real} NOT NULL,
    detail TEXT, PRIMARY KEY (kind, name));
CREATE TABLE IF NOT EXISTS changes (
    id {id}, at {real} NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    old TEXT, new TEXT NOT NULL, source TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS changes_by_name ON changes (kind, name, at);
CREATE INDEX IF NOT EXISTS changes_by_time ON changes (at);
CREATE TABLE IF NOT EXISTS samples (
    at {real} NOT NULL, device TEXT NOT NULL, interface TEXT NOT NULL, link TEXT,
    in_bps {real}, out_bps {real}, util_pct {real},
    in_err_ps {real}, out_err_ps {real}, in_disc_ps {real}, out_disc_ps {real});
CREATE INDEX IF NOT EXISTS samples_by_if ON samples (device, interface, at);
CREATE INDEX IF NOT EXISTS samples_by_time ON samples (at);
CREATE TABLE IF NOT EXISTS samples_hourly (
    hour {real} NOT NULL, device TEXT NOT NULL, interface TEXT NOT NULL, link TEXT, n INTEGER NOT NULL,
    in_bps_avg {real}, out_bps_avg {real}, util_avg {real}, util_max {real},
    err_ps_avg {real}, PRIMARY KEY (hour, device, interface));
CREATE TABLE IF NOT EXISTS polls (
    at {real} NOT NULL, device TEXT NOT NULL, shard TEXT NOT NULL, cycle INTEGER NOT NULL,
    ok INTEGER NOT NULL, seconds {real} NOT NULL, varbinds INTEGER NOT NULL, error TEXT);
CREATE INDEX IF NOT EXISTS polls_by_time ON polls (at);
CREATE TABLE IF NOT EXISTS incidents (
    id {id}, key TEXT NOT NULL, kind TEXT NOT NULL, root_cause TEXT NOT NULL,
    opened {real} NOT NULL, updated {real} NOT NULL, closed {real}, detail TEXT NOT NULL,
    acknowledged_by TEXT, acknowledged_at {real});
CREATE INDEX IF NOT EXISTS incidents_open ON incidents (closed, key);
CREATE TABLE IF NOT EXISTS maintenance (
    id {id}, target TEXT NOT NULL, starts {real} NOT NULL, ends {real} NOT NULL, reason TEXT NOT NULL);
"""


class StoreError(GovnetError):
    """The store cannot be opened or written."""


@dataclass(frozen=True)
class StateRow:
    """The current state of one object."""

    kind: str  # "device" | "link" | "endpoint" | "alert"
    name: str
    state: str
    since: float
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class Change:
    """One state change."""

    at: float
    kind: str
    name: str
    old: str | None
    new: str
    source: str


@dataclass(frozen=True)
class Sample:
    """Rates of one interface over one polling interval."""

    at: float
    device: str
    interface: str
    link: str | None
    in_bps: float | None
    out_bps: float | None
    util_pct: float | None
    in_err_ps: float | None = None
    out_err_ps: float | None = None
    in_disc_ps: float | None = None
    out_disc_ps: float | None = None

    def errors(self) -> tuple[float | None, ...]:
        """Error and discard rates, in the store's column order."""
        return (self.in_err_ps, self.out_err_ps, self.in_disc_ps, self.out_disc_ps)


@dataclass(frozen=True)
class PollRecord:
    """One scrape of one device."""

    at: float
    device: str
    shard: str
    cycle: int
    ok: bool
    seconds: float
    varbinds: int
    error: str | None


@dataclass(frozen=True)
class IncidentRow:
    """A stored incident (``detail`` is :meth:`govnet.monitor.incidents.Incident.as_dict`)."""

    id: int
    key: str
    kind: str
    root_cause: str
    opened: float
    updated: float
    closed: float | None
    detail: dict[str, Any]
    acknowledged_by: str | None
    acknowledged_at: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "kind": self.kind,
            "root_cause": self.root_cause,
            "opened": self.opened,
            "updated": self.updated,
            "closed": self.closed,
            "open": self.closed is None,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": self.acknowledged_at,
            **{k: v for k, v in self.detail.items() if k not in {"kind", "root_cause"}},
        }


@dataclass(frozen=True)
class Window:
    """A declared maintenance window: ``target`` is ``*``, ``device:X``, ``district:D`` or ``endpoint:ID``."""

    id: int
    target: str
    starts: float
    ends: float
    reason: str


@dataclass(frozen=True)
class PruneReport:
    """What :meth:`Store.prune` did."""

    rolled_up: int
    deleted_samples: int
    deleted_hourly: int
    deleted_polls: int


class _Cursor(Protocol):
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...


class Store:
    """The store API; :func:`open_store` returns the backend for a URL."""

    backend = "abstract"
    _real = "REAL"
    _id = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self) -> None:
        self._lock = threading.RLock()

    # -- backend hooks
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        raise NotImplementedError

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        raise NotImplementedError
        yield  # pragma: no cover

    def close(self) -> None:
        """Close the connection."""
        raise NotImplementedError

    def _schema_lock(self) -> None:
        """Serialise schema creation between processes (SQLite's BEGIN IMMEDIATE already does)."""

    def _migrate(self) -> None:
        with self._transaction():
            self._schema_lock()
            for statement in _DDL.format(real=self._real, id=self._id).split(";"):
                if statement.strip():
                    self._execute(statement)
            row = self._execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                self._execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"the store has schema {row[0]}, this govnet knows {SCHEMA_VERSION}",
                    hint="upgrade govnet, or point GOVNET_STORE at another database",
                )

    # -- state
    def set_states(
        self, updates: Iterable[tuple[str, str, str, dict[str, Any] | None]], at: float, source: str
    ) -> list[Change]:
        """Write (kind, name, state, detail) rows; record and return the ones that changed state."""
        changed: list[Change] = []
        with self._lock, self._transaction():
            rows = {
                (r[0], r[1]): r[2] for r in self._execute("SELECT kind, name, state FROM current").fetchall()
            }
            for kind, name, state, detail in updates:
                old = rows.get((kind, name))
                text = json.dumps(detail, ensure_ascii=False) if detail is not None else None
                if old == state:
                    self._execute(
                        "UPDATE current SET detail = ? WHERE kind = ? AND name = ?", (text, kind, name)
                    )
                    continue
                self._execute(
                    "INSERT INTO current (kind, name, state, since, detail) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (kind, name) DO UPDATE SET state = excluded.state, "
                    "since = excluded.since, detail = excluded.detail",
                    (kind, name, state, at, text),
                )
                self._execute(
                    "INSERT INTO changes (at, kind, name, old, new, source) VALUES (?, ?, ?, ?, ?, ?)",
                    (at, kind, name, old, state, source),
                )
                rows[(kind, name)] = state
                changed.append(Change(at, kind, name, old, state, source))
        return changed

    def current(self, kind: str | None = None, *, detail: bool = True) -> list[StateRow]:
        """Current state of everything (of one kind), sorted by kind and name.

        ``detail=False`` skips the JSON details (interfaces, rates): ten times faster to read.
        """
        columns = "detail" if detail else "NULL"
        sql = f"SELECT kind, name, state, since, {columns} FROM current"
        params: tuple[Any, ...] = ()
        if kind is not None:
            sql += " WHERE kind = ?"
            params = (kind,)
        with self._lock:
            rows = self._execute(sql + " ORDER BY kind, name", params).fetchall()
        return [StateRow(r[0], r[1], r[2], r[3], json.loads(r[4]) if r[4] else None) for r in rows]

    def changes(
        self,
        kind: str | None = None,
        name: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[Change]:
        """State changes in time order, filtered."""
        where, params = ["1 = 1"], []
        for column, value, op in (
            ("kind", kind, "="),
            ("name", name, "="),
            ("at", since, ">="),
            ("at", until, "<"),
        ):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        sql = (
            "SELECT at, kind, name, old, new, source FROM changes "
            f"WHERE {' AND '.join(where)} ORDER BY at, id"
        )
        with self._lock:
            return [Change(*r) for r in self._execute(sql, params).fetchall()]

    def version(self) -> tuple[int, int, float]:
        """Changes when any state or incident does: (last change id, open incidents, last incident update).

        Cheap enough to ask on every request, so that answers can be cached until it moves.
        """
        with self._lock:
            row = self._execute(
                "SELECT (SELECT MAX(id) FROM changes), "
                "(SELECT COUNT(*) FROM incidents WHERE closed IS NULL), (SELECT MAX(updated) FROM incidents)"
            ).fetchone()
        return int(row[0] or 0), int(row[1] or 0), float(row[2] or 0.0)

    def changes_after(self, last_id: int, limit: int = 500) -> list[tuple[int, Change]]:
        """Changes with an id above ``last_id`` (oldest first): what a live stream sends next."""
        sql = "SELECT id, at, kind, name, old, new, source FROM changes WHERE id > ? ORDER BY id LIMIT ?"
        with self._lock:
            return [(int(r[0]), Change(*r[1:])) for r in self._execute(sql, (last_id, limit)).fetchall()]

    def last_change_id(self) -> int:
        """The id of the newest change (0 when there is none)."""
        with self._lock:
            row = self._execute("SELECT MAX(id) FROM changes").fetchone()
        return int(row[0] or 0)

    def states_at(self, kind: str, at: float) -> dict[str, str]:
        """The state of every object of ``kind`` at time ``at`` (from the change history)."""
        sql = (
            "SELECT c.name, c.new FROM changes c JOIN (SELECT name, MAX(id) AS last FROM changes "
            "WHERE kind = ? AND at <= ? GROUP BY name) l ON c.id = l.last"
        )
        with self._lock:
            return {r[0]: r[1] for r in self._execute(sql, (kind, at)).fetchall()}

    # -- samples and polls
    def write_samples(self, samples: Sequence[Sample]) -> None:
        """Append interface samples (one transaction)."""
        if not samples:
            return
        with self._lock, self._transaction():
            self._executemany(
                "INSERT INTO samples (at, device, interface, link, in_bps, out_bps, util_pct, "
                "in_err_ps, out_err_ps, in_disc_ps, out_disc_ps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (s.at, s.device, s.interface, s.link, s.in_bps, s.out_bps, s.util_pct, *s.errors())
                    for s in samples
                ],
            )

    def samples(self, device: str, interface: str, since: float = 0.0) -> list[Sample]:
        """Raw samples of one interface since ``since``."""
        sql = (
            "SELECT at, device, interface, link, in_bps, out_bps, util_pct, in_err_ps, out_err_ps, "
            "in_disc_ps, out_disc_ps FROM samples WHERE device = ? AND interface = ? AND at >= ? ORDER BY at"
        )
        with self._lock:
            return [Sample(*r) for r in self._execute(sql, (device, interface, since)).fetchall()]

    def hourly(self, device: str, interface: str) -> list[dict[str, Any]]:
        """Hourly rollups of one interface."""
        sql = (
            "SELECT hour, n, in_bps_avg, out_bps_avg, util_avg, util_max, err_ps_avg FROM samples_hourly "
            "WHERE device = ? AND interface = ? ORDER BY hour"
        )
        keys = ("hour", "n", "in_bps_avg", "out_bps_avg", "util_avg", "util_max", "err_ps_avg")
        with self._lock:
            return [
                dict(zip(keys, r, strict=True)) for r in self._execute(sql, (device, interface)).fetchall()
            ]

    def write_polls(self, polls: Sequence[PollRecord]) -> None:
        """Append poll records (one transaction)."""
        if not polls:
            return
        with self._lock, self._transaction():
            self._executemany(
                "INSERT INTO polls (at, device, shard, cycle, ok, seconds, varbinds, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (p.at, p.device, p.shard, p.cycle, int(p.ok), p.seconds, p.varbinds, p.error)
                    for p in polls
                ],
            )

    def polls(self, since: float = 0.0) -> list[PollRecord]:
        """Poll records since ``since``, in time order."""
        sql = (
            "SELECT at, device, shard, cycle, ok, seconds, varbinds, error FROM polls "
            "WHERE at >= ? ORDER BY at"
        )
        with self._lock:
            rows = self._execute(sql, (since,)).fetchall()
        return [PollRecord(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in rows]

    # -- incidents
    def open_incident(self, key: str, kind: str, root_cause: str, at: float, detail: dict[str, Any]) -> int:
        """Store a new open incident; return its id."""
        with self._lock, self._transaction():
            row = self._execute(
                "INSERT INTO incidents (key, kind, root_cause, opened, updated, detail) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (key, kind, root_cause, at, at, json.dumps(detail, ensure_ascii=False)),
            ).fetchone()
        return int(row[0])

    def update_incident(self, incident_id: int, at: float, detail: dict[str, Any]) -> None:
        """Replace an open incident's detail (its blast radius grew or shrank)."""
        with self._lock, self._transaction():
            self._execute(
                "UPDATE incidents SET updated = ?, detail = ? WHERE id = ?",
                (at, json.dumps(detail, ensure_ascii=False), incident_id),
            )

    def close_incident(self, incident_id: int, at: float) -> None:
        """Close an incident."""
        with self._lock, self._transaction():
            self._execute("UPDATE incidents SET closed = ?, updated = ? WHERE id = ?", (at, at, incident_id))

    def acknowledge(self, incident_id: int, who: str, at: float) -> bool:
        """Mark an incident acknowledged; False when there is no such incident."""
        with self._lock, self._transaction():
            found = self._execute("SELECT id FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            if found is None:
                return False
            self._execute(
                "UPDATE incidents SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ?",
                (who, at, incident_id),
            )
        return True

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
        where, params = ["1 = 1"], []
        if open_only:
            where.append("closed IS NULL")
        if since is not None:
            where.append("(closed IS NULL OR closed >= ?)")
            params.append(since)
        if incident_id is not None:
            where.append("id = ?")
            params.append(incident_id)
        sql = (
            "SELECT id, key, kind, root_cause, opened, updated, closed, detail, acknowledged_by, "
            f"acknowledged_at FROM incidents WHERE {' AND '.join(where)} ORDER BY opened DESC, id DESC "
            "LIMIT ? OFFSET ?"
        )
        with self._lock:
            rows = self._execute(sql, [*params, limit, offset]).fetchall()
        return [
            IncidentRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9]) for r in rows
        ]

    def probe_write(self, at: float) -> None:
        """Write one small row and commit it (StoreError when the store cannot be written)."""
        with self._lock, self._transaction():
            self._execute(
                "INSERT INTO meta (key, value) VALUES ('write_probe', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (repr(at),),
            )

    def incident(self, incident_id: int) -> IncidentRow | None:
        """One incident by id."""
        found = self.incidents(incident_id=incident_id, limit=1)
        return found[0] if found else None

    # -- maintenance
    def add_maintenance(self, target: str, starts: float, ends: float, reason: str) -> int:
        """Declare a maintenance window; return its id."""
        if ends <= starts:
            raise StoreError("a maintenance window must end after it starts", hint="check --start/--end")
        with self._lock, self._transaction():
            row = self._execute(
                "INSERT INTO maintenance (target, starts, ends, reason) VALUES (?, ?, ?, ?) RETURNING id",
                (target, starts, ends, reason),
            ).fetchone()
        return int(row[0])

    def maintenance(self, since: float = 0.0, until: float = float("inf")) -> list[Window]:
        """Windows overlapping [since, until)."""
        sql = (
            "SELECT id, target, starts, ends, reason FROM maintenance "
            "WHERE ends > ? AND starts < ? ORDER BY starts"
        )
        limit = until if until != float("inf") else 1e18
        with self._lock:
            return [Window(*r) for r in self._execute(sql, (since, limit)).fetchall()]

    # -- retention
    def prune(
        self, now: float, raw_seconds: float = 7 * 86400, hourly_seconds: float = 400 * 86400
    ) -> PruneReport:
        """Roll raw samples older than ``raw_seconds`` into hourly rows, then delete them.

        Hourly rows older than ``hourly_seconds`` and poll records older than ``raw_seconds`` are
        deleted. Rolling up is idempotent per hour: a partly rolled-up hour is merged by weight.
        """
        cut = now - raw_seconds
        cut = cut - cut % 3600  # whole hours only
        with self._lock, self._transaction():
            groups = self._execute(
                "SELECT CAST(at / 3600 AS INTEGER) * 3600, device, interface, MAX(link), COUNT(*), "
                "AVG(in_bps), AVG(out_bps), AVG(util_pct), MAX(util_pct), "
                "AVG(COALESCE(in_err_ps, 0) + COALESCE(out_err_ps, 0)) "
                "FROM samples WHERE at < ? GROUP BY 1, 2, 3",
                (cut,),
            ).fetchall()
            for g in groups:
                self._merge_hour(g)
            deleted = self._count_delete("samples", "at < ?", cut)
            deleted_hourly = self._count_delete("samples_hourly", "hour < ?", now - hourly_seconds)
            deleted_polls = self._count_delete("polls", "at < ?", cut)
        return PruneReport(len(groups), deleted, deleted_hourly, deleted_polls)

    def _merge_hour(self, g: Sequence[Any]) -> None:
        hour, device, interface, link, n = float(g[0]), g[1], g[2], g[3], int(g[4])
        old = self._execute(
            "SELECT n, in_bps_avg, out_bps_avg, util_avg, util_max, err_ps_avg FROM samples_hourly "
            "WHERE hour = ? AND device = ? AND interface = ?",
            (hour, device, interface),
        ).fetchone()
        values = [g[5], g[6], g[7], g[8], g[9]]
        if old is not None:
            before, total = int(old[0]), int(old[0]) + n

            def mix(a: float | None, b: float | None) -> float | None:
                if a is None or b is None:
                    return a if b is None else b
                return float(a * before + b * n) / total

            values = [
                mix(old[1], g[5]),
                mix(old[2], g[6]),
                mix(old[3], g[7]),
                max(old[4] or 0, g[8] or 0),
                mix(old[5], g[9]),
            ]
            n = total
            self._execute(
                "DELETE FROM samples_hourly WHERE hour = ? AND device = ? AND interface = ?",
                (hour, device, interface),
            )
        self._execute(
            "INSERT INTO samples_hourly (hour, device, interface, link, n, in_bps_avg, out_bps_avg, "
            "util_avg, util_max, err_ps_avg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (hour, device, interface, link, n, *values),
        )

    def _count_delete(self, table: str, where: str, value: float) -> int:
        row = self._execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", (value,)).fetchone()
        self._execute(f"DELETE FROM {table} WHERE {where}", (value,))
        return int(row[0])


class SqliteStore(Store):
    """SQLite in WAL mode (the default; one file under the state directory)."""

    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot open the store {path}: {exc}", hint="is it a govnet SQLite file?"
            ) from exc

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        try:
            return self._conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path}: {exc}") from exc

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path}: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # BEGIN and COMMIT fail too (a full disk is often seen at COMMIT, when the WAL grows):
        # every failure is a StoreError, and the transaction is rolled back unless SQLite already
        # did (it does on SQLITE_FULL), so the connection stays usable for the next attempt.
        with self._lock:
            self._execute("BEGIN IMMEDIATE")
            try:
                yield
                self._execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                raise

    def integrity(self) -> str:
        """SQLite's own integrity check (``ok`` when intact)."""
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


_PLACEHOLDER = re.compile(r"\?")


class PostgresStore(Store):
    """PostgreSQL through psycopg 3: the production option and the shared store of sharded pollers."""

    backend = "postgresql"
    _real = "DOUBLE PRECISION"
    _id = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"

    def __init__(self, url: str) -> None:
        super().__init__()
        import psycopg

        self._psycopg = psycopg
        self._where = mask_url(url)
        try:
            self._conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the store {self._where}: {str(exc).strip().splitlines()[0]}",
                hint="check GOVNET_STORE (postgresql://user@host/db) and that the server is running",
            ) from exc
        self._migrate()

    def _schema_lock(self) -> None:
        # Several sharded pollers may start at once: one of them creates the schema.
        self._execute("SELECT pg_advisory_xact_lock(4242)")

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        try:
            return self._conn.execute(_PLACEHOLDER.sub("%s", sql), tuple(params))
        except self._psycopg.Error as exc:
            raise StoreError(f"store {self._where}: {str(exc).strip().splitlines()[0]}") from exc

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            with self._conn.cursor() as cur:
                cur.executemany(_PLACEHOLDER.sub("%s", sql), list(rows))
        except self._psycopg.Error as exc:
            raise StoreError(f"store {self._where}: {str(exc).strip().splitlines()[0]}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock, self._conn.transaction():
            yield

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def mask_url(url: str) -> str:
    """A store URL without its password, for messages and logs.

    >>> mask_url("postgresql://govnet:s3cret@db.example/govnet")
    'postgresql://govnet:***@db.example/govnet'
    >>> mask_url("sqlite:///var/lib/govnet/monitor.db")
    'sqlite:///var/lib/govnet/monitor.db'
    """
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def default_store_url() -> str:
    """SQLite under the state directory."""
    return f"sqlite:///{state_home() / 'monitor.db'}"


def open_store(url: str | None = None) -> Store:
    """Open the store at ``url`` (``sqlite:///PATH``, a plain path, or ``postgresql://...``)."""
    import os

    url = url or os.environ.get("GOVNET_STORE") or default_store_url()
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url)
    if url.startswith("sqlite:///"):
        return SqliteStore(Path(url.removeprefix("sqlite://")))
    if "://" in url:
        raise StoreError(
            f"unknown store URL {mask_url(url)}", hint="use sqlite:///PATH or postgresql://user@host/db"
        )
    return SqliteStore(Path(url))
