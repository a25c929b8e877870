"""The store's Alembic migrations: a store made by govnet before migrations (its DDL kept in
tests/fixtures/store_schema_v1.sql) is upgraded on open with every row kept, on SQLite and on a
real PostgreSQL server; a fresh store's schema is the metadata's; newer stores are refused."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from govnet.monitor.store import Sample, StoreError, open_store
from govnet.monitor.store.migrate import head
from govnet.monitor.store.schema import metadata

LEGACY_DDL = (Path(__file__).parent / "fixtures" / "store_schema_v1.sql").read_text()
#: What the code before migrations put in the DDL's {real} and {id} per backend.
LEGACY_TYPES = {
    "sqlite": {"real": "REAL", "id": "INTEGER PRIMARY KEY AUTOINCREMENT"},
    "postgresql": {"real": "DOUBLE PRECISION", "id": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"},
}
TABLES = ("meta", "current", "changes", "samples", "samples_hourly", "polls", "incidents", "maintenance")

#: One or more rows for every table, as that code wrote them (hostile and non-ASCII text included).
ROWS: dict[str, list[tuple[Any, ...]]] = {
    "meta": [("write_probe", "1700000000.5")],
    "current": [
        ("device", "hub-1", "up", 1700000000.25, '{"interfaces": [{"name": "eth1"}], "note": "Sở Y tế"}'),
        ("link", "L1", "down", 1700000100.0, None),
        ("endpoint", "agency:'; DROP TABLE current; --", "up", 1700000200.0, '{"district": "Đồng Xoài"}'),
    ],
    "changes": [
        (1700000000.25, "device", "hub-1", None, "up", "poll"),
        (1700000050.0, "link", "L1", None, "up", "poll"),
        (1700000100.0, "link", "L1", "up", "down", "trap"),
    ],
    "samples": [
        (1700000000.0, "hub-1", "eth1", "L1", 1e6, 2e6, 12.5, 0.0, 0.1, None, None),
        (1700000060.0, "hub-1", "eth2", None, None, None, None, None, None, None, None),
    ],
    "samples_hourly": [(1699999200.0, "hub-1", "eth1", "L1", 60, 1e6, 2e6, 10.0, 55.5, 0.25)],
    "polls": [
        (1700000000.0, "hub-1", "1/1", 42, 1, 0.125, 480, None),
        (1700000060.0, "ap-7", "1/1", 42, 0, 9.5, 0, "timeout"),
    ],
    "incidents": [
        (
            "node:hub-1",
            "node",
            "hub-1",
            1700000000.0,
            1700000100.0,
            None,
            '{"blast_radius": {"agencies": 3}}',
            "noc-1",
            1700000050.0,
        ),
        ("link:L1", "link", "L1", 1699990000.0, 1699990500.0, 1699990500.0, "{}", None, None),
    ],
    "maintenance": [("district:Đồng Xoài", 1700000000.0, 1700003600.0, "fiber splice")],
}
COLUMNS = {
    "meta": "key, value",
    "current": "kind, name, state, since, detail",
    "changes": "at, kind, name, old, new, source",
    "samples": "at, device, interface, link, in_bps, out_bps, util_pct, in_err_ps, out_err_ps, in_disc_ps, "
    "out_disc_ps",
    "samples_hourly": "hour, device, interface, link, n, in_bps_avg, out_bps_avg, util_avg, util_max, "
    "err_ps_avg",
    "polls": "at, device, shard, cycle, ok, seconds, varbinds, error",
    "incidents": "key, kind, root_cause, opened, updated, closed, detail, acknowledged_by, acknowledged_at",
    "maintenance": "target, starts, ends, reason",
}


@contextlib.contextmanager
def raw(url: str) -> Iterator[Any]:
    """The driver's own connection (autocommit), no govnet code in between."""
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite://"), isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()
    else:
        with psycopg.connect(url, autocommit=True) as pg:
            yield pg


def backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def create_legacy_store(url: str) -> None:
    """What govnet's store.py did on first open before migrations, then rows in every table."""
    ddl = LEGACY_DDL.format(**LEGACY_TYPES[backend(url)])
    mark = "?" if backend(url) == "sqlite" else "%s"
    with raw(url) as conn:
        for statement in ddl.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema', '1')")
        for table, rows in ROWS.items():
            sql = f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({', '.join([mark] * len(rows[0]))})"
            for row in rows:
                conn.execute(sql, row)


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ids included, in a stable order."""
    with raw(url) as conn:
        return {
            table: sorted(
                (tuple(r) for r in conn.execute(f"SELECT * FROM {table}").fetchall()),
                key=lambda r: tuple((x is None, str(x)) for x in r),
            )
            for table in TABLES
        }


def schema_diff(url: str) -> Sequence[Any]:
    """What Alembic's autogenerate would change to make the database the metadata."""
    sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(sa_url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), metadata))
    finally:
        engine.dispose()


