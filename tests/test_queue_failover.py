"""Failover bounds of distributed polling on a real Redis server (issue #15): a dead worker's jobs
are claimed when its heartbeat expires, never polled twice; a standby takes the lease the moment
it expires; the trap port follows the lease; workers refuse jobs outside their groups.

The SNMP side is the fake agents; traps are real SNMP notifications on loopback.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    NotificationType,
    ObjectIdentity,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    send_notification,
)
from pysnmp.proto.api import v2c

from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.monitor.broker import WORKERS, Broker, Job
from govnet.monitor.config import targets_from_inventory
from govnet.monitor.failover import lead_or_wait
from govnet.monitor.fake import FakeScraper
from govnet.monitor.runner import RunOptions, trap_communities
from govnet.monitor.store import open_store
from govnet.monitor.traps import LINK_DOWN, TrapReceiver
from govnet.monitor.worker import HEARTBEAT_TTL_S, RECLAIM_EVERY_S, Worker, group_of
from govnet.snmp.client import usm_protocols
from tests.redisserver import RedisServer, redis_server
from tests.waiting import until


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def _job(net: Network, device: str, cycle: int, group: str | None = None) -> Job:
    return Job(f"{device}@{cycle}", device, group or group_of(net, device), ("system",), 5.0, time.time())


async def _take_as(broker: Broker, consumer: str, group: str) -> list[str]:
    """Take every waiting job of ``group`` as ``consumer`` (a worker that then dies: it never beats
    a heartbeat again, never acknowledges)."""
    stream = broker.key("jobs", group)
    answer = await broker.redis.xreadgroup(WORKERS, consumer, {stream: ">"}, count=100)
    return [entry.decode() for _s, entries in answer for entry, _raw in entries]


def test_a_dead_workers_jobs_are_claimed_as_soon_as_its_heartbeat_expires(
    net: Network, redis_url: str
) -> None:
    """The dead worker's job is polled by another within the heartbeat's life plus a scan, long
    before ``claim_after`` (600 s here: claims by idle time play no part), exactly once."""
    device = sorted(net.devices)[0]
    group = group_of(net, device)

    async def main() -> tuple[float, float, Worker]:
        broker = Broker(redis_url, "f1")
        assert await broker.submit(_job(net, device, 3), keep=600)
        await broker.ping()
        beat = time.time()  # its last heartbeat, set just after: the key expires after beat + TTL
        await broker.heartbeat("doomed", [], HEARTBEAT_TTL_S)  # alive: it beat, then took the job
        assert await _take_as(broker, "doomed", group)
        polled_at: list[float] = []
        survivor = Worker(
            net,
            Broker(redis_url, "f1"),
            FakeScraper(net),
            name="survivor",
            claim_after=600,
            on_job=lambda _t: polled_at.append(time.time()),
        )
        stop = asyncio.Event()
        running = asyncio.ensure_future(survivor.run(stop))
        await until(lambda: survivor.stats.polled >= 1, 60, "the survivor polling the dead worker's job")
        await asyncio.sleep(2 * RECLAIM_EVERY_S)  # time to (wrongly) claim or poll it again
        stop.set()
        await asyncio.wait_for(running, 60)  # stopping is bounded: a hang fails here
        assert await broker.pending(group) == 0
        consumers = [
            c["name"] for c in await broker.redis.xinfo_consumers(broker.key("jobs", group), WORKERS)
        ]
        assert b"doomed" not in consumers, "a dead worker left with nothing is removed from the group"
        await broker.close()
        return beat, polled_at[0], survivor

    beat, polled, survivor = asyncio.run(main())
    assert survivor.stats.jobs == [f"{device}@3"] and survivor.stats.claimed == 1
    # never before its heartbeat expired; then within a scan (1 s) and the next one (a loaded machine)
    assert HEARTBEAT_TTL_S <= polled - beat <= HEARTBEAT_TTL_S + 2 * RECLAIM_EVERY_S + 1.0, polled - beat


def test_a_claimed_job_whose_result_is_stored_is_acknowledged_not_polled_again(
    net: Network, redis_url: str
) -> None:
    """A worker that stored its result and died before acknowledging: nobody polls it again."""
    device = sorted(net.devices)[0]
    group = group_of(net, device)

    async def main() -> tuple[Worker, int]:
        broker = Broker(redis_url, "f2")
        assert await broker.submit(_job(net, device, 4), keep=600)
        assert await _take_as(broker, "stored-then-died", group)
        await broker.redis.set(broker.key("result", f"{device}@4"), b"{}", px=600_000)
        survivor = Worker(net, Broker(redis_url, "f2"), FakeScraper(net), name="s", claim_after=600)
        stop = asyncio.Event()
        running = asyncio.ensure_future(survivor.run(stop))

        async def settled() -> bool:
            return await broker.pending(group) == 0

        deadline = time.monotonic() + 60
        while not await settled():
            assert time.monotonic() < deadline, "the orphan was not acknowledged"
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.wait_for(running, 60)  # stopping is bounded: a hang fails here
        pending = await broker.pending(group)
        await broker.close()
        return survivor, pending

    survivor, pending = asyncio.run(main())
    assert survivor.stats.claimed == 1 and survivor.stats.polled == 0 and pending == 0


def test_two_workers_claiming_the_same_orphan_at_once_get_it_once(net: Network, redis_url: str) -> None:
    devices = sorted(net.devices)[:5]
    group = group_of(net, devices[0])
    devices = [d for d in devices if group_of(net, d) == group]

    async def main() -> tuple[list[str], list[str]]:
        broker = Broker(redis_url, "f3")
        for device in devices:
            assert await broker.submit(_job(net, device, 1), keep=600)
        assert len(await _take_as(broker, "gone", group)) == len(devices)
        await asyncio.sleep(1.2)  # idle longer than ORPHAN_MIN_IDLE_MS
        a, b = Broker(redis_url, "f3"), Broker(redis_url, "f3")
        got_a, got_b = await asyncio.gather(
            a.claim_orphans([group], "a", 100), b.claim_orphans([group], "b", 100)
        )
        for x in (a, b, broker):
            await x.close()
        return [t.job.id for t in got_a], [t.job.id for t in got_b]

    got_a, got_b = asyncio.run(main())
    assert sorted(got_a + got_b) == sorted(f"{d}@1" for d in devices), (got_a, got_b)


def test_a_standby_takes_the_lease_the_moment_it_expires(
    net: Network, redis_url: str, tmp_path: Path
) -> None:
    """A holder that died: its lease has 3 s to live; the standby leads right then, not before,
    and not a third of a lease period later."""
    ttl = 3.0

    async def main() -> tuple[float, float, float]:
        broker = Broker(redis_url, "f4")
        await broker.ping()  # connected: the next command's round trip is short
        earliest = time.time() + ttl  # Redis sets the expiry between these two readings
        assert await broker.acquire_lease("dead-holder", ttl)
        latest = time.time() + ttl
        stop = asyncio.Event()
        took: list[float] = []

        def hear(text: str) -> None:
            if text.startswith("leader:"):
                took.append(time.time())
                stop.set()

        store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
        await asyncio.wait_for(
            lead_or_wait(net, store, RunOptions(interval=30.0), Broker(redis_url, "f4"), "standby", stop,
                         ttl=ttl, on_state=hear),
            60,
        )  # fmt: skip
        store.close()
        await broker.close()
        return earliest, latest, took[0]

    earliest, latest, took = asyncio.run(main())
    assert earliest <= took <= latest + 0.5, (took - earliest, latest - earliest)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _send_link_down(port: int, community: str) -> None:
    sender = SnmpEngine()
    try:
        await send_notification(
            sender,
            CommunityData(community, mpModel=1),
            await UdpTransportTarget.create(("127.0.0.1", port)),
            ContextData(),
            "trap",
            NotificationType(ObjectIdentity(LINK_DOWN)),
        )
    finally:
        sender.close_dispatcher()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.records.append(record)


def test_the_trap_port_follows_the_lease(net: Network, redis_url: str, tmp_path: Path) -> None:
    """Only the leader listens for traps. The port is still held (the leader before steps down):
    the new leader neither fails nor gives up, it binds once free; a standby never binds; after the
    leader steps down the standby takes over and a real trap sent to the port reaches it."""
    port = _free_udp_port()
    community = trap_communities(net)[0].get_secret_value()
    records = _Records()
    levels = {}
    for name in ("govnet.monitor.runner", "govnet.monitor.traps"):
        logging.getLogger(name).addHandler(records)
        levels[name] = logging.getLogger(name).level
        logging.getLogger(name).setLevel(logging.INFO)
    options = RunOptions(interval=30.0, trap_listen=("127.0.0.1", port))

    def count(text: str) -> int:
        return sum(text in m for m in records.messages)

    async def main() -> None:
        worker = Worker(net, Broker(redis_url, "f5"), FakeScraper(net), name="w")
        stop_worker = asyncio.Event()
        working = asyncio.ensure_future(worker.run(stop_worker))
        store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
        said: dict[str, list[str]] = {"a": [], "b": []}
        stops = {"a": asyncio.Event(), "b": asyncio.Event()}

        def candidate(name: str) -> asyncio.Future[int]:
            return asyncio.ensure_future(
                lead_or_wait(net, store, options, Broker(redis_url, "f5"), name, stops[name], ttl=3.0,
                             on_state=said[name].append)
            )  # fmt: skip

        holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the leader before, still bound
        holder.bind(("127.0.0.1", port))
        a = candidate("a")
        await until(lambda: count("trap port busy") == 1, 60, "the leader finding the port busy")
        assert any(t.startswith("leader: a") for t in said["a"]) and not a.done()
        holder.close()
        await until(lambda: count("listening for traps") == 1, 30, "the leader binding the freed port")
        b = candidate("b")
        await until(lambda: any(t.startswith("standby:") for t in said["b"]), 30, "b standing by")
        await asyncio.sleep(2.0)
        assert count("listening for traps") == 1, "the standby must not listen"
        stops["a"].set()
        assert await asyncio.wait_for(a, 30) == 1
        await until(lambda: any(t.startswith("leader: b") for t in said["b"]), 30, "b taking over")
        await until(lambda: count("listening for traps") == 2, 30, "the new leader listening")
        before = count("trap received")
        await _send_link_down(port, community)
        await until(lambda: count("trap received") > before, 30, "the trap reaching the new leader")
        stops["b"].set()
        await asyncio.wait_for(b, 30)
        stop_worker.set()
        await asyncio.wait_for(working, 60)
        store.close()

    try:
        asyncio.run(main())
    finally:
        for name, level in levels.items():
            logging.getLogger(name).removeHandler(records)
            logging.getLogger(name).setLevel(level)


def test_a_worker_refuses_jobs_outside_its_groups_and_drops_them_with_a_log_line(
    net: Network, redis_url: str
) -> None:
    """Forged or stale jobs on a bound worker's stream: a device of another group, a device on
    the wrong group's stream, a device of no inventory. None is polled; each is logged, then
    dropped (acknowledged) once it has gone round; the good job is polled."""
    by_group: dict[str, list[str]] = {}
    for name in sorted(net.devices):
        by_group.setdefault(group_of(net, name), []).append(name)
    (mine, (good, *_)), (other, (foreign, *_)) = sorted(by_group.items())[:2]
    records = _Records()
    logging.getLogger("govnet.monitor.worker").addHandler(records)

    async def main() -> tuple[Worker, int, list[bytes | None]]:
        broker = Broker(redis_url, "f6")
        jobs = [
            _job(net, foreign, 1, group=mine),  # another group's device on my stream
            _job(net, foreign, 2, group=mine),
            Job("ghost@1", "ghost", mine, ("system",), 5.0, time.time()),  # no such device
            _job(net, good, 1),
        ]
        for job in jobs:
            assert await broker.submit(job, keep=600)
        # the job's own group field lies too: the stream it is on and the inventory decide
        await broker.redis.xadd(broker.key("jobs", mine), {**_job(net, foreign, 3).fields()})
        bound = Worker(net, Broker(redis_url, "f6"), FakeScraper(net), name="bound", groups=[mine],
                       claim_after=1.0)  # fmt: skip
        stop = asyncio.Event()
        running = asyncio.ensure_future(bound.run(stop))

        async def done() -> bool:
            return bound.stats.dropped >= 4 and await broker.pending(mine) == 0

        deadline = time.monotonic() + 60
        while not await done():
            assert time.monotonic() < deadline, f"not dropped: {bound.stats}"
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.wait_for(running, 60)  # stopping is bounded: a hang fails here
        results = [
            await broker.result(j) for j in (f"{foreign}@1", f"{foreign}@2", f"{foreign}@3", "ghost@1")
        ]
        pending = await broker.pending(mine)
        await broker.close()
        return bound, pending, results

    try:
        bound, pending, results = asyncio.run(main())
    finally:
        logging.getLogger("govnet.monitor.worker").removeHandler(records)
    assert bound.stats.jobs == [f"{good}@1"], "only the good job is polled"
    assert results == [None] * 4 and pending == 0 and bound.stats.dropped == 4
    refused = [m for m in records.messages if m == "poll job refused"]
    dropped = [m for m in records.messages if m == "poll job dropped"]
    assert len(refused) == 4 and len(dropped) == 4, records.messages
    assert other != mine


def test_a_busy_trap_port_is_an_error_at_once_for_one_process() -> None:
    """Without a lease to wait for, a port another receiver holds is a clear error (it used to be
    lost in pysnmp's own task: the monitor looked started and heard nothing)."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", 0))
    port = int(holder.getsockname()[1])

    async def main() -> None:
        receiver = TrapReceiver("127.0.0.1", port, lambda _e: None)
        with pytest.raises(GovnetError, match=f"cannot listen for traps on 127.0.0.1:{port}"):
            await receiver.start()
        receiver.close()

    try:
        asyncio.run(main())
    finally:
        holder.close()


def test_workers_and_candidates_started_before_redis_wait_for_it(net: Network, tmp_path: Path) -> None:
    """Started while Redis is down (a machine's boot order), nothing exits: each says the broker
    is unreachable, then back, and polling starts."""
    server = RedisServer()
    said: list[str] = []
    events: list[dict[str, object]] = []

    async def main() -> Worker:
        stop, stop_worker = asyncio.Event(), asyncio.Event()
        worker = Worker(net, Broker(server.url, "f7"), FakeScraper(net), name="early", on_event=events.append)
        working = asyncio.ensure_future(worker.run(stop_worker))
        store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
        # The lease's life is not what this test is about: 12 s (a renewal may take 4 s) so that a
        # loaded machine, where this process also runs the worker's 360 polls, keeps one term.
        leading = asyncio.ensure_future(
            lead_or_wait(net, store, RunOptions(interval=3.0), Broker(server.url, "f7"), "early-leader", stop,
                         ttl=12.0, on_state=said.append)
        )  # fmt: skip
        await until(
            lambda: any(e["event"] == "broker_unreachable" for e in events),
            30,
            "the worker waiting",
        )
        await until(
            lambda: any(t.startswith("broker unreachable") for t in said), 30, "the candidate waiting"
        )
        await asyncio.sleep(2.0)
        assert not working.done() and not leading.done()
        server.start()
        await until(lambda: worker.stats.polled >= len(net.devices), 120, "every device polled")
        stop.set()
        assert await asyncio.wait_for(leading, 30) == 1
        stop_worker.set()
        await asyncio.wait_for(working, 60)
        store.close()
        return worker

    try:
        worker = asyncio.run(main())
    finally:
        server.remove()
    assert any(e["event"] == "broker_back" for e in events)
    assert any(t.startswith("broker back after") for t in said) and any(t.startswith("leader:") for t in said)
    assert worker.stats.polled >= len(net.devices)


def test_a_new_leader_accepts_v3_traps_of_devices_it_has_not_polled_yet(
    net: Network, redis_url: str, tmp_path: Path
) -> None:
    """SNMPv3 traps are authenticated with the sender's engine ID, which a monitor learns by
    polling. A leader taking over reads the engine IDs last polled from the store: a real v3 trap
    sent before its first poll of the device (no worker runs here: it polls nothing) is accepted."""
    poll = next(t for t in targets_from_inventory(net) if t.target.version == "3")
    target = poll.target
    assert target.auth_key is not None and target.priv_key is not None
    keys = target.auth_key.get_secret_value(), target.priv_key.get_secret_value()
    port = _free_udp_port()
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    records = _Records()
    traps, runner_log = logging.getLogger("govnet.monitor.traps"), logging.getLogger("govnet.monitor.runner")
    saved = traps.level, runner_log.level
    for logger in (traps, runner_log):
        logger.addHandler(records)
        logger.setLevel(logging.INFO)

    def heard() -> bool:
        return any(
            r.getMessage() == "trap received" and getattr(r, "security", "") == "v3" for r in records.records
        )

    async def main() -> None:
        sender = SnmpEngine()
        engine_id = bytes(sender.snmpEngineID)  # as a previous leader polled it
        store.set_states([("device", poll.device, "up", {"engine_id": engine_id.hex()})], time.time(), "poll")
        stop = asyncio.Event()
        options = RunOptions(interval=30.0, trap_listen=("127.0.0.1", port))
        leading = asyncio.ensure_future(
            lead_or_wait(net, store, options, Broker(redis_url, "f8"), "new-leader", stop, ttl=3.0)
        )
        await until(lambda: "listening for traps" in records.messages, 60, "the leader listening")
        auth, priv = usm_protocols(target)
        await send_notification(
            sender,
            UsmUserData(target.user, *keys, authProtocol=auth, privProtocol=priv),
            await UdpTransportTarget.create(("127.0.0.1", port)),
            ContextData(contextEngineId=v2c.OctetString(engine_id)),
            "trap",
            NotificationType(ObjectIdentity(LINK_DOWN)),
        )  # fmt: skip
        await until(heard, 30, "the v3 trap accepted")
        sender.close_dispatcher()
        stop.set()
        await asyncio.wait_for(leading, 30)

    try:
        asyncio.run(main())
    finally:
        store.close()
        for logger, level in zip((traps, runner_log), saved, strict=True):
            logger.removeHandler(records)
            logger.setLevel(level)
    assert not any("SNMPv3" in m for m in records.messages)
