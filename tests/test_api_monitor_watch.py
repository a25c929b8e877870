"""How the API reads the monitor's leader row (api/liveness.py), on a real store with the
monitor's own :class:`~govnet.monitor.coverage.Coverage` writing the row; the API's clocks are
moved by hand so that the grace passes without waiting. (The real ``monitor run`` killed, restarted
and stopped is tests/test_api_monitor_down.py.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.api.liveness import CHECK_S, MonitorWatch
from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.monitor import coverage
from govnet.monitor.coverage import Coverage
from govnet.monitor.store import Store, open_store


class Clocks:
    """The API's wall and monotonic clocks, moved by the test."""

    def __init__(self) -> None:
        self.wall_at = time.time()
        self.mono_at = 1000.0

    def wall(self) -> float:
        return self.wall_at

    def mono(self) -> float:
        return self.mono_at

    def advance(self, seconds: float) -> None:
        self.wall_at += seconds
        self.mono_at += seconds


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(str(tmp_path / "monitor.db"))
    yield opened
    opened.close()


def test_no_leader_row_is_unknown_and_not_current(store: Store) -> None:
    status = MonitorWatch(store).status()
    assert status.state == "unknown" and not status.current and status.since is None
    assert "no monitor has run" in status.message()


def test_the_summary_learns_the_silence_though_the_store_did_not_change(tmp_path: Path, store: Store) -> None:
    """Silence is wall time, not a store change: the cached bytes (per store version) must still
    change, within CHECK_S of the grace passing, and back when a heartbeat comes."""
    clocks = Clocks()
    tokens = TokenStore(tmp_path / "tokens.json")
    token, _ = tokens.create(Role.IOC)
    state = ApiState(load_inventory(sample_dir()), store, tokens, version_ttl_s=0)
    state.watch.wall, state.watch.mono = clocks.wall, clocks.mono
    client = TestClient(create_app(state))
    auth = {"Authorization": f"Bearer {token}"}
    run = Coverage(store)
    run.begin(clocks.wall_at)

    first = client.get("/api/v1/summary", headers=auth)
    assert first.json()["monitor"] == {
        "state": "running",
        "since": clocks.wall_at,
        "current": True,
        "message": "the monitor is running: the states are current",
    }
    version = store.version()
    beat_at = clocks.wall_at
    clocks.advance(coverage.GRACE_S - 1)  # within the grace: still running, the same bytes
    same = client.get("/api/v1/summary", headers=auth)
    assert same.headers["etag"] == first.headers["etag"]
    unchanged = client.get("/api/v1/summary", headers={**auth, "If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304

    clocks.advance(2 + CHECK_S)  # the grace has passed, and the row was re-read
    silent = client.get("/api/v1/summary", headers=auth)
    assert store.version() == version, "nothing was written to the store"
    assert silent.headers["etag"] != first.headers["etag"]
    body = silent.json()["monitor"]
    assert body["state"] == "silent" and body["since"] == beat_at and body["current"] is False, body
    assert "last known" in body["message"]
    stale = client.get("/api/v1/summary", headers={**auth, "If-None-Match": first.headers["etag"]})
    assert stale.status_code == 200, "an ETag of the 'running' answer must not be 304 once silent"
    listed = client.get("/api/v1/agencies", headers=auth).json()["monitor"]
    assert listed == body

    run.beat(clocks.wall_at)  # the monitor was only slow: a heartbeat comes, only its detail moves
    clocks.advance(CHECK_S)
    back = client.get("/api/v1/summary", headers=auth)
    assert back.json()["monitor"]["state"] == "running" and back.headers["etag"] == first.headers["etag"]

    run.end(clocks.wall_at)
    clocks.advance(CHECK_S)
    stopped = client.get("/api/v1/summary", headers=auth).json()["monitor"]
    assert stopped["state"] == "stopped" and stopped["since"] == clocks.wall_at - CHECK_S, stopped


def test_a_monitor_clock_behind_the_apis_is_not_taken_for_silence(store: Store) -> None:
    """The heartbeat carries the monitor host's time: 100 s behind the API's, it is still running
    as long as it moves (the API dates a move by its own monotonic clock)."""
    clocks = Clocks()
    watch = MonitorWatch(store, wall=clocks.wall, mono=clocks.mono)
    run = Coverage(store)
    run.begin(clocks.wall_at - 100)
    watch.status()  # first read: its age on the wall clock is all the API knows
    for _ in range(6):
        clocks.advance(coverage.HEARTBEAT_S)
        run.beat(clocks.wall_at - 100)
        assert watch.status().state == "running"
    clocks.advance(coverage.GRACE_S + CHECK_S)  # now it stops beating
    assert watch.status().state == "silent"


def test_a_beat_seen_late_is_dated_by_its_age_not_by_when_it_was_read(store: Store) -> None:
    """Nobody asked for ten minutes, and the monitor died nine minutes ago after one more beat: the
    first question must not find it 'running' for another grace."""
    clocks = Clocks()
    watch = MonitorWatch(store, wall=clocks.wall, mono=clocks.mono)
    run = Coverage(store)
    run.begin(clocks.wall_at)
    assert watch.status().state == "running"
    clocks.advance(60)
    run.beat(clocks.wall_at)
    clocks.advance(540)
    assert watch.status().state == "silent"


def test_a_store_that_cannot_be_read_leaves_the_last_row_to_age(store: Store, tmp_path: Path) -> None:
    clocks = Clocks()
    watch = MonitorWatch(store, wall=clocks.wall, mono=clocks.mono)
    Coverage(store).begin(clocks.wall_at)
    assert watch.status().state == "running"
    store.close()
    (tmp_path / "monitor.db").unlink()
    (tmp_path / "monitor.db").mkdir()  # a directory where the file was: any read fails
    clocks.advance(coverage.GRACE_S + CHECK_S)
    assert watch.status().state == "silent"


def test_the_openapi_document_describes_the_monitor_object(tmp_path: Path, store: Store) -> None:
    state = ApiState(load_inventory(sample_dir()), store, TokenStore(tmp_path / "tokens.json"))
    doc = TestClient(create_app(state)).get("/api/v1/openapi.json").json()
    for path in ("/api/v1/summary", "/api/v1/agencies", "/api/v1/healthz"):
        schema = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        monitor = schema["properties"]["monitor"]
        assert "monitor" in schema["required"], path
        assert monitor["properties"]["state"]["enum"] == ["running", "stopped", "silent", "unknown"], path
        assert set(monitor["required"]) == {"state", "since", "current", "message"}, path
