"""The scheduler's side of distributed polling: a :class:`Scraper` that hands polls to workers.

The engine (:class:`govnet.monitor.engine.Monitor`) keeps its schedule, state and correlation
exactly as in one process; only its scraper changes. Each scrape becomes a job on the broker,
named ``DEVICE@CYCLE`` (the engine's own cycle numbers, from the wall clock, the same in any
process), so a scheduler that takes over mid-cycle re-submits nothing a worker already did: it
finds the result stored, or waits for the job already queued. A confirmation poll (after a trap)
is ``DEVICE@cTIMESTAMP``: always a fresh poll.

A scrape waits for its result as long as it takes: when no worker is alive, a device's poll stays
in flight (its state is not changed, never guessed) and :attr:`QueueScraper.waiting` says how
many polls wait and since when; the leader reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence

from redis.exceptions import RedisError, ResponseError

from govnet import aio
from govnet.inventory.network import Network
from govnet.monitor.broker import Broker, Job
from govnet.monitor.config import DEFAULT_MODULES, Module, PollTarget
from govnet.monitor.scraper import CURRENT_POLL, Scrape
from govnet.monitor.scrapewire import ScrapeWireError, decode_scrape
from govnet.monitor.worker import group_of
from govnet.snmp.client import Target

#: How often a waiting poll checks that Redis still knows its job.
RECHECK_S = 30.0


class QueueScraper:
    """Scrapes through the broker's workers (see the module's docstring)."""

    def __init__(self, network: Network, broker: Broker, targets: Sequence[PollTarget]) -> None:
        self.broker = broker
        self.by_host = {t.target.host: t for t in targets}
        self.group = {t.device: group_of(network, t.device) for t in targets}
        self._futures: dict[str, asyncio.Future[Scrape]] = {}
        self._since: dict[str, float] = {}
        self._reader: asyncio.Task[None] | None = None
        self._closed = False
        self.submitted = 0
        self.reused = 0
        self.bad_results = 0
        self.resubmitted = 0
        self.recheck_s = RECHECK_S

    @property
    def waiting(self) -> tuple[int, float | None]:
        """How many polls wait for a worker, and since when the oldest has waited."""
        return len(self._futures), min(self._since.values(), default=None)

    async def start(self) -> None:
        """Follow the results stream (from now: older results are read by key)."""
        last = await self.broker.results_tail()
        self._reader = asyncio.ensure_future(self._follow(last))

    def stop(self) -> None:
        """Stop scraping: every poll waiting for a worker ends now (cancelled), and no poll
        retries against the broker any more."""
        self._closed = True
        for future in self._futures.values():
            future.cancel()

    async def close(self) -> None:
        """:meth:`stop`, and stop following the results (within a few seconds, whatever happens)."""
        self.stop()
        if self._reader is not None:
            await aio.cancel_and_wait(self._reader, timeout=5.0)

    async def _follow(self, last: str) -> None:
        while True:
            try:
                last, ids = await self.broker.results_after(last, block_ms=1000)
            except (RedisError, OSError):
                await asyncio.sleep(1.0)  # the broker is away: the results wait in the stream
                continue
            for job_id in ids:
                if job_id in self._futures:
                    # The broker went away between the two reads: the waiting poll reads the
                    # result by its key at its next check. The follower itself must never die.
                    with contextlib.suppress(RedisError, OSError):
                        await self._resolve(job_id)

    async def _resolve(self, job_id: str) -> None:
        """Settle the poll of ``job_id`` if its result is stored (a malformed one: a bad result)."""
        future = self._futures.get(job_id)
        if future is None or future.done():
            return
        problem = None
        try:
            payload = await self.broker.result(job_id)
        except ResponseError as exc:
            if "WRONGTYPE" not in str(exc):
                raise
            payload, problem = None, "the result's key holds no result (WRONGTYPE)"
        if payload is not None:
            try:
                scrape = decode_scrape(payload)
            except ScrapeWireError as exc:
                problem = exc.message
        if problem is not None:
            self.bad_results += 1
            scrape = Scrape("?", error=None)
            scrape.warn("broker", problem)
        elif payload is None:
            return
        if not future.done():  # the stream and the scrape itself may both have fetched it
            future.set_result(scrape)

    async def _wait(self, job: Job, future: asyncio.Future[Scrape], keep: float) -> Scrape:
        """The result, however long it takes; re-submitted only if Redis lost both the job and
        its result (a restart without persistence): a job Redis still holds is never doubled."""
        # The de-duplication key lives ``keep`` seconds; while the job waits in the stream (no
        # worker) it is kept alive here, or its expiry would read as "lost" and double the job.
        every = min(self.recheck_s, keep / 3)
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(future), timeout=every)
            except TimeoutError:
                pass
            try:
                await self._resolve(job.id)  # a result whose notice the follower missed
                if future.done():
                    continue
                known = await self.broker.touch_job(job.id, keep)
                lost = not known and await self.broker.result(job.id) is None
                if lost and not future.done():
                    self.resubmitted += 1
                    await self.broker.submit(job, keep)
            except (RedisError, OSError):
                if self._closed:
                    raise asyncio.CancelledError from None  # stopping: the poll is abandoned
                continue  # the broker is away: keep waiting

    async def scrape(
        self, target: Target, modules: Sequence[Module] = DEFAULT_MODULES, deadline: float | None = None
    ) -> Scrape:
        poll = self.by_host[target.host]
        device, cycle = CURRENT_POLL.get() or (poll.device, -1)
        now = time.time()
        job_id = f"{device}@{cycle}" if cycle >= 0 else f"{device}@c{int(now * 1000)}"
        job = Job(
            job_id,
            device,
            self.group[device],
            tuple(m.name for m in modules),
            deadline or target.timeout * (target.retries + 1) * 4,
            now,
        )
        if self._closed:
            raise asyncio.CancelledError  # a poll started while stopping: abandoned
        future: asyncio.Future[Scrape] = asyncio.get_running_loop().create_future()
        self._futures[job_id] = future
        self._since[job_id] = now
        try:
            while True:
                try:
                    if await self.broker.submit(job, keep=3 * poll.interval):
                        self.submitted += 1
                    else:
                        self.reused += 1  # queued (or done) by an earlier leader for this same cycle
                    await self._resolve(job_id)  # a result stored before we followed the stream
                    break
                except (RedisError, OSError):
                    if self._closed:
                        raise asyncio.CancelledError from None  # stopping: the poll is abandoned
                    await asyncio.sleep(1.0)  # the broker is away: the poll waits, nothing is guessed
            scrape = await self._wait(job, future, 3 * poll.interval)
        finally:
            self._futures.pop(job_id, None)
            self._since.pop(job_id, None)
        if scrape.host == "?":
            scrape.host = target.host
        return scrape
