"""Distributed polling on a real Redis server (issue #15 item 1): jobs, workers, claims, groups.

The SNMP side is the fake agents (the wire tested here is Redis's); a real redis-server runs on a
private Unix socket for each test (tests/redisserver.py).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import pytest

from govnet.inventory.network import Network
from govnet.monitor import failover, remote
from govnet.monitor.broker import Broker, Job
from govnet.monitor.config import DEFAULT_MODULES, Module
from govnet.monitor.failover import lead_or_wait
from govnet.monitor.fake import FakeScraper
from govnet.monitor.notify.channels import load_channels
from govnet.monitor.notify.notifier import build_notifier
from govnet.monitor.runner import RunOptions
from govnet.monitor.scraper import Scrape
from govnet.monitor.store import open_store
from govnet.monitor.worker import Worker, group_of
from govnet.snmp.client import Target
from tests.notifykit import WebhookReceiver, new_whsec, signature_ok, write_channels
from tests.redisserver import redis_server
from tests.waiting import until

T = TypeVar("T")


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


async def _stopped(task: Awaitable[T], what: str, within: float = 60.0) -> T:
    """Await a leader or worker told to stop: stopping is bounded, so a hang fails here, named."""
    try:
        return await asyncio.wait_for(task, within)
    except TimeoutError:
        raise AssertionError(f"{what} did not stop within {within:g} s of being told to") from None


def test_leader_and_workers_poll_each_device_once_per_cycle(
    net: Network, redis_url: str, tmp_path: Path
) -> None:
    agents = FakeScraper(net)
    agents.kill(
        next(d.name for d in sorted(net.devices.values(), key=lambda d: d.name) if d.role.value == "cpe")
    )
    workers: list[Worker] = []

    async def main() -> None:
        stop_leader, stop_workers = asyncio.Event(), asyncio.Event()
        workers.extend(Worker(net, Broker(redis_url, "t1"), agents, name=f"w{i}") for i in range(2))
        running = [asyncio.ensure_future(w.run(stop_workers)) for w in workers]
        store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
        states: list[str] = []
        leader = asyncio.ensure_future(
            lead_or_wait(
                net,
                store,
                RunOptions(interval=4.0),
                Broker(redis_url, "t1"),
                "leader-a",
                stop_leader,
                ttl=15.0,
                on_state=states.append,
            )
        )

        def cycles_done() -> bool:
            seen: dict[str, set[str]] = {}
            for w in workers:
                for job in w.stats.jobs:
                    device, _, cycle = job.partition("@")
                    seen.setdefault(device, set()).add(cycle)
            return len(seen) == len(net.devices) and all(len(c) >= 2 for c in seen.values())

        await until(cycles_done, 180, "two polled cycles of every device")
        stop_leader.set()
        assert await _stopped(leader, "the leader") == 1
        stop_workers.set()
        await _stopped(asyncio.gather(*running), "the workers")
        assert states[0] == "leader: leader-a holds the lease"
        current = {row.name: row.state for row in store.current()}
        store.close()
        assert {d for d in net.devices if current.get(d) == "unreachable"} == set(agents.dead)
        assert all(current.get(d) == "up" for d in net.devices if d not in agents.dead)

    asyncio.run(main())
    jobs = Counter(job for w in workers for job in w.stats.jobs)
    assert jobs and max(jobs.values()) == 1, [j for j, n in jobs.items() if n > 1][:5]
    assert all(w.stats.polled > 0 for w in workers), "both workers took jobs"


class _Hang:
    """A scraper that never answers (a worker stuck, then killed)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def scrape(
        self, target: Target, modules: Sequence[Module] = DEFAULT_MODULES, deadline: float | None = None
    ) -> Scrape:
        self.started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def _job(net: Network, device: str, cycle: int) -> Job:
    return Job(f"{device}@{cycle}", device, group_of(net, device), ("system",), 5.0, time.time())


def test_a_dead_workers_job_is_claimed_and_polled_once(net: Network, redis_url: str) -> None:
    device = sorted(net.devices)[0]

    async def main() -> tuple[Worker, bytes | None, int]:
        broker = Broker(redis_url, "t2")
        assert await broker.submit(_job(net, device, 7), keep=60)
        assert not await broker.submit(_job(net, device, 7), keep=60), "same device and cycle: de-duplicated"
        hang = _Hang()
        dying = Worker(net, Broker(redis_url, "t2"), hang, name="dying", claim_after=2.0)
        stop_dying = asyncio.Event()
        task = asyncio.ensure_future(dying.run(stop_dying))
        await asyncio.wait_for(hang.started.wait(), 30)
        for busy in list(dying._busy):  # the process dies: its job is neither finished nor acknowledged
            busy.cancel()
        task.cancel()
        assert await broker.pending(group_of(net, device)) == 1
        survivor = Worker(net, Broker(redis_url, "t2"), FakeScraper(net), name="survivor", claim_after=2.0)
        stop = asyncio.Event()
        running = asyncio.ensure_future(survivor.run(stop))
        await until(lambda: survivor.stats.polled >= 1, 60, "the survivor to claim and poll the job")
        stop.set()
        await _stopped(running, "the worker")
        return survivor, await broker.result(f"{device}@7"), await broker.pending(group_of(net, device))

    survivor, result, pending = asyncio.run(main())
    assert survivor.stats.claimed == 1 and survivor.stats.jobs == [f"{device}@7"]
    assert result is not None and pending == 0


