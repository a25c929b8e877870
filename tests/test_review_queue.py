"""Red-team review of distributed polling (issue #15): hostile Redis content, lost notifications,
duplicated jobs, masked URLs. A real redis-server on a private Unix socket (tests/redisserver.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from govnet.inventory.network import Network
from govnet.monitor.broker import Broker, Job, mask_redis_url
from govnet.monitor.config import PollTarget, targets_from_inventory
from govnet.monitor.failover import lead_or_wait
from govnet.monitor.fake import FakeScraper
from govnet.monitor.remote import QueueScraper
from govnet.monitor.runner import RunOptions
from govnet.monitor.scraper import CURRENT_POLL, Scrape
from govnet.monitor.scrapewire import ScrapeWireError, decode_scrape, encode_scrape
from govnet.monitor.store import open_store
from govnet.monitor.worker import Worker
from tests.redisserver import redis_server
from tests.waiting import until


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


async def _poll(scraper: QueueScraper, target: PollTarget, cycle: int) -> Scrape:
    CURRENT_POLL.set((target.device, cycle))  # this task's own context, as the engine does
    return await scraper.scrape(target.target, target.modules)


FORGERIES = {
    # JSON nested deeper than the decoder's recursion limit (well under MAX_BYTES)
    "deep": lambda broker, key: broker.redis.set(key, b"[" * 200_000),
    # the result key holding a hash: GET answers WRONGTYPE
    "wrongtype": lambda broker, key: broker.redis.hset(key, "x", "y"),
}


def test_deeply_nested_json_is_a_scrape_wire_error() -> None:
    with pytest.raises(ScrapeWireError):
        decode_scrape(b"[" * 200_000)
    with pytest.raises(ScrapeWireError):
        decode_scrape(b'{"host": ' + b"[" * 200_000 + b"}")


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_result_after_the_submit_neither_kills_the_follower_nor_hangs_other_polls(
    net: Network, redis_url: str, forgery: str
) -> None:
    """A hostile result for one job must end that poll as a bad result; the results follower must
    go on, so another device's genuine result is still read."""
    targets = targets_from_inventory(net)
    a, b = targets[0], targets[1]

    async def main() -> tuple[Scrape, Scrape, int]:
        broker = Broker(redis_url, "r1")
        scraper = QueueScraper(net, broker, targets)
        scraper.recheck_s = 1.0
        await scraper.start()
        poll_a = asyncio.ensure_future(_poll(scraper, a, 5))
        poll_b = asyncio.ensure_future(_poll(scraper, b, 5))

        async def queued() -> bool:
            return await broker.job_known(f"{a.device}@5") and await broker.job_known(f"{b.device}@5")

        await until(queued, 30, "both jobs queued")
        await FORGERIES[forgery](broker, broker.key("result", f"{a.device}@5"))
        await broker.redis.xadd(broker.key("results"), {"id": f"{a.device}@5"})
        await asyncio.sleep(0.5)  # the follower reads the forged one first
        await broker.redis.set(broker.key("result", f"{b.device}@5"), encode_scrape(Scrape(b.target.host)))
        await broker.redis.xadd(broker.key("results"), {"id": f"{b.device}@5"})
        try:
            got_a, got_b = await asyncio.wait_for(asyncio.gather(poll_a, poll_b), 30)
        finally:
            await scraper.close()
            await broker.close()
        return got_a, got_b, scraper.bad_results

    got_a, got_b, bad = asyncio.run(main())
    assert bad == 1 and got_a.warnings.get("broker"), got_a.warnings
    assert got_a.host == a.target.host
    assert got_b.host == b.target.host and not got_b.warnings


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_result_forged_before_the_poll_is_a_bad_result_not_a_crash(
    net: Network, redis_url: str, forgery: str
) -> None:
    """Job IDs are predictable (DEVICE@CYCLE from the wall clock): a result planted ahead must not
    raise out of the scrape (it would crash the leader's tick) nor loop forever."""
    target = targets_from_inventory(net)[0]

    async def main() -> tuple[Scrape, int]:
        broker = Broker(redis_url, "r2")
        await FORGERIES[forgery](broker, broker.key("result", f"{target.device}@9"))
        scraper = QueueScraper(net, broker, [target])
        scraper.recheck_s = 1.0
        await scraper.start()
        try:
            got = await asyncio.wait_for(_poll(scraper, target, 9), 30)
        finally:
            await scraper.close()
            await broker.close()
        return got, scraper.bad_results

    got, bad = asyncio.run(main())
    assert bad == 1 and got.warnings.get("broker") and got.host == target.target.host


