"""The API's own small tables (sessions, audit log) in the monitor's store, through one adapter.

Each table is created on first use (``CREATE TABLE IF NOT EXISTS``, in the store's dialect) and
read and written with the store's connection and lock, so that SQLite and PostgreSQL both work
and the API opens no second connection. This is the one place that touches the store's
internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from govnet.monitor.store import Store


class Table:
    """One table of the API in ``store``."""

    def __init__(self, store: Store, name: str, columns: str, extra: Sequence[str] = ()) -> None:
        self.store = store
        self.name = name
        backend = getattr(store, "inner", store)  # a SpoolingStore: the dialect is its real store's
        self._ddl = [
            f"CREATE TABLE IF NOT EXISTS {name} ({columns})".format(real=backend._real, id=backend._id),
            *extra,
        ]
        self._ready = False

    def _ensure(self) -> None:
        if self._ready:
            return
        with self.store._transaction():
            for statement in self._ddl:
                self.store._execute(statement)
        self._ready = True

    def write(self, sql: str, params: Sequence[Any]) -> None:
        """One statement in its own transaction."""
        self._ensure()
        with self.store._transaction():
            self.store._execute(sql, params)

    def read_one(self, sql: str, params: Sequence[Any]) -> Any:
        """The first row of a query (None when there is none)."""
        self._ensure()
        with self.store._lock:
            return self.store._execute(sql, params).fetchone()

    def read_all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Every row of a query."""
        self._ensure()
        with self.store._lock:
            return list(self.store._execute(sql, params).fetchall())