def test_a_worker_bound_to_groups_takes_only_theirs(net: Network, redis_url: str) -> None:
    by_group: dict[str, str] = {}
    for name in sorted(net.devices):
        by_group.setdefault(group_of(net, name), name)
    (g1, d1), (g2, d2) = sorted(by_group.items())[:2]

    async def main() -> Worker:
        broker = Broker(redis_url, "t3")
        for device in (d1, d2):
            assert await broker.submit(_job(net, device, 1), keep=60)
        bound = Worker(net, Broker(redis_url, "t3"), FakeScraper(net), name="bound", groups=[g1])
        stop = asyncio.Event()
        running = asyncio.ensure_future(bound.run(stop))
        await until(lambda: bound.stats.polled >= 1, 60, "the bound worker's job")
        await asyncio.sleep(1.5)  # a chance to (wrongly) take the other group's job
        stop.set()
        await _stopped(running, "the worker")
        assert await broker.result(f"{d2}@1") is None
        assert g2 in await broker.job_groups()
        return bound

    bound = asyncio.run(main())
    assert bound.stats.jobs == [f"{d1}@1"]


def test_malformed_jobs_are_dropped_not_run_and_the_worker_goes_on(net: Network, redis_url: str) -> None:
    device = sorted(net.devices)[0]

    async def main() -> tuple[Worker, Broker]:
        broker = Broker(redis_url, "t4")
        stream = broker.key("jobs", group_of(net, device))
        await broker.submit(_job(net, device, 1), keep=60)  # makes the stream and its group
        await broker.redis.xadd(stream, {"id": "x@1", "device": "x\n; rm -rf /", "deadline": "nan?"})
        await broker.redis.xadd(stream, {"garbage": b"\xff\xfe"})
        await broker.submit(_job(net, device, 2), keep=60)
        worker = Worker(net, Broker(redis_url, "t4"), FakeScraper(net), name="w")
        stop = asyncio.Event()
        running = asyncio.ensure_future(worker.run(stop))
        await until(lambda: worker.stats.polled >= 2, 60, "the two good jobs")
        stop.set()
        await _stopped(running, "the worker")
        return worker, worker.broker

    worker, wb = asyncio.run(main())
    assert sorted(worker.stats.jobs) == [f"{device}@1", f"{device}@2"]
    assert wb.malformed == 2


