"""Alembic migrations of the store: run on open, or by ``govnet monitor db upgrade``.

A store created before govnet had migrations (tables and ``meta`` schema 1, no
``alembic_version``) is stamped with the baseline revision, then upgraded like any other; an
empty database is created by the migrations. Everything runs in one transaction, and on
PostgreSQL under an advisory lock, so several pollers starting at once upgrade it once.
"""

from __future__ import annotations

from importlib.resources import files

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection

from govnet.monitor.store.database import Database
from govnet.monitor.store.records import StoreError

#: The revision that is the schema govnet created before it had migrations.
BASELINE = "0001"
#: ``pg_advisory_xact_lock`` key that serialises schema changes between processes.
SCHEMA_LOCK = 4242


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("govnet.monitor.store") / "migrations"))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def head() -> str:
    """The newest revision this govnet knows."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None
    return found


def revision(conn: Connection) -> str | None:
    """The revision the database is at (None: not under migrations)."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> tuple[str | None, str]:
    """Bring the store to the newest revision; return (revision before, revision after)."""
    with db.write() as conn:
        if db.backend == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK)))
        tables = set(sa.inspect(conn).get_table_names())
        before = revision(conn) if "alembic_version" in tables else None
        known = ScriptDirectory.from_config(_config())
        if before is not None and before not in {s.revision for s in known.walk_revisions()}:
            raise StoreError(
                f"the store {db.where} was migrated by a newer govnet (revision {before}, "
                f"this govnet knows up to {head()})",
                hint="upgrade govnet, or point GOVNET_STORE at another database",
            )
        if before is None and "meta" in tables:
            _check_legacy(conn, db)
            command.stamp(_config(conn), BASELINE)
            before = BASELINE
        try:
            command.upgrade(_config(conn), "head")
        except CommandError as error:
            raise StoreError(f"cannot upgrade the store {db.where}: {error}") from error
        return before, revision(conn) or ""


def _check_legacy(conn: Connection, db: Database) -> None:
    """A store from before migrations: its schema number must be the baseline's."""
    row = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema'")).first()
    if row is not None and row[0] != "1":
        raise StoreError(
            f"the store {db.where} has schema {row[0]} but no migration history",
            hint="point GOVNET_STORE at another database, or restore it from a backup",
        )
