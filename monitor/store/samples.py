"""Interface samples, their hourly rollups and the poll records: retention with downsampling."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from govnet.monitor.store.database import Database
from govnet.monitor.store.records import PollRecord, PruneReport, Sample
from govnet.monitor.store.schema import hour_start, polls, samples, samples_hourly
from govnet.monitor.store.upsert import dialect_insert

_SAMPLE_COLUMNS = (
    "at", "device", "interface", "link", "in_bps", "out_bps", "util_pct",
    "in_err_ps", "out_err_ps", "in_disc_ps", "out_disc_ps", "rx_dbm",
)  # fmt: skip
_POLL_COLUMNS = ("at", "device", "shard", "cycle", "ok", "seconds", "varbinds", "error")
_HOURLY = (
    "hour",
    "n",
    "in_bps_avg",
    "out_bps_avg",
    "util_avg",
    "util_max",
    "err_ps_avg",
    "rx_dbm_avg",
    "rx_dbm_min",
)


def _weighted(old: Any, n_old: Any, new: Any, n_new: Any) -> Any:
    """Two averages merged by their counts; when one is NULL, the other."""
    return sa.case(
        (old.is_(None), new),
        (new.is_(None), old),
        else_=(old * n_old + new * n_new) / (n_old + n_new),
    )


def _larger(old: Any, new: Any) -> Any:
    a, b = sa.func.coalesce(old, 0.0), sa.func.coalesce(new, 0.0)
    return sa.case((a >= b, a), else_=b)


def _smaller(old: Any, new: Any) -> Any:
    """The lower of two values; when one is NULL, the other."""
    return sa.case((old.is_(None), new), (new.is_(None), old), (old <= new, old), else_=new)


#: (table, columns) -> the SQLite INSERT SQLAlchemy compiled, and the order of its parameters.
_SQLITE_INSERTS: dict[tuple[str, tuple[str, ...]], tuple[str, list[int]]] = {}


def _append(conn: Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Append ``rows`` (tuples in ``columns`` order) to ``table`` in the open transaction.

    On SQLite the statement SQLAlchemy compiles is handed to the driver's ``executemany`` with the
    tuples as they are (per-row parameter processing costs more than the insert: a poll of a
    48-port device is 49 sample rows); other backends go through SQLAlchemy's batched insert.
    """
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    key = (table.name, tuple(columns))
    if key not in _SQLITE_INSERTS:
        compiled = table.insert().compile(dialect=conn.dialect, column_keys=list(columns))
        _SQLITE_INSERTS[key] = (compiled.string, [columns.index(n) for n in compiled.positiontup or ()])
    sql, order = _SQLITE_INSERTS[key]
    if order != list(range(len(columns))):
        rows = [tuple(row[i] for i in order) for row in rows]
    conn.exec_driver_sql(sql, rows)