def test_a_job_waiting_longer_than_its_key_lives_is_not_queued_twice(net: Network, redis_url: str) -> None:
    """No worker for longer than the de-duplication key lives (3 intervals): the job is still in
    the stream, so the waiting poll must not submit it again (each device once per cycle)."""
    target = dataclasses.replace(targets_from_inventory(net)[0], interval=1.0)  # key lives 3 s
    job_id = f"{target.device}@4"

    async def main() -> tuple[int, list[str], Scrape]:
        broker = Broker(redis_url, "r3")
        scraper = QueueScraper(net, broker, [target])
        scraper.recheck_s = 1.0
        await scraper.start()
        poll = asyncio.ensure_future(_poll(scraper, target, 4))
        await until(lambda: scraper.submitted == 1, 30, "the job queued")
        await asyncio.sleep(8)  # no worker: well past the key's 3 s
        stream = broker.key("jobs", scraper.group[target.device])
        queued = int(await broker.redis.xlen(stream))
        worker = Worker(net, Broker(redis_url, "r3"), FakeScraper(net), name="late")
        stop = asyncio.Event()
        running = asyncio.ensure_future(worker.run(stop))
        got = await asyncio.wait_for(poll, 60)

        async def drained() -> bool:
            groups = await broker.redis.xinfo_groups(stream)
            return bool(groups and groups[0]["lag"] == 0 and groups[0]["pending"] == 0)

        await until(drained, 60, "every queued job taken and finished")
        stop.set()
        await running
        await scraper.close()
        await broker.close()
        return queued, worker.stats.jobs, got

    queued, jobs, got = asyncio.run(main())
    assert got.host == target.target.host
    assert queued == 1, f"{queued} entries for one job"
    assert jobs == [job_id]


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0?password=s3cret",
        "unix:///run/redis.sock?db=1&password=s3cret",
        "redis://user:s3cret@[::1]:6379/0",
        "rediss://:s3cret@host.example:6380/2?password=s3cret",
    ],
)
def test_mask_redis_url_hides_every_password(url: str) -> None:
    masked = mask_redis_url(url)
    assert "s3cret" not in masked and "***" in masked


def test_mask_redis_url_keeps_the_rest() -> None:
    assert mask_redis_url("redis://user:s3cret@[::1]:6379/0") == "redis://user:***@[::1]:6379/0"
    assert mask_redis_url("unix:///run/r.sock?db=1&password=x") == "unix:///run/r.sock?db=1&password=***"
    assert mask_redis_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_job_fields_survive_a_round_trip() -> None:
    job = Job("d@1", "d", "g", ("system",), 5.0, 1.0)
    raw = {k.encode(): v.encode() for k, v in job.fields().items()}
    assert Job.from_fields(raw) == job


def test_a_forged_lease_holder_reaches_the_operator_as_printable_text(
    net: Network, redis_url: str, tmp_path: Path
) -> None:
    """The standby prints who holds the lease: text from Redis, never terminal escape sequences."""
    said: list[str] = []
    store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")

    async def main() -> None:
        broker = Broker(redis_url, "r4")
        await broker.redis.set(broker.key("lease"), b"\x1b]0;owned\x07\x1b[2J\r\nleader: me " + b"x" * 500)
        stop = asyncio.Event()

        def hear(text: str) -> None:
            said.append(text)
            stop.set()

        await asyncio.wait_for(
            lead_or_wait(net, store, RunOptions(), Broker(redis_url, "r4"), "b", stop, on_state=hear),
            60,
        )
        await broker.close()

    asyncio.run(main())
    store.close()
    assert said and said[0].startswith("standby:")
    assert all(c.isprintable() for c in said[0]) and len(said[0]) < 200, said[0]


@pytest.mark.parametrize("stamp", [-1.0, 1e12])  # submitted just now; stamped far in the future
def test_a_job_for_a_device_no_worker_knows_is_dropped_not_claimed_for_ever(
    net: Network, redis_url: str, stamp: float
) -> None:
    """A forged job (or one for a device removed from the inventory) is never polled, never
    answered, and does not stay pending, claimed round by every worker, for ever."""

    async def main() -> tuple[Worker, int, bytes | None]:
        broker = Broker(redis_url, "r5")
        submitted = time.time() if stamp < 0 else stamp
        forged = Job("ghost@1", "ghost; reboot", "default", ("system",), 5.0, submitted)
        assert await broker.submit(forged, keep=600)
        worker = Worker(net, Broker(redis_url, "r5"), FakeScraper(net), name="w", claim_after=1.0)
        stop = asyncio.Event()
        running = asyncio.ensure_future(worker.run(stop))

        async def settled() -> bool:
            return worker.stats.refused >= 1 and await broker.pending("default") == 0

        await until(settled, 60, "the forged job dropped")
        stop.set()
        await running
        pending = await broker.pending("default")
        result = await broker.result("ghost@1")
        await broker.close()
        return worker, pending, result

    worker, pending, result = asyncio.run(main())
    assert pending == 0 and result is None
    assert worker.stats.polled == 0 and worker.stats.dropped == 1
