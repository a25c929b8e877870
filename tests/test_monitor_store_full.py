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
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.inventory.models import Role as DeviceRole
from govnet.inventory.network import Network
from govnet.monitor.config import targets_from_inventory
from govnet.monitor.engine import CycleReport, Monitor
from govnet.monitor.fake import FakeScraper
from govnet.monitor.incidents import reachable_from_core
from govnet.monitor.store import Store, open_store

#: SQLite's and PostgreSQL's words for it.
DISK_FULL = re.compile(r"database or disk is full|No space left on device")

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
    agents = FakeScraper(net)
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

    caplog.set_level(logging.INFO, logger="govnet.monitor.store")
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
    assert DISK_FULL.search(health.reason or ""), health.reason
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
    assert body["status"] == "degraded" and DISK_FULL.search(body["reason"]), body
    assert body["store"]["pending_rows"] > 0
    assert str(filler_at) not in str(body)  # no token needed: it says what, not where
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
    # The store part of /healthz is healthy again. (The monitor part is not this test's: its
    # heartbeat is on the fake clock, and a heartbeat the API has not read for a while is dated
    # by its age on the wall clock, so a slow loop here may show it silent.)
    healthy = client.get("/api/v1/healthz").json()
    assert "store" not in healthy and "cannot be written" not in healthy.get("reason", ""), healthy

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
        assert store.integrity() == "ok"
    finally:
        with contextlib.suppress(Exception):
            store.close()


def test_memory_is_bounded_and_what_is_dropped_is_counted_and_said(
    net: Network, small_fs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from govnet.monitor.spool import SpoolingStore
    from govnet.monitor.store import Sample

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
        store.probe_write(time.time())  # the API's probe speaks PostgreSQL too
        outage_and_back(net, store, small_fs, caplog, tmp_path)
    finally:
        store.close()
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"DROP TABLESPACE IF EXISTS {name}")


def test_monitor_run_on_a_full_disk_says_so_once_and_exits_cleanly(small_fs: Path, tmp_path: Path) -> None:
    """`govnet monitor run` itself, in a network namespace of its own (its polls cannot leave it)."""
    import queue
    import signal
    import sys
    import threading

    from tests.mini import MINI_SECRETS, mini_files, write_inventory

    inventory = write_inventory(tmp_path / "inv", mini_files())
    url = f"sqlite:///{small_fs / 'monitor.db'}"
    holder = open_store(url)  # keeps the WAL and its index alive, as a second reader would
    holder.checkpoint()
    filler = fill(small_fs)
    port = 20000 + 1000 * int(os.environ.get("GOVNET_TEST_LANE", "0")) + 917  # inside its own netns
    env = {
        **os.environ,
        **MINI_SECRETS,
        "GOVNET_INVENTORY": str(inventory),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / ".config"),
        "PYTHONUNBUFFERED": "1",
        "GOVNET_LOG_LEVEL": "info",  # the outage is an ERROR line, its end an INFO one
    }
    monitor_cmd = [
        sys.executable, "-m", "govnet.cli", "monitor", "run", "--store", url, "--no-traps", "--no-live",
        "--interval", "1", "--metrics-listen", f"127.0.0.1:{port}", "--duration", "120",
    ]  # fmt: skip
    proc = subprocess.Popen(
        ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *monitor_cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )
    lines: queue.Queue[str] = queue.Queue()
    err: list[str] = []

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err.append(line)
            lines.put(line)

    threading.Thread(target=read_stderr, daemon=True).start()
    threading.Thread(target=lambda: proc.stdout and proc.stdout.read(), daemon=True).start()

    def wait_for(word: str, timeout: float = 90.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                assert proc.poll() is None, f"the monitor exited ({proc.returncode}):\n{''.join(err)}"
                continue
            if word in line:
                return line
        raise AssertionError(f"no '{word}' within {timeout:g} s:\n{''.join(err)}")

    def healthz() -> dict[str, object]:
        fetch = "import sys, urllib.request as u; print(u.urlopen(sys.argv[1], timeout=10).read().decode())"
        out = subprocess.run(
            ["nsenter", "-t", str(proc.pid), "-n", sys.executable, "-c", fetch, f"http://127.0.0.1:{port}/healthz"],
            capture_output=True, text=True, check=True, timeout=30,
        )  # fmt: skip
        import json

        body: dict[str, object] = json.loads(out.stdout)
        return body

    try:
        assert "full" in wait_for("cannot record")
        degraded = healthz()
        assert degraded["status"] == "degraded" and "full" in str(degraded["reason"]), degraded
        filler.unlink()
        wait_for("recording again")
        assert healthz() == {"status": "ok"}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, "".join(err)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        holder.close()
    text = "".join(err)
    assert "Traceback" not in text and text.count("cannot record") == 1, text
    # What it saw while the disk was full is in the store: every device, unreachable (no network).
    store = open_store(url)
    try:
        seen = {c.name: c.new for c in store.changes(kind="device")}
        assert seen and set(seen.values()) == {"unreachable"}, seen
    finally:
        store.close()


def test_the_api_over_a_store_it_does_not_share_probes_it(
    net: Network, small_fs: Path, tmp_path: Path
) -> None:
    """`govnet serve` beside a separate monitor: /healthz and /metrics from a write probe."""
    store = open_store(str(small_fs / "monitor.db"))
    tokens = TokenStore(tmp_path / "tokens.json")
    token, _ = tokens.create(Role.NOC)
    client = TestClient(create_app(ApiState(net, store, tokens)))
    try:
        # No monitor ever ran on this store: degraded for that alone, the store itself writable.
        first = client.get("/api/v1/healthz").json()
        assert first["status"] == "degraded" and first["monitor"]["state"] == "unknown", first
        assert "store" not in first, first
        store.checkpoint()
        filler = fill(small_fs)
        deadline = time.monotonic() + 60
        while "store" not in (body := client.get("/api/v1/healthz").json()):
            assert time.monotonic() < deadline, "the probe never saw the full disk"
            time.sleep(0.5)  # a probe's answer is reused for a few seconds
        assert body["status"] == "degraded" and "full" in body["reason"], body
        metrics = client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {token}"}).text
        assert "govnet_store_writable 0.0" in metrics
        filler.unlink()
        while "store" in client.get("/api/v1/healthz").json():
            assert time.monotonic() < deadline + 60, "the probe never saw the space come back"
            time.sleep(0.5)
    finally:
        store.close()
