"""The API notices a stopped monitor: a real ``govnet monitor run`` and a real ``govnet serve``
over one SQLite store. Killed with SIGKILL, the monitor leaves its row ``running``; the API says
``silent`` (since its last heartbeat) within the grace, on ``/summary``, ``/agencies``, a district,
the communes, the GeoJSON map, ``/healthz``, ``/metrics`` and the ``/events`` stream.
Restarted, it is ``running`` again; stopped cleanly, it is ``stopped``.

The monitor runs in a network namespace of its own (``unshare -n``, loopback only): its SNMP polls
cannot leave it, every device fails to answer at once, and the leader's view is complete (it
records ``running``) after one round. The API listens on a port the OS picks, on loopback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from govnet.api.auth import Role, TokenStore
from govnet.api.liveness import CHECK_S
from govnet.monitor import coverage
from tests.mini import MINI_SECRETS, mini_files, write_inventory
from tests.procs import REPO, free_port

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="unshare -n needs root")


@dataclass
class Stack:
    tmp: Path
    env: dict[str, str]
    store: str
    base: str
    headers: dict[str, str]
    http: httpx.Client

    def get(self, path: str) -> dict[str, Any]:
        answer = self.http.get(f"{self.base}{path}", headers=self.headers)
        assert answer.status_code == 200, (path, answer.text)
        body: dict[str, Any] = answer.json()
        return body

    def monitor_state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.get("/api/v1/summary")["monitor"]
        return state

    def start_monitor(self, name: str) -> subprocess.Popen[bytes]:
        cmd = [
            sys.executable, "-m", "govnet.cli", "monitor", "run", "--store", self.store,
            "--no-traps", "--no-live", "--interval", "1", "--duration", "600",
        ]  # fmt: skip
        with (self.tmp / f"{name}.log").open("wb") as log:
            return subprocess.Popen(
                ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *cmd],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=REPO,
            )

    def log_of(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")[-3000:]


def wait_for(check: Callable[[], bool], timeout: float, what: str, every: float = 0.2) -> float:
    """Seconds until ``check()`` holds; fails naming ``what`` after ``timeout`` (never a fixed sleep)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)
    return time.monotonic() - start


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 15 s (only a process this test started)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    inventory = write_inventory(tmp_path / "inv", mini_files())
    tokens = TokenStore(tmp_path / "tokens.json")
    token, _ = tokens.create(Role.NOC)
    store = f"sqlite:///{tmp_path / 'monitor.db'}"
    env = {
        **os.environ,
        **MINI_SECRETS,
        "GOVNET_INVENTORY": str(inventory),
        "GOVNET_API_TOKENS": str(tokens.path),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / ".config"),
        "PYTHONUNBUFFERED": "1",
    }
    port = free_port()
    cmd = [sys.executable, "-m", "govnet.cli", "serve", "--port", str(port), "--store", store]
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=httpx.Timeout(30.0)) as http:

            def listening() -> bool:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                try:
                    return http.get(f"{base}/api/v1/healthz").status_code == 200
                except httpx.TransportError:
                    return False

            wait_for(listening, 60, "govnet serve to answer")
            yield Stack(tmp_path, env, store, base, {"Authorization": f"Bearer {token}"}, http)
    finally:
        stop(server)


def metrics(stack: Stack) -> dict[str, float]:
    """``govnet_monitor_state`` by state, from the API's Prometheus exposition."""
    answer = stack.http.get(f"{stack.base}/api/v1/metrics", headers=stack.headers)
    assert answer.status_code == 200, answer.text
    return {
        sample.labels["state"]: sample.value
        for family in text_string_to_metric_families(answer.text)
        if family.name == "govnet_monitor_state"
        for sample in family.samples
    }


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event, data) of an SSE stream's lines."""
    event, data = "message", ""
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: "):
            data = line[len("data: ") :]
        elif line == "" and data:
            yield event, data
            event, data = "message", ""


def test_a_killed_monitor_is_silent_a_restarted_one_running_a_stopped_one_stopped(stack: Stack) -> None:
    unknown = stack.monitor_state()
    assert unknown["state"] == "unknown" and unknown["current"] is False, unknown

    first = stack.start_monitor("first")
    try:

        def running() -> bool:
            assert first.poll() is None, stack.log_of("first")
            return bool(stack.monitor_state()["state"] == "running")

        wait_for(running, 120, "the API to say the monitor runs")
        began = stack.monitor_state()
        assert began["current"] is True and began["since"] is not None, began
        assert stack.get("/api/v1/agencies")["monitor"] == began
        health = stack.get("/api/v1/healthz")
        assert health["status"] == "ok" and health["monitor"]["state"] == "running", health
        assert metrics(stack)["running"] == 1.0

        # The wall's live stream: it says "running" when it opens, then "silent" after the kill.
        with stack.http.stream("GET", f"{stack.base}/api/v1/events", headers=stack.headers) as answer:
            assert answer.status_code == 200, answer.read()
            events = sse_events(answer.iter_lines())
            kind, data = next(events)
            assert kind == "monitor" and json.loads(data)["state"] == "running", (kind, data)
            killed = time.time()
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
            kind, data = next((k, d) for k, d in events if k == "monitor")
            said = json.loads(data)
            heard = time.time()
        assert kind == "monitor" and said["state"] == "silent", (kind, data)
        # Its last heartbeat was at most one beat before the kill, and the API waits the grace
        # after it (re-reading the row every CHECK_S; the stream looks every second).
        assert killed - coverage.HEARTBEAT_S - 5 <= said["since"] <= killed, (said, killed)
        assert heard - said["since"] >= coverage.GRACE_S - 1, (said, heard)
        assert heard - killed <= coverage.GRACE_S + CHECK_S + 30, (said, killed, heard)  # a loaded machine
        assert said["current"] is False and "last known" in said["message"], said

        summary = stack.get("/api/v1/summary")
        assert summary["monitor"] == said, summary["monitor"]
        for path in ("agencies", "districts/trung-tam", "communes", "topology/geojson"):
            assert stack.get(f"/api/v1/{path}")["monitor"] == said, path
        health = stack.get("/api/v1/healthz")
        assert health["status"] == "degraded" and health["monitor"] == said, health
        assert "silent" in health["reason"], health
        assert metrics(stack) == {"running": 0.0, "stopped": 0.0, "silent": 1.0, "unknown": 0.0}
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()

    second = stack.start_monitor("second")
    try:

        def running_again() -> bool:
            assert second.poll() is None, stack.log_of("second")
            return bool(stack.monitor_state()["state"] == "running")

        wait_for(running_again, 120, "the API to say the restarted monitor runs")
        again = stack.monitor_state()
        assert again["since"] > said["since"] and again["current"] is True, (again, said)
        assert stack.get("/api/v1/healthz")["status"] == "ok"

        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0, stack.log_of("second")
        stopped_at = time.time()
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()

    def stopped() -> bool:
        return bool(stack.monitor_state()["state"] == "stopped")

    wait_for(stopped, 30, "the API to say the monitor stopped")
    gone = stack.monitor_state()
    assert again["since"] < gone["since"] <= stopped_at and gone["current"] is False, (gone, again)
    assert "stopped" in gone["message"] and "last known" in gone["message"], gone
    health = stack.get("/api/v1/healthz")
    assert health["status"] == "degraded" and health["monitor"]["state"] == "stopped", health
