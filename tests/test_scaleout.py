"""Polling spread over worker processes through Redis, against the lab's real agents (issue #15).

Three ``monitor worker`` processes and two ``monitor run --redis`` candidates (one leads, one
stands by) over a real redis-server and a real VictoriaMetrics; the tests kill a worker, kill the
leader, stop Redis for 30 s, cut a link, and read what every process printed (``--events``).
"""

from __future__ import annotations

import contextlib
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

from govnet.lab.faults import fail, restore, set_wifi_clients
from govnet.monitor.broker import WORKERS
from govnet.monitor.coverage import KIND, RUNNING, STOPPED
from govnet.monitor.schedule import offset
from govnet.monitor.store import open_store
from tests.labkit import LabHandle
from tests.procs import Running, start_monitor, stop_process
from tests.redisserver import RedisServer
from tests.vmserver import victoria_metrics

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parent.parent
INTERVAL = 8.0
LEASE_TTL = 4.0
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
    dead: set[str] = field(default_factory=set)

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
                others = [e for e in self.drain() if e.get("event") != "polled"][-10:]
                states = [text for _, text in self.leader_states()][-10:]
                raise AssertionError(
                    f"timed out after {timeout:g} s waiting for {what}; workers said {others}; "
                    f"candidates said {states}"
                )
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
         "--redis-namespace", NS, "--name", name, "--events"],
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


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


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
            with _environ(GOVNET_LOG_LEVEL="info", GOVNET_LOG_FORMAT="json"):  # traps heard, as JSON lines
                for _ in range(2):
                    c.leaders.append(
                        start_monitor(lab, c.store, "--interval", str(INTERVAL), "--redis", redis.url,
                                      "--redis-namespace", NS, "--lease-ttl", str(LEASE_TTL),
                                      "--series", vm_url)
                    )  # fmt: skip
            yield c
        finally:
            for running in c.leaders:
                stop_process(running.proc)
            for proc in c.workers.values():
                stop_process(proc)
            redis.remove()
            shutil.rmtree(tmp, ignore_errors=True)


def _cycle(event: dict[str, Any]) -> int:
    """The cycle of a scheduled poll's job (``DEVICE@CYCLE``); -1 for a confirmation poll."""
    cycle = event["job"].rpartition("@")[2]
    return int(cycle) if cycle.isdigit() else -1


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


def _pending_of(cluster: Cluster, consumer: str) -> list[str]:
    """The job IDs pending with ``consumer`` (taken, not acknowledged), read from Redis."""
    r = cluster.redis.client()
    try:
        out = []
        for stream in r.scan_iter(match=f"{NS}:jobs:*"):
            for entry in r.xpending_range(stream, WORKERS, "-", "+", 1000, consumername=consumer):
                found: Any = r.xrange(stream, entry["message_id"], entry["message_id"])
                out += [fields[b"id"].decode() for _id, fields in found]
        return out
    finally:
        r.close()


def _kill_while_polling(cluster: Cluster, name: str) -> tuple[float, list[str]]:
    """SIGKILL worker ``name`` the moment it holds a job (a poll under way); return the time of
    the kill and the jobs it held (read from Redis after its death)."""
    end = time.monotonic() + 60
    while not _pending_of(cluster, name):
        assert time.monotonic() < end, f"{name} never held a job"
        time.sleep(0.005)
    proc = cluster.workers[name]
    proc.send_signal(signal.SIGKILL)
    killed = time.time()
    proc.wait()
    cluster.dead.add(name)
    return killed, _pending_of(cluster, name)


