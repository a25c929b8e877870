"""The monitor on a disk that fills up: it keeps polling, says once that it cannot record, shows it
(/healthz degraded, govnet_store_* metrics), and writes everything it kept when space returns.

The store is a real SQLite file on a small tmpfs mounted for the test (root), filled with a
real file until the kernel says ENOSPC; the PostgreSQL variant puts a database's tablespace on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Role, TokenStore
from api.deps import ApiState
from inventory.models import Role as DeviceRole
from inventory.network import Network
from monitor.config import targets_from_inventory
from monitor.engine import CycleReport, Monitor
from monitor.incidents import reachable_from_core
from monitor.store import Store, open_store
from tests.fakeagents import Agents

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture()
def small_fs() -> Iterator[Path]:
    """A 16 MiB tmpfs of its own (unmounted whatever happens), reachable by the postgres user."""
    mount = Path(tempfile.mkdtemp(prefix="govnet-full-"))
    mount.chmod(0o755)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        mount.rmdir()


def fill(mount: Path) -> Path:
    """Write a file until the filesystem is full; return it (delete it to free the space)."""
    filler = mount / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb", buffering=0) as out:
        while True:
            try:
                out.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
    with open(filler, "ab", buffering=0) as out:  # the last partial blocks too
        for _ in range(64):
            try:
                out.write(b"\0" * 512)
            except OSError:
                break
    return filler


def busiest_hub(network: Network) -> str:
    return max(
        (d.name for d in network.devices_with_role(DeviceRole.HUB)),
        key=lambda h: len(network.links_by_device[h]),
    )


def outage_and_back(
    net: Network, store: Store, filler_at: Path, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """The scenario, on any store whose free space ``fill(filler_at)`` takes away."""
    agents = Agents(net)
    now = [5_000_000.0]
    hub = busiest_hub(net)
    # The cores, the hubs and what hangs off the busiest hub: enough to see it die, few enough
    # rows per tick that what is kept fits the small disk again once space returns.
    behind = reachable_from_core(net, set(), set()) - reachable_from_core(net, set(), {hub})
    wanted = {d.name for d in net.devices.values() if d.role in {DeviceRole.CORE, DeviceRole.HUB}} | behind
    targets = [t for t in targets_from_inventory(net) if t.device in wanted]
    monitor = Monitor(net, store, agents, targets, clock=lambda: now[0])
    reports: list[CycleReport] = []

    def tick() -> CycleReport:
        reports.append(asyncio.run(monitor.tick()))
        return reports[-1]

    tick()
    recorded_before = store.changes()
    assert recorded_before, "the first poll is recorded"

    caplog.set_level(logging.WARNING, logger="govnet.monitor.store")
    filler = fill(filler_at)
    agents.kill(hub)
    # Ticks go on while the disk is full: the monitor neither raises nor stops.
    for _ in range(12):
        now[0] += 130
        tick()
        if not monitor.store.health().writable:
            break
    first_refused = len(reports) - 1
    health = monitor.store.health()
    assert not health.writable, "the full disk refused no write"
    assert health.failures >= 1 and health.pending > 0
    assert "full" in (health.reason or ""), health.reason
    outage_at = now[0]
    for _ in range(3):  # more ticks, more failures: still one notice
        now[0] += 130
        report = tick()
        assert report.polled
    seen = [r for r in caplog.records if r.name == "govnet.monitor.store"]
    assert len([r for r in seen if "cannot record" in r.getMessage()]) == 1, [r.getMessage() for r in seen]
    # What was seen during the outage was worked out as if written: the hub's death, its incident.
    during = [c for r in reports[first_refused:] for c in r.changes]
    died = [c for r in reports for c in r.changes if (c.kind, c.name) == ("device", hub)]
    assert died and died[-1].new == "unreachable"
    assert any(r.opened for r in reports)

    believed = {(i.key, i.opened) for i in monitor.store.incidents(open_only=True)}
    assert any(i < 0 for i in (x.id for x in monitor.store.incidents(open_only=True)))

    # The API over the same store says so, without a token, and /metrics shows it.
    tokens = TokenStore(tmp_path / "tokens.json")
    client = TestClient(create_app(ApiState(net, monitor.store, tokens)))
    body = client.get("/api/v1/healthz").json()
    assert body["status"] == "degraded" and "full" in body["reason"], body
    assert body["store"]["pending_rows"] > 0
    token, _ = tokens.create(Role.NOC)
    metrics = client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {token}"}).text
    assert "govnet_store_writable 0.0" in metrics
    failures = next(x for x in metrics.splitlines() if x.startswith("govnet_store_write_failures_total "))
    assert float(failures.split()[1]) >= 1

    # Space returns: the next ticks write what was kept, with its own times, and recording goes on.
    filler.unlink()
    deadline = time.monotonic() + 60
    while not monitor.store.health().writable:
        assert time.monotonic() < deadline, monitor.store.health()
        time.sleep(0.5)  # the store is tried again at most once a second
        now[0] += 130
        tick()
    assert monitor.store.health().pending == 0 and monitor.store.health().dropped == 0
    back = [r.getMessage() for r in caplog.records if "recording again" in r.getMessage()]
    assert len(back) == 1, back
    assert client.get("/api/v1/healthz").json() == {"status": "ok"}

    stored = {(c.at, c.kind, c.name, c.old, c.new) for c in store.changes()}
    reported = {(c.at, c.kind, c.name, c.old, c.new) for r in reports for c in r.changes}
    assert reported <= stored, sorted(reported - stored)[:5]
    assert {(c.at, c.kind, c.name) for c in recorded_before} <= {(c[0], c[1], c[2]) for c in stored}
    assert during and {(c.at, c.kind, c.name, c.old, c.new) for c in during} <= stored
    # The incidents opened during the outage are stored as the monitor saw them, at their times.
    incidents = store.incidents(open_only=True)
    assert {(i.key, i.opened) for i in incidents} == believed
    assert f"node:{hub}" in {i.key for i in incidents} and all(i.id > 0 for i in incidents)
    # The polls of the outage are there too.
    assert store.polls(since=outage_at)


def test_sqlite_on_a_full_disk_keeps_monitoring_and_catches_up(
    net: Network, small_fs: Path, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    store = open_store(str(small_fs / "monitor.db"))
    try:
        outage_and_back(net, store, small_fs, caplog, tmp_path)
        assert store.integrity() == "ok"  # type: ignore[attr-defined]
    finally:
        with contextlib.suppress(Exception):
            store.close()


def test_memory_is_bounded_and_what_is_dropped_is_counted_and_said(
    net: Network, small_fs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from monitor.spool import SpoolingStore
    from monitor.store import Sample

    notices: list[str] = []
    inner = open_store(str(small_fs / "monitor.db"))
    store = SpoolingStore(inner, limit=500, notify=notices.append, retry_s=0.0)
    try:
        store.set_states([("device", "hub-x", "up", None)], 1.0, "poll")
        filler = fill(small_fs)
        big = "x" * 2000  # rows big enough to need new pages at once
        samples = [Sample(2.0 + i, "hub-x", big, None, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0) for i in range(200)]
        for _ in range(10):
            store.write_samples(samples)
        changed = store.set_states([("device", "hub-x", "unreachable", None)], 3.0, "poll")
        assert [(c.old, c.new) for c in changed] == [("up", "unreachable")]
        health = store.health()
        assert not health.writable and health.pending <= 500 and health.dropped >= 1500
        assert sum("cannot record" in n for n in notices) == 1, notices
        assert sum("dropping" in n for n in notices) == 1
        filler.unlink()
        store.write_polls([])  # nothing to write: no attempt
        store.set_states([("device", "hub-x", "unreachable", None)], 4.0, "poll")
        assert store.health().writable, store.health()
        assert "dropped" in notices[-1] and "recording again" in notices[-1]
        # The state change survived the drops (samples went first).
        assert [(c.old, c.new) for c in inner.changes(kind="device")][-1] == ("up", "unreachable")
    finally:
        store.close()


def test_postgresql_on_a_full_tablespace_keeps_monitoring_and_catches_up(
    net: Network, small_fs: Path, postgres: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    import psycopg

    space = small_fs / "pg"
    space.mkdir()
    shutil.chown(space, "postgres")
    name = f"full_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f"CREATE TABLESPACE {name} LOCATION '{space}'")
        admin.execute(f"CREATE DATABASE {name} TABLESPACE {name}")
    url = postgres.replace("/postgres?", f"/{name}?")
    store = open_store(url)
    try:
        outage_and_back(net, store, small_fs, caplog, tmp_path)
    finally:
        store.close()
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"DROP TABLESPACE IF EXISTS {name}")
