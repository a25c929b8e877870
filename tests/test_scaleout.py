"""Polling spread over worker processes through Redis, against the lab's real agents (issue #15).

Three ``monitor worker`` processes and two ``monitor run --redis`` candidates (one leads, one
stands by) over a real redis-server and a real VictoriaMetrics; the tests kill a worker, kill the
leader, stop Redis for 30 s, cut a link, and read what every process printed (``--events``).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from govnet.lab.faults import fail, restore
from tests.labkit import LabHandle
from tests.procs import Running, start_monitor, stop_process
from tests.redisserver import RedisServer
from tests.vmserver import victoria_metrics

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parent.parent
INTERVAL = 4.0
LEASE_TTL = 4.0
CLAIM_AFTER = 3.0
NS = "scaleout"


@dataclass
class Cluster:
    lab: LabHandle
    redis: RedisServer
    vm_url: str
    store: str
    workers: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    leaders: list[Running] = field(default_factory=list)
    events: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    seen: list[dict[str, Any]] = field(default_factory=list)

    def drain(self) -> list[dict[str, Any]]:
        while True:
            try:
                self.seen.append(self.events.get_nowait())
            except queue.Empty:
                return self.seen

    def polls(self) -> list[dict[str, Any]]:
        return [e for e in self.drain() if e.get("event") == "polled"]

    def until(self, check: Any, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while not check():
            if time.monotonic() > end:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
            time.sleep(0.25)

    def leader_states(self) -> list[tuple[Running, str]]:
        out = []
        for running in self.leaders:
            running.drain()
            out += [(running, e["text"]) for e in running.seen if e.get("event") == "leader_state"]
        return out


def _start_worker(cluster: Cluster, name: str) -> None:
    env = {**os.environ, "GOVNET_INVENTORY": str(cluster.lab.inventory), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "govnet.cli", "monitor", "worker", "--redis", cluster.redis.url,
         "--redis-namespace", NS, "--name", name, "--claim-after", str(CLAIM_AFTER), "--events"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
    )  # fmt: skip
    cluster.workers[name] = proc

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("{"):
                cluster.events.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()


@pytest.fixture(scope="module")
def cluster(lab: LabHandle) -> Iterator[Cluster]:
    tmp = Path(tempfile.mkdtemp(prefix="govnet-scaleout-"))
    redis = RedisServer()
    redis.start()
    with victoria_metrics() as vm_url:
        c = Cluster(lab, redis, vm_url, f"sqlite:///{tmp / 'monitor.db'}")
        try:
            for i in range(3):
                _start_worker(c, f"w{i}")
            for _ in range(2):
                c.leaders.append(
                    start_monitor(lab, c.store, "--interval", str(INTERVAL), "--redis", redis.url,
                                  "--redis-namespace", NS, "--lease-ttl", str(LEASE_TTL), "--series", vm_url)
                )  # fmt: skip
            yield c
        finally:
            for running in c.leaders:
                stop_process(running.proc)
            for proc in c.workers.values():
                stop_process(proc)
            redis.remove()
            shutil.rmtree(tmp, ignore_errors=True)


def _cycles(polls: list[dict[str, Any]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for e in polls:
        device, _, cycle = e["job"].partition("@")
        if cycle.isdigit():
            out.setdefault(device, []).append(int(cycle))
    return out


def test_every_device_is_polled_exactly_once_per_cycle(cluster: Cluster) -> None:
    devices = set(cluster.lab.network.devices)

    def three_cycles() -> bool:
        cycles = _cycles(cluster.polls())
        return set(cycles) == devices and all(len(set(c)) >= 3 for c in cycles.values())

    cluster.until(three_cycles, 120, "three polled cycles of every lab device")
    polls = cluster.polls()
    twice = [job for job, n in Counter(e["job"] for e in polls).items() if n > 1]
    assert twice == []
    for device, cycles in _cycles(polls).items():
        assert sorted(cycles) == list(range(min(cycles), max(cycles) + 1)), f"{device} skipped a cycle"
    assert all(e["reachable"] for e in polls), "every lab agent answers"
    assert len({e["worker"] for e in polls}) == 3, "all three workers took jobs"
    states = [text for _, text in cluster.leader_states()]
    assert sum(t.startswith("leader:") for t in states) == 1 and any(t.startswith("standby:") for t in states)


def test_a_killed_workers_devices_are_polled_by_the_others(cluster: Cluster) -> None:
    cluster.workers["w0"].send_signal(signal.SIGKILL)
    cluster.workers["w0"].wait()
    killed = time.time()
    devices = set(cluster.lab.network.devices)

    def all_polled_since() -> bool:
        return {e["device"] for e in cluster.polls() if e["at"] > killed} == devices

    cluster.until(all_polled_since, INTERVAL + CLAIM_AFTER + 20, "every device polled after the kill")
    after = [e for e in cluster.polls() if e["at"] > killed]
    assert {e["worker"] for e in after} <= {"w1", "w2"}
    first: dict[str, float] = {}
    for e in after:
        first.setdefault(e["device"], e["at"])
    assert max(first.values()) - killed <= INTERVAL + CLAIM_AFTER + 10
    twice = [job for job, n in Counter(e["job"] for e in cluster.polls()).items() if n > 1]
    assert twice == []


def test_a_killed_leader_is_replaced_and_a_cut_link_is_still_one_incident(cluster: Cluster) -> None:
    leading = [r for r, text in cluster.leader_states() if text.startswith("leader:")]
    assert len(leading) == 1
    old = leading[0]
    other = next(r for r in cluster.leaders if r is not old)
    old.proc.send_signal(signal.SIGKILL)
    old.proc.wait()
    killed = time.time()
    other.wait_for(lambda e: e.get("event") == "leader_state" and e["text"].startswith("leader:"),
                   LEASE_TTL * 4 / 3 + 15, "the standby taking the lease")  # fmt: skip
    took = time.time() - killed
    assert took <= LEASE_TTL * 4 / 3 + 10, f"took over after {took:.1f} s"
    net = cluster.lab.network
    _cpe, link_id = next(
        (name, links[0].id)
        for name, dev in sorted(net.devices.items())
        if dev.role.value == "cpe" and len(links := net.links_by_device.get(name, [])) == 1
    )
    took_at, devices = time.time(), set(net.devices)
    cluster.until(lambda: {e["device"] for e in cluster.polls() if e["at"] > took_at} == devices, 60,
                  "the new leader's first polls")  # fmt: skip
    time.sleep(2 * INTERVAL)  # the new leader's snapshot settles
    other.drain()
    start = len(other.seen)
    fail(cluster.lab.prefix, "link", link_id)
    try:
        opened = other.wait_for(
            lambda e: e.get("event") == "incident_opened", 30, f"an incident for {link_id}"
        )
        time.sleep(INTERVAL + 1)
        other.drain()
    finally:
        restore(cluster.lab.prefix, "link", link_id)
    assert sum(e.get("event") == "incident_opened" for e in other.seen[start:]) == 1
    other.wait_for(lambda e: e.get("event") == "incident_closed" and e.get("id") == opened["id"], 40,
                   "the incident closing")  # fmt: skip
    cluster.leaders.remove(old)


def test_redis_stopped_for_30_s_workers_wait_and_the_gap_is_reported(cluster: Cluster) -> None:
    cluster.redis.stop()
    stopped = time.time()
    time.sleep(30)
    cluster.redis.start()
    devices = set(cluster.lab.network.devices)
    cluster.until(lambda: {e["device"] for e in cluster.polls() if e["at"] > stopped + 30} == devices, 120,
                  "every device polled again after Redis returned")  # fmt: skip
    events = cluster.drain()
    for name in ("w1", "w2"):
        assert cluster.workers[name].poll() is None, f"{name} exited"
        mine = [e["event"] for e in events if e.get("worker") == name and e["event"] != "polled"]
        assert "broker_unreachable" in mine and "broker_back" in mine, mine
    for running in cluster.leaders:
        assert running.proc.poll() is None
    states = [text for _, text in cluster.leader_states()]
    assert any(t.startswith("broker unreachable") for t in states)
    assert any(t.startswith("broker back") for t in states)


def test_interface_samples_are_in_victoriametrics_with_their_labels(cluster: Cluster) -> None:
    net = cluster.lab.network
    link = net.links[0]
    query = f'govnet_interface_in_bps{{device="{link.a_device}"}}'
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def series() -> list[dict[str, Any]]:
        url = f"{cluster.vm_url}/api/v1/query?" + urllib.parse.urlencode({"query": query})
        with opener.open(url, timeout=10) as answer:
            result: list[dict[str, Any]] = json.loads(answer.read())["data"]["result"]
            return result

    cluster.until(lambda: bool(series()), 60, "series of the lab device")
    found = {s["metric"]["interface"]: s["metric"] for s in series()}
    assert link.a_interface in found
    assert found[link.a_interface]["device"] == link.a_device
    assert found[link.a_interface].get("link") == link.id