def test_a_killed_workers_devices_are_polled_by_the_others_within_one_interval(cluster: Cluster) -> None:
    """SIGKILL a worker in the middle of a poll: the jobs it held are polled by the others within
    one interval of the kill (its heartbeat expires, they claim them), each exactly once; every
    device it polled before is polled by the others with no cycle skipped, within one interval
    of the kill or of its next slot if that is later."""
    held: list[str] = []
    victim = "w0"
    for attempt in range(3):  # the poll may end between the look and the kill: try another worker
        if attempt:
            victim = f"w-spare{attempt}"
            _start_worker(cluster, victim)
            cluster.until(
                lambda v=victim: any(e["worker"] == v for e in cluster.polls()), 60, f"{victim} polling"
            )
        killed, held = _kill_while_polling(cluster, victim)
        if held:
            break
    assert held, "never killed a worker holding a job"
    devices = set(cluster.lab.network.devices)

    def all_polled_after() -> bool:
        return {e["device"] for e in cluster.polls() if e["started"] > killed} == devices

    cluster.until(all_polled_after, 3 * INTERVAL + 30, "every device polled after the kill")
    polls = cluster.polls()
    by_job = {e["job"]: e for e in polls if e["worker"] != victim}
    for job in held:  # the jobs it held: claimed and polled by another within one interval
        assert job in by_job, f"{job} held by the killed worker was never polled"
        late = by_job[job]["started"] - killed
        assert by_job[job]["claimed"] and late <= INTERVAL, f"{job} polled {late:.2f} s after the kill"
    for device in devices:
        last = max(_cycle(e) for e in polls if e["device"] == device and e["started"] <= killed)
        first = min(
            (e for e in polls if e["device"] == device and e["started"] > killed), key=lambda e: e["started"]
        )
        cycle = _cycle(first)
        assert first["worker"] != victim and 0 <= cycle <= last + 1, f"{device}: cycle {last} then {cycle}"
        due = cycle * INTERVAL + offset(device, INTERVAL)
        late = first["started"] - max(killed, due)
        assert late <= INTERVAL, f"{device} first polled {late:.2f} s after the kill or its slot"
    twice = [job for job, n in Counter(e["job"] for e in polls).items() if n > 1]
    assert twice == [], "a job polled twice"


def test_a_killed_leader_is_replaced_within_the_lease_and_a_cut_link_is_still_one_incident(
    cluster: Cluster,
) -> None:
    """SIGKILL the lease holder: the standby takes the lease when the dead one's expires (at most
    one lease period after the kill), binds the trap port, hears the lab's own traps, and a cut
    link is one incident that closes on restore."""
    cluster.until(lambda: any(t.startswith("leader:") for _, t in cluster.leader_states()), 60, "a leader")
    leading = [r for r, text in cluster.leader_states() if text.startswith("leader:")]
    assert len(leading) == 1
    old = leading[0]
    other = next(r for r in cluster.leaders if r is not old)
    r = cluster.redis.client()
    old.proc.send_signal(signal.SIGKILL)
    killed = time.time()
    left = r.pttl(f"{NS}:lease") / 1000  # the dead leader's lease: what it had left at the kill
    r.close()
    old.proc.wait()
    cluster.leaders.remove(old)
    took = other.wait_for(lambda e: e.get("event") == "leader_state" and e["text"].startswith("leader:"),
                          LEASE_TTL + 30, "the standby taking the lease")  # fmt: skip
    assert 0 < left <= LEASE_TTL
    after = took["at"] - killed
    # Not before the dead leader's lease expired, and right then (0.5 s: a loaded machine's wakeup).
    assert left - 0.1 <= after <= left + 0.5, (
        f"took over {after:.2f} s after the kill, lease had {left:.2f} s"
    )
    net = cluster.lab.network
    link = next(
        links[0]
        for name, dev in sorted(net.devices.items())
        if dev.role.value == "cpe" and len(links := net.links_by_device.get(name, [])) == 1
    )
    took_at, devices = time.time(), set(net.devices)
    cluster.until(lambda: {e["device"] for e in cluster.polls() if e["started"] > took_at} == devices, 60,
                  "the new leader's first polls")  # fmt: skip
    time.sleep(2 * INTERVAL)  # the new leader's snapshot settles; it has learnt v3 engine IDs
    other.drain()
    start = len(other.seen)
    ends = {str(net.devices[d].mgmt_ip) for d in (link.a_device, link.b_device)}
    fail(cluster.lab.prefix, "link", link.id)
    try:
        opened = other.wait_for(
            lambda e: e.get("event") == "incident_opened", 30, f"an incident for {link.id}"
        )

        def heard(e: dict[str, Any]) -> bool:
            return (
                e.get("message") == "trap received"
                and e.get("kind") == "linkDown"
                and e.get("address") in ends
            )

        if not any(heard(e) for e in other.seen[start:]):  # the trap usually comes before the incident
            other.wait_for(heard, 30, "a linkDown trap from an end of the cut link at the new leader")
        time.sleep(INTERVAL + 1)
        other.drain()
    finally:
        restore(cluster.lab.prefix, "link", link.id)
    assert sum(e.get("event") == "incident_opened" for e in other.seen[start:]) == 1
    other.wait_for(lambda e: e.get("event") == "incident_closed" and e.get("id") == opened["id"], 40,
                   "the incident closing")  # fmt: skip


