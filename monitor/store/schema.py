"""The store's tables as SQLAlchemy Core metadata: what the queries are written against.

The same metadata renders on SQLite and PostgreSQL; the migrations in ``migrations/versions``
create exactly this (a test compares a migrated database with it, on both backends). Timestamps
are UNIX seconds in double precision (``REAL`` on SQLite); details are JSON text.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

#: UNIX seconds: DOUBLE PRECISION on PostgreSQL, REAL on SQLite.
Real: sa.types.TypeEngine[float] = sa.Double().with_variant(sa.REAL(), "sqlite")
#: Row ids: BIGINT identity on PostgreSQL, INTEGER PRIMARY KEY AUTOINCREMENT on SQLite.
RowId: sa.types.TypeEngine[int] = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData()


def _id() -> sa.Column[int]:
    return sa.Column("id", RowId, sa.Identity(always=True), primary_key=True)


meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

current = sa.Table(
    "current",
    metadata,
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("since", Real, nullable=False),
    sa.Column("detail", sa.Text),
)

changes = sa.Table(
    "changes",
    metadata,
    _id(),
    sa.Column("at", Real, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("old", sa.Text),
    sa.Column("new", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Index("changes_by_name", "kind", "name", "at"),
    sa.Index("changes_by_time", "at"),
    sqlite_autoincrement=True,
)

_rates = ("in_bps", "out_bps", "util_pct", "in_err_ps", "out_err_ps", "in_disc_ps", "out_disc_ps", "rx_dbm")

samples = sa.Table(
    "samples",
    metadata,
    sa.Column("at", Real, nullable=False),
    sa.Column("device", sa.Text, nullable=False),
    sa.Column("interface", sa.Text, nullable=False),
    sa.Column("link", sa.Text),
    *(sa.Column(name, Real) for name in _rates),
    sa.Index("samples_by_if", "device", "interface", "at"),
    sa.Index("samples_by_time", "at"),
)

samples_hourly = sa.Table(
    "samples_hourly",
    metadata,
    sa.Column("hour", Real, primary_key=True),
    sa.Column("device", sa.Text, primary_key=True),
    sa.Column("interface", sa.Text, primary_key=True),
    sa.Column("link", sa.Text),
    sa.Column("n", sa.Integer, nullable=False),
    *(
        sa.Column(name, Real)
        for name in (
            "in_bps_avg",
            "out_bps_avg",
            "util_avg",
            "util_max",
            "err_ps_avg",
            "rx_dbm_avg",
            "rx_dbm_min",
        )
    ),
)

polls = sa.Table(
    "polls",
    metadata,
    sa.Column("at", Real, nullable=False),
    sa.Column("device", sa.Text, nullable=False),
    sa.Column("shard", sa.Text, nullable=False),
    sa.Column("cycle", sa.Integer, nullable=False),
    sa.Column("ok", sa.Integer, nullable=False),
    sa.Column("seconds", Real, nullable=False),
    sa.Column("varbinds", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
    sa.Index("polls_by_time", "at"),
)

incidents = sa.Table(
    "incidents",
    metadata,
    _id(),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("root_cause", sa.Text, nullable=False),
    sa.Column("opened", Real, nullable=False),
    sa.Column("updated", Real, nullable=False),
    sa.Column("closed", Real),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("acknowledged_by", sa.Text),
    sa.Column("acknowledged_at", Real),
    sa.Index("incidents_open", "closed", "key"),
    sqlite_autoincrement=True,
)

maintenance = sa.Table(
    "maintenance",
    metadata,
    _id(),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("starts", Real, nullable=False),
    sa.Column("ends", Real, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sqlite_autoincrement=True,
)


# -- the API's own tables (govnet.api.sessions, govnet.api.audit)

api_sessions = sa.Table(
    "api_sessions",
    metadata,
    sa.Column("id_sha256", sa.Text, primary_key=True),
    sa.Column("token_id", sa.Text, nullable=False),
    sa.Column("csrf", sa.Text, nullable=False),
    sa.Column("created", Real, nullable=False),
    sa.Column("last_seen", Real, nullable=False),
    sa.Index("api_sessions_by_token", "token_id"),
)

api_audit = sa.Table(
    "api_audit",
    metadata,
    _id(),
    sa.Column("at", Real, nullable=False),
    sa.Column("token_id", sa.Text, nullable=False),
    sa.Column("token_name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Index("api_audit_by_time", "at"),
    sa.Index("api_audit_by_action", "action", "id"),
    sqlite_autoincrement=True,
)


class hour_start(FunctionElement[float]):  # noqa: N801 (an SQL function's name)
    """The start of the UNIX hour a timestamp falls in (floor, on both backends)."""

    type = Real
    name = "hour_start"
    inherit_cache = True


@compiles(hour_start, "sqlite")
def _hour_sqlite(element: hour_start, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite has no floor() unless built with its math functions; CAST truncates, which is the
    # floor for the non-negative times the store holds.
    return f"(CAST(({compiler.process(element.clauses, **kw)}) / 3600 AS INTEGER) * 3600)"


@compiles(hour_start)
def _hour_default(element: hour_start, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL's CAST to an integer rounds (14:40 would land in 15:00): floor() it is.
    return f"(floor(({compiler.process(element.clauses, **kw)}) / 3600) * 3600)"
