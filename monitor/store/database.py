"""One database behind the store: a pooled SQLAlchemy engine, its transactions, its errors.

SQLite (a file) and PostgreSQL (psycopg 3) sit behind the same code; nothing is rewritten per
backend except what SQLAlchemy's dialects do. SQLite runs in WAL mode with
``synchronous=NORMAL``: a writer killed mid-transaction leaves the database as of its last
commit. A write transaction on SQLite starts with ``BEGIN IMMEDIATE`` (it takes the write lock at
once, so two writers queue on the busy timeout instead of failing on a lock upgrade); reads start
a deferred one and never block a writer. Every database error becomes a :class:`StoreError` whose
cause is the driver's own exception (the full-disk handling reads it) and whose text names the
store without its password.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine

from govnet.monitor.store.records import StoreError

#: SQLite waits this long for another writer's lock before giving up.
BUSY_TIMEOUT_S = 10


def mask_url(url: str) -> str:
    """A store URL without its password, for messages and logs.

    >>> mask_url("postgresql://govnet:s3cret@db.example/govnet")
    'postgresql://govnet:***@db.example/govnet'
    >>> mask_url("sqlite:///var/lib/govnet/monitor.db")
    'sqlite:///var/lib/govnet/monitor.db'
    >>> mask_url("postgresql://govnet:s@c@ret@db.example/govnet")  # up to the last '@', as parsers read it
    'postgresql://govnet:***@db.example/govnet'
    >>> mask_url("postgresql://govnet@db.example/govnet?sslmode=require&password=s3cret")  # libpq's too
    'postgresql://govnet@db.example/govnet?sslmode=require&password=***'
    """
    url = re.sub(r"(://[^:/@]+):[^/\s]*@", r"\1:***@", url)
    return re.sub(r"([?&]password=)[^&#\s]*", r"\1***", url, flags=re.IGNORECASE)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class Database:
    """A pooled engine for one store URL (``sqlite:///PATH`` or ``postgresql://...``)."""

    def __init__(self, url: str) -> None:
        self.where = mask_url(url)
        #: (revision before, revision after) of the upgrade done when it was opened.
        self.revisions: tuple[str | None, str] | None = None
        if url.startswith(("postgresql://", "postgres://")):
            self.backend = "postgresql"
            driver_url = "postgresql+psycopg://" + url.split("://", 1)[1]
            # pre_ping: a server restarted while the pool held connections costs one retry, not
            # one failed write per stale connection.
            self.engine: Engine = sa.create_engine(driver_url, pool_pre_ping=True, pool_size=4)
        elif url.startswith("sqlite:///"):
            self.backend = "sqlite"
            self.path: Path | None = Path(url.removeprefix("sqlite://"))
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create {self.path.parent}: {error.strerror}") from error
            self.engine = sa.create_engine(
                sa.URL.create("sqlite+pysqlite", database=str(self.path)),
                connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
                pool_size=4,
            )
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            raise StoreError(
                f"unknown store URL {self.where}", hint="use sqlite:///PATH or postgresql://user@host/db"
            )

    def error(self, error: exc.SQLAlchemyError) -> StoreError:
        """A database error as the store's error (the driver's exception as its cause)."""
        return StoreError(f"store {self.where}: {_first_line(_cause(error))}")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection from the pool for reading (one consistent snapshot)."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except exc.SQLAlchemyError as error:
            raise self.error(error) from _cause(error)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed at the end of the block, rolled back on any error."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(govnet_write=True)
                with conn.begin():
                    yield conn
        except exc.SQLAlchemyError as error:
            raise self.error(error) from _cause(error)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _cause(error: exc.SQLAlchemyError) -> BaseException:
    return error.orig if isinstance(error, exc.DBAPIError) and error.orig is not None else error


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The transactions are ours (BEGIN below), not the driver's implicit ones.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("govnet_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
