"""The store, the same tests on SQLite and on a real PostgreSQL server; SIGKILL durability on SQLite."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from govnet.monitor.store import PollRecord, Sample, StoreError, open_store
from govnet.monitor.store.schema import current


def test_state_changes_are_recorded_once_and_history_answers_as_of(store_url: str) -> None:
    store = open_store(store_url)
    first = store.set_states(
        [("link", "L1", "up", None), ("device", "hub-1", "up", {"uptime": 5})], at=100.0, source="poll"
    )
    assert [(c.kind, c.name, c.old, c.new) for c in first] == [
        ("link", "L1", None, "up"),
        ("device", "hub-1", None, "up"),
    ]
    # The same state again is not a change (only its detail is refreshed).
    assert store.set_states([("device", "hub-1", "up", {"uptime": 9})], at=110.0, source="poll") == []
    down = store.set_states([("link", "L1", "down", None)], at=120.0, source="trap")
    assert [(c.old, c.new, c.source) for c in down] == [("up", "down", "trap")]
    rows = {(r.kind, r.name): r for r in store.current()}
    assert rows[("link", "L1")].state == "down" and rows[("link", "L1")].since == 120.0
    assert rows[("device", "hub-1")].detail == {"uptime": 9}
    assert store.states_at("link", 119.0) == {"L1": "up"}
    assert store.states_at("link", 120.0) == {"L1": "down"}
    assert [c.new for c in store.changes(kind="link", name="L1")] == ["up", "down"]
    store.close()
    reopened = open_store(store_url)  # persisted
    assert [r.state for r in reopened.current("link")] == ["down"]
    reopened.close()


def test_one_batch_naming_an_object_twice_ends_with_its_last_row(store_url: str) -> None:
    store = open_store(store_url)
    store.set_states([("link", "L1", "up", {"n": 0})], at=1.0, source="poll")
    changed = store.set_states(
        [("link", "L1", "down", {"n": 1}), ("link", "L1", "down", {"n": 2}), ("link", "L2", "up", None)],
        at=2.0,
        source="poll",
    )
    assert [(c.name, c.old, c.new) for c in changed] == [("L1", "up", "down"), ("L2", None, "up")]
    rows = {r.name: r for r in store.current("link")}
    assert rows["L1"].state == "down" and rows["L1"].detail == {"n": 2} and rows["L1"].since == 2.0
    store.close()


def test_readers_do_not_wait_for_a_writer_and_see_only_what_is_committed(store_url: str) -> None:
    """A pool of connections: a reader gets its own while a write transaction is open."""
    store = open_store(store_url)
    store.set_states([("device", "d1", "up", None)], at=1.0, source="poll")
    inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with store.db.write() as conn:
                conn.execute(current.update().values(state="unreachable"))
                inside.set()
                assert release.wait(60)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
            inside.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inside.wait(60) and not errors, errors
        started = time.monotonic()
        assert [r.state for r in store.current("device")] == ["up"]  # the committed state
        assert time.monotonic() - started < 5, "the reader waited for the writer"
    finally:
        release.set()
        thread.join(60)
    assert not errors, errors
    assert [r.state for r in store.current("device")] == ["unreachable"]
    store.close()


def test_incidents_open_update_acknowledge_close(store_url: str) -> None:
    store = open_store(store_url)
    detail = {"blast_radius": {"agencies": 2, "endpoints": [{"name": "Sở Y tế"}]}}
    a = store.open_incident("node:hub-1", "node", "hub-1", 10.0, detail)
    b = store.open_incident("link:L7", "link", "L7", 11.0, {"blast_radius": {"agencies": 0}})
    store.update_incident(a, 12.0, {"blast_radius": {"agencies": 3}})
    assert store.acknowledge(a, "noc-1", 13.0)
    assert not store.acknowledge(999_999, "noc-1", 13.0)
    store.close_incident(b, 20.0)
    open_now = store.incidents(open_only=True)
    assert [i.id for i in open_now] == [a]
    assert open_now[0].detail == {"blast_radius": {"agencies": 3}}
    assert open_now[0].acknowledged_by == "noc-1"
    everything = store.incidents()
    assert [i.id for i in everything] == [b, a]  # newest first
    closed = next(i for i in everything if i.id == b)
    assert closed.closed == 20.0 and closed.as_dict()["open"] is False
    assert store.incident(a) is not None and store.incident(424242) is None
    store.close()


def test_prune_rolls_old_samples_into_hours_and_keeps_recent_ones(store_url: str) -> None:
    store = open_store(store_url)
    hour = 3600.0 * 1000
    old = [Sample(hour + 60 * i, "hub-1", "eth1", "L1", 1e6 * (i + 1), 2e6, 10.0 * (i + 1)) for i in range(3)]
    recent = [Sample(hour + 30 * 86400, "hub-1", "eth1", "L1", 5e6, 5e6, 50.0)]
    store.write_samples(old + recent)
    store.write_polls([PollRecord(hour, "hub-1", "0/1", 1, True, 0.1, 40, None)])
    report = store.prune(now=hour + 30 * 86400 + 10, raw_seconds=7 * 86400)
    assert (report.rolled_up, report.deleted_samples, report.deleted_polls) == (1, 3, 1)
    assert store.samples("hub-1", "eth1") == recent
    (rollup,) = store.hourly("hub-1", "eth1")
    assert rollup["hour"] == hour and rollup["n"] == 3
    assert rollup["in_bps_avg"] == pytest.approx(2e6) and rollup["util_max"] == pytest.approx(30.0)
    # A late sample for an hour already rolled up is merged by weight, not duplicated.
    store.write_samples([Sample(hour + 600, "hub-1", "eth1", "L1", 6e6, 2e6, 60.0)])
    store.prune(now=hour + 30 * 86400 + 20, raw_seconds=7 * 86400)
    (merged,) = store.hourly("hub-1", "eth1")
    assert merged["n"] == 4 and merged["in_bps_avg"] == pytest.approx(3e6) and merged["util_max"] == 60.0
    # Hourly rows expire too (the recent sample is rolled up first, then both hours go).
    late = store.prune(now=hour + 500 * 86400, raw_seconds=7 * 86400, hourly_seconds=400 * 86400)
    assert (late.rolled_up, late.deleted_hourly) == (1, 2)
    assert store.hourly("hub-1", "eth1") == []
    store.close()


def test_maintenance_windows_and_a_backwards_window_is_refused(store_url: str) -> None:
    store = open_store(store_url)
    wid = store.add_maintenance("district:Đồng Xoài", 100.0, 200.0, "fiber splice")
    assert [w.id for w in store.maintenance(150.0, 160.0)] == [wid]
    assert store.maintenance(200.0, 300.0) == []
    with pytest.raises(StoreError, match="end after it starts"):
        store.add_maintenance("*", 200.0, 100.0, "backwards")
    store.close()


def test_a_file_that_is_not_a_store_is_refused_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "monitor.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=str(bad)):
        open_store(str(bad))


def test_an_unreachable_postgres_url_is_refused_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql://govnet:hunter2-secret@/govnet?host={tmp_path}&port=5999&connect_timeout=2"
    with pytest.raises(StoreError) as err:
        open_store(url)
    text = f"{err.value.message} {err.value.hint}"
    assert "hunter2-secret" not in text and "***" in text


_WRITER = textwrap.dedent(
    """
    import sys
    from govnet.monitor.store import Sample, open_store
    store = open_store(sys.argv[1])
    print("ready", flush=True)
    batch = 0
    while True:
        batch += 1
        store.write_samples([Sample(batch, "d", f"if{i}", None, 1.0, 2.0, 3.0) for i in range(200)])
    """
)


def test_sqlite_store_survives_a_writer_killed_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "monitor.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(1.5)  # hundreds of transactions in flight
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    store = open_store(str(path))
    assert store.integrity() == "ok"
    with contextlib.closing(sqlite3.connect(path)) as raw:
        count, batches = raw.execute("SELECT COUNT(*), COUNT(DISTINCT at) FROM samples").fetchone()
    assert count > 0, "the writer committed nothing before the kill"
    assert count == 200 * batches, "a transaction was half-written"
    # And the store still takes writes.
    store.write_samples([Sample(0.5, "d", "after", None, 1.0, 1.0, 1.0)])
    assert len(store.samples("d", "after")) == 1
    store.close()