class _Leader:
    """A ``monitor run --redis`` process whose stderr is read all along by one thread (a pipe
    nobody reads fills up and blocks the process)."""

    def __init__(self, redis_url: str, store: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "govnet.cli", "monitor", "run", "--redis", redis_url,
             "--redis-namespace", "t5", "--lease-ttl", "4", "--no-traps", "--no-live", "--interval", "3",
             "--store", f"sqlite:///{store}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, word: str, timeout: float, after: int = 0) -> str:
        """The stderr from line ``after`` up to the first line holding ``word``."""
        end = time.monotonic() + timeout
        while not any(word in line for line in self.lines[after:]):
            assert time.monotonic() < end, f"no {word!r} within {timeout:g} s: {''.join(self.lines)[-2000:]}"
            time.sleep(0.1)
        return "".join(self.lines[after:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def test_a_standby_takes_over_when_the_leader_is_killed(net: Network, redis_url: str, tmp_path: Path) -> None:
    """Two ``monitor run --redis``: one leads, one stands by; SIGKILL the leader, the standby leads
    within the lease's time, and polling goes on with each device and cycle polled once."""
    worker = Worker(net, Broker(redis_url, "t5"), FakeScraper(net), name="w")
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=lambda: loop.run_until_complete(worker.run(stop)), daemon=True)
    thread.start()
    first = _Leader(redis_url, tmp_path / "m.db")
    second: _Leader | None = None
    try:
        first.wait_for("holds the lease", 120)
        second = _Leader(redis_url, tmp_path / "m.db")
        text = second.wait_for("standby:", 120)
        assert "leader:" not in text
        deadline = time.monotonic() + 120
        while len({j.partition("@")[0] for j in worker.stats.jobs}) < len(net.devices):
            assert time.monotonic() < deadline, "the first leader's polls did not reach every device"
            time.sleep(0.5)
        first.proc.kill()
        first.proc.wait()
        killed_at, before, seen = time.time(), len(worker.stats.jobs), len(second.lines)
        second.wait_for("leader:", 4 * 4 / 3 + 30, after=seen)
        took = time.time() - killed_at
        assert took < 4 * 4 / 3 + 10, f"took over after {took:.1f} s"
        while len(worker.stats.jobs) < before + len(net.devices):
            assert time.monotonic() < deadline + 120, "the new leader's polls did not reach the workers"
            time.sleep(0.5)
        second.stop()  # SIGTERM: the leader steps down and exits within the bound
        assert second.proc.returncode == 0, "".join(second.lines)[-2000:]
    finally:
        for leader in (first, second):
            if leader is not None:
                leader.stop()
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
    jobs = Counter(worker.stats.jobs)
    assert max(jobs.values()) == 1, [j for j, n in jobs.items() if n > 1][:5]


def test_the_leader_says_when_polls_wait_and_no_worker_is_alive(
    net: Network, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No worker: states are not guessed (nothing is written as down), and the leader says so."""
    monkeypatch.setattr(failover, "STALL_S", 2.0)
    said: list[str] = []

    async def main() -> None:
        stop = asyncio.Event()
        store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")

        def hear(text: str) -> None:
            said.append(text)
            if text.startswith("warning:"):
                stop.set()

        led = asyncio.ensure_future(
            lead_or_wait(
                net,
                store,
                RunOptions(interval=3.0),
                Broker(redis_url, "t6"),
                "lonely",
                stop,
                ttl=15.0,
                on_state=hear,
            )
        )
        await asyncio.wait_for(led, 120)
        assert [row for row in store.current(kind="device") if row.state == "unreachable"] == []
        store.close()

    asyncio.run(main())
    warning = next(t for t in said if t.startswith("warning:"))
    assert f"{len(net.devices)} polls wait for a worker" in warning and "live workers: 0" in warning


def test_jobs_lost_by_a_redis_restart_are_submitted_again(
    net: Network, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis restarted without persistence (FLUSHALL here): the waiting polls notice that neither
    their job nor its result exists any more and submit it again; a worker then polls them."""
    monkeypatch.setattr(remote, "RECHECK_S", 1.0)

    async def main() -> Worker:
        stop, stop_worker = asyncio.Event(), asyncio.Event()
        store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
        broker = Broker(redis_url, "t7")
        led = asyncio.ensure_future(
            lead_or_wait(net, store, RunOptions(interval=30.0), Broker(redis_url, "t7"), "L", stop, ttl=15.0)
        )
        groups: list[str] = []
        deadline = time.monotonic() + 60
        while len(groups) < 2:
            assert time.monotonic() < deadline, "the leader queued no jobs"
            await asyncio.sleep(0.2)
            groups = await broker.job_groups()
        await broker.redis.flushall()
        worker = Worker(net, Broker(redis_url, "t7"), FakeScraper(net), name="after")
        running = asyncio.ensure_future(worker.run(stop_worker))
        await until(
            lambda: len({j.partition("@")[0] for j in worker.stats.jobs}) == len(net.devices),
            120,
            "every device polled after the flush",
        )
        stop.set()
        await _stopped(led, "the leader")
        stop_worker.set()
        await _stopped(running, "the worker")
        store.close()
        return worker

    worker = asyncio.run(main())
    assert max(Counter(worker.stats.jobs).values()) == 1  # each job once, even re-submitted ones


def test_the_leader_tells_the_channels_once_per_incident(
    net: Network, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``monitor run --redis --channels``: the leader (and only it) runs the notifier; each incident
    (a dead CPE's) reaches a signed webhook on loopback exactly once."""
    secret = new_whsec()
    monkeypatch.setenv("IOC_WEBHOOK_SECRET", secret)
    hook = WebhookReceiver(secret)
    hook.start()
    path = write_channels(
        tmp_path / "channels.yaml",
        f"""channels:
  - name: ioc
    kind: webhook
    url: {hook.url}/hooks
    secret: {{env: IOC_WEBHOOK_SECRET}}
""",
    )
    agents = FakeScraper(net)
    dead = next(d.name for d in sorted(net.devices.values(), key=lambda d: d.name) if d.role.value == "cpe")
    agents.kill(dead)

    async def main() -> None:
        stop, stop_workers = asyncio.Event(), asyncio.Event()
        store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
        notifier = build_notifier(load_channels(path), store, net)
        worker = Worker(net, Broker(redis_url, "t8"), agents, name="w")
        running = asyncio.ensure_future(worker.run(stop_workers))
        led = asyncio.ensure_future(
            lead_or_wait(net, store, RunOptions(interval=3.0), Broker(redis_url, "t8"), "L", stop, ttl=15.0,
                         notifier=notifier)
        )  # fmt: skip

        def told() -> bool:
            return any(json.loads(h.body).get("type") == "incident.opened" for h in hook.hooks)

        await until(told, 120, "the incident's notification")
        await asyncio.sleep(7)  # two more cycles: still one message for the one incident
        stop.set()
        await _stopped(led, "the leader")
        stop_workers.set()
        await _stopped(running, "the worker")
        notifier.outbox.close()
        store.close()

    try:
        asyncio.run(main())
    finally:
        hook.stop()
    opened = [json.loads(h.body) for h in hook.hooks if json.loads(h.body).get("type") == "incident.opened"]
    ids = [m["data"]["incident"]["id"] for m in opened]
    assert ids and len(ids) == len(set(ids)), ids  # one message per incident, never repeated
    assert all(signature_ok(secret, h.msg_id, h.timestamp, h.signature, h.body) for h in hook.hooks)
