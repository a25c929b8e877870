"""``INSERT ... ON CONFLICT DO UPDATE`` through the dialect in use (SQLite and PostgreSQL agree)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def dialect_insert(conn: Connection, table: sa.Table) -> Any:
    """The dialect's own INSERT (the one that knows ``on_conflict_do_update``)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def upsert(conn: Connection, table: sa.Table, keys: Sequence[str], columns: Sequence[str]) -> Any:
    """INSERT the row, or UPDATE ``columns`` of the one with the same ``keys``."""
    stmt = dialect_insert(conn, table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: getattr(stmt.excluded, c) for c in columns}
    )