class Samples:
    """Samples and polls: appended in batches, rolled up into hours by :meth:`prune`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def write_samples(self, rows: Sequence[Sample]) -> None:
        """Append interface samples (one transaction)."""
        if not rows:
            return
        values = [
            (s.at, s.device, s.interface, s.link, s.in_bps, s.out_bps, s.util_pct, *s.errors(), s.rx_dbm)
            for s in rows
        ]
        with self.db.write() as conn:
            _append(conn, samples, _SAMPLE_COLUMNS, values)

    def samples(self, device: str, interface: str, since: float = 0.0) -> list[Sample]:
        """Raw samples of one interface since ``since``."""
        c = samples.c
        query = (
            sa.select(*(c[name] for name in _SAMPLE_COLUMNS))
            .where(c.device == device, c.interface == interface, c.at >= since)
            .order_by(c.at)
        )
        with self.db.read() as conn:
            return [Sample(*r) for r in conn.execute(query)]

    def hourly(self, device: str, interface: str) -> list[dict[str, Any]]:
        """Hourly rollups of one interface."""
        c = samples_hourly.c
        query = (
            sa.select(*(c[name] for name in _HOURLY))
            .where(c.device == device, c.interface == interface)
            .order_by(c.hour)
        )
        with self.db.read() as conn:
            return [dict(zip(_HOURLY, r, strict=True)) for r in conn.execute(query)]

    def write_polls(self, rows: Sequence[PollRecord]) -> None:
        """Append poll records (one transaction)."""
        if not rows:
            return
        values = [(p.at, p.device, p.shard, p.cycle, int(p.ok), p.seconds, p.varbinds, p.error) for p in rows]
        with self.db.write() as conn:
            _append(conn, polls, _POLL_COLUMNS, values)

    def polls(self, since: float = 0.0) -> list[PollRecord]:
        """Poll records since ``since``, in time order."""
        c = polls.c
        query = (
            sa.select(c.at, c.device, c.shard, c.cycle, c.ok, c.seconds, c.varbinds, c.error)
            .where(c.at >= since)
            .order_by(c.at)
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        return [PollRecord(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in rows]

    def prune(
        self, now: float, raw_seconds: float = 7 * 86400, hourly_seconds: float = 400 * 86400
    ) -> PruneReport:
        """Roll raw samples older than ``raw_seconds`` into hourly rows, then delete them.

        Hourly rows older than ``hourly_seconds`` and poll records older than ``raw_seconds`` are
        deleted. The rollup is one ``INSERT ... SELECT ... GROUP BY ... ON CONFLICT`` in the
        database: an hour already (partly) rolled up is merged by weight, never duplicated.
        """
        cut = now - raw_seconds
        cut = cut - cut % 3600  # whole hours only
        with self.db.write() as conn:
            rolled = self._roll_up(conn, cut)
            deleted = conn.execute(samples.delete().where(samples.c.at < cut)).rowcount
            old_hours = samples_hourly.delete().where(samples_hourly.c.hour < now - hourly_seconds)
            deleted_hourly = conn.execute(old_hours).rowcount
            deleted_polls = conn.execute(polls.delete().where(polls.c.at < cut)).rowcount
        return PruneReport(rolled, deleted, deleted_hourly, deleted_polls)

    @staticmethod
    def _roll_up(conn: Connection, cut: float) -> int:
        c = samples.c
        hour = hour_start(c.at)
        groups = (
            sa.select(
                hour,
                c.device,
                c.interface,
                sa.func.max(c.link),
                sa.func.count(),
                sa.func.avg(c.in_bps),
                sa.func.avg(c.out_bps),
                sa.func.avg(c.util_pct),
                sa.func.max(c.util_pct),
                sa.func.avg(sa.func.coalesce(c.in_err_ps, 0.0) + sa.func.coalesce(c.out_err_ps, 0.0)),
                sa.func.avg(c.rx_dbm),
                sa.func.min(c.rx_dbm),
            )
            .where(c.at < cut)
            .group_by(hour, c.device, c.interface)
        )
        columns = ["hour", "device", "interface", "link", "n", "in_bps_avg", "out_bps_avg", "util_avg",
                   "util_max", "err_ps_avg", "rx_dbm_avg", "rx_dbm_min"]  # fmt: skip
        stmt = dialect_insert(conn, samples_hourly).from_select(columns, groups)
        old, new = samples_hourly.c, stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=["hour", "device", "interface"],
            set_={
                "link": new.link,
                "n": old.n + new.n,
                "in_bps_avg": _weighted(old.in_bps_avg, old.n, new.in_bps_avg, new.n),
                "out_bps_avg": _weighted(old.out_bps_avg, old.n, new.out_bps_avg, new.n),
                "util_avg": _weighted(old.util_avg, old.n, new.util_avg, new.n),
                "util_max": _larger(old.util_max, new.util_max),
                "err_ps_avg": _weighted(old.err_ps_avg, old.n, new.err_ps_avg, new.n),
                "rx_dbm_avg": _weighted(old.rx_dbm_avg, old.n, new.rx_dbm_avg, new.n),
                "rx_dbm_min": _smaller(old.rx_dbm_min, new.rx_dbm_min),
            },
        )
        # RETURNING counts the hours written on both backends (rowcount does not on psycopg here).
        return len(conn.execute(stmt.returning(samples_hourly.c.hour)).all())