def test_redis_stopped_for_30_s_workers_wait_and_the_gap_is_reported(cluster: Cluster) -> None:
    """Every process says when it lost the broker and when it came back, with the gap's length;
    none exits; the store records that the monitor stopped watching and started again; polling
    resumes."""
    devices = set(cluster.lab.network.devices)
    cluster.until(lambda: {e["device"] for e in cluster.polls()} == devices, 120, "the cluster polling")
    seen_before = len(cluster.seen)
    for running in cluster.leaders:
        running.drain()
    marks = {id(running): len(running.seen) for running in cluster.leaders}
    stopped = time.time()
    cluster.redis.stop()
    time.sleep(30 - (time.time() - stopped))
    restarted = time.time()
    cluster.redis.start()
    cluster.until(lambda: {e["device"] for e in cluster.polls() if e["started"] > restarted} == devices,
                  LEASE_TTL + 3 * INTERVAL + 30, "every device polled after Redis came back")  # fmt: skip
    events = cluster.drain()[seen_before:]
    alive = [name for name in cluster.workers if name not in cluster.dead]
    for name in alive:
        assert cluster.workers[name].poll() is None, f"{name} exited"
        lost = next(e for e in events if e.get("worker") == name and e["event"] == "broker_unreachable")
        back = next(e for e in events if e.get("worker") == name and e["event"] == "broker_back")
        assert stopped <= lost["at"] <= stopped + 2, f"{name} noticed {lost['at'] - stopped:.1f} s late"
        assert restarted <= back["at"] <= restarted + 5
        assert 29 <= back["after_s"] <= 35, back
    gaps = []
    for running in cluster.leaders:
        assert running.proc.poll() is None
        running.drain()
        said = [e for e in running.seen[marks[id(running)] :] if e.get("event") == "leader_state"]
        assert any(e["text"].startswith("broker unreachable") for e in said), said
        gaps += [int(e["text"].split()[3]) for e in said if e["text"].startswith("broker back after")]
    assert gaps and all(30 - LEASE_TTL <= gap <= 35 for gap in gaps), gaps
    store = open_store(cluster.store)
    try:

        def watching() -> list[tuple[float, str]]:
            return [(c.at, c.new) for _id, c in store.changes_after(0, 100_000) if c.kind == KIND]

        cluster.until(lambda: any(at > restarted and new == RUNNING for at, new in watching()), 60,
                      "the monitor watching again")  # fmt: skip
        stops = [at for at, new in watching() if new == STOPPED and stopped <= at <= restarted]
        assert len(stops) == 1 and stops[0] - stopped <= LEASE_TTL, watching()
    finally:
        store.close()


def _instant(cluster: Cluster, query: str) -> list[dict[str, Any]]:
    """A PromQL instant query's series, straight from VictoriaMetrics."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    url = f"{cluster.vm_url}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    with opener.open(url, timeout=10) as answer:
        result: list[dict[str, Any]] = json.loads(answer.read())["data"]["result"]
        return result


def test_interface_samples_are_in_victoriametrics_with_their_labels(cluster: Cluster) -> None:
    """Traffic per interface, optical power per transceiver and WiFi clients per access point,
    by PromQL, with the labels the NOC queries by."""
    net = cluster.lab.network
    link = net.links[0]
    query = f'govnet_interface_in_bps{{device="{link.a_device}"}}'
    cluster.until(lambda: bool(_instant(cluster, query)), 60, "series of the lab device")
    found = {s["metric"]["interface"]: s["metric"] for s in _instant(cluster, query)}
    assert link.a_interface in found
    assert found[link.a_interface]["device"] == link.a_device
    assert found[link.a_interface].get("link") == link.id
    fiber = next(
        lk
        for lk in net.links
        if lk.medium.value == "fiber"
        and {net.devices[lk.a_device].role.value, net.devices[lk.b_device].role.value} == {"core", "hub"}
    )
    end = f'device="{fiber.a_device}",interface="{fiber.a_interface}",direction="rx"'
    optics = f"govnet_optical_power_dbm{{{end}}}"
    cluster.until(lambda: bool(_instant(cluster, optics)), 60, "the optical power of a core-hub fiber end")
    (reading,) = _instant(cluster, optics)
    assert reading["metric"]["link"] == fiber.id and -40 < float(reading["value"][1]) < 10
    ap = next(d.name for d in net.devices.values() if d.role.value == "wifi_ap")
    set_wifi_clients(cluster.lab.prefix, ap, 23)
    clients = f'govnet_wifi_clients{{device="{ap}"}}'
    cluster.until(lambda: [float(s["value"][1]) for s in _instant(cluster, clients)] == [23.0], 60,
                  f"23 WiFi clients of {ap}")  # fmt: skip