def test_upgrade_from_the_schema_before_migrations_keeps_every_row(store_url: str) -> None:
    create_legacy_store(store_url)
    before = dump(store_url)
    assert all(before[t] for t in TABLES)

    store = open_store(store_url)  # upgrades on open
    after = dump(store_url)
    schema_row = ("schema", "2")
    assert after["meta"] == sorted([*before["meta"][:0], ("write_probe", "1700000000.5"), schema_row])
    for table in TABLES[1:]:
        width = len(before[table][0])  # columns added by later revisions come after, empty
        assert [r[:width] for r in after[table]] == before[table], table
        assert all(x is None for r in after[table] for x in r[width:]), table
    with raw(store_url) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head(),)]
    assert schema_diff(store_url) == []

    # Read back through the store itself, and it goes on writing after the old rows.
    current = {(r.kind, r.name): r for r in store.current()}
    assert current[("device", "hub-1")].detail == {"interfaces": [{"name": "eth1"}], "note": "Sở Y tế"}
    assert current[("endpoint", "agency:'; DROP TABLE current; --")].state == "up"
    assert [(c.name, c.old, c.new) for c in store.changes(kind="link")] == [
        ("L1", None, "up"),
        ("L1", "up", "down"),
    ]
    assert store.states_at("link", 1700000099.0) == {"L1": "up"}
    (open_one,) = store.incidents(open_only=True)
    assert open_one.key == "node:hub-1" and open_one.acknowledged_by == "noc-1"
    assert open_one.detail == {"blast_radius": {"agencies": 3}}
    assert [w.reason for w in store.maintenance()] == ["fiber splice"]
    assert store.hourly("hub-1", "eth1")[0]["util_max"] == 55.5
    assert [p.error for p in store.polls()] == [None, "timeout"]
    assert store.samples("hub-1", "eth2")[0].in_bps is None
    changed = store.set_states([("link", "L1", "up", None)], 1700000200.0, "poll")
    assert [(c.old, c.new) for c in changed] == [("down", "up")]
    assert store.last_change_id() == max(r[0] for r in before["changes"]) + 1
    new_id = store.open_incident("node:hub-2", "node", "hub-2", 1700000300.0, {})
    assert new_id > max(r[0] for r in before["incidents"])
    store.close()

    # Opening it again is a no-op: same rows, same revision.
    reopened = open_store(store_url)
    reopened.close()
    assert dump(store_url)["changes"] == dump(store_url)["changes"]


def test_a_new_store_is_created_by_the_migrations_as_the_metadata_says(store_url: str) -> None:
    store = open_store(store_url)
    store.set_states([("device", "d", "up", None)], 1.0, "poll")
    store.close()
    assert schema_diff(store_url) == []
    with raw(store_url) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchall() == [("2",)]


def test_a_store_from_a_newer_govnet_is_refused_and_left_alone(store_url: str) -> None:
    open_store(store_url).close()
    with raw(store_url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = dump(store_url)
    with pytest.raises(StoreError, match="newer govnet") as err:
        open_store(store_url)
    assert err.value.hint and "upgrade govnet" in err.value.hint
    assert dump(store_url) == before


def test_an_unknown_schema_without_history_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    create_legacy_store(url)
    with raw(url) as conn:
        conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema'")
    with pytest.raises(StoreError, match="schema 7"):
        open_store(url)


def test_the_hourly_rollup_floors_to_the_hour_on_both_backends(store_url: str) -> None:
    """PostgreSQL's CAST to an integer rounds: a sample at 14:40 went into 15:00 before."""
    store = open_store(store_url)
    hour = 3600.0 * 1000
    store.write_samples(
        [
            Sample(hour + 2400, "d", "e", None, 1.0, 1.0, 1.0),
            Sample(hour + 3599.5, "d", "e", None, 3.0, 1.0, 1.0),
        ]
    )
    report = store.prune(now=hour + 30 * 86400)
    assert report.rolled_up == 1
    assert [(h["hour"], h["n"], h["in_bps_avg"]) for h in store.hourly("d", "e")] == [(hour, 2, 2.0)]
    store.close()


def test_db_upgrade_command_upgrades_an_old_store_and_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    create_legacy_store(url)
    before = dump(url)
    done = subprocess.run(
        [sys.executable, "-m", "govnet.cli", "monitor", "db", "upgrade", "--store", url],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "0001" in done.stdout and head() in done.stdout, done.stdout
    assert dump(url)["changes"] == before["changes"]
    again = subprocess.run(
        [sys.executable, "-m", "govnet.cli", "monitor", "db", "upgrade", "--store", url],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert again.returncode == 0 and "already" in again.stdout, again.stdout
