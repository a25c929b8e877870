"""``govnet monitor worker``: take poll jobs from the broker, poll, hand the scrapes back.

A worker loads the same inventory (and secrets) as the scheduler: a job names a device and its
modules, never a credential, so no secret ever travels through Redis. Bound to poller groups
(``--group``, e.g. one per province, run inside that province's network) it takes only their jobs;
bound to none it takes every group's; a job on its groups' streams for a device of another group
(stale or forged Redis content) is refused, never polled. Each worker beats a heartbeat every
second: the jobs pending with a worker whose heartbeat has expired (it died) are claimed by the
others within :data:`HEARTBEAT_TTL_S` plus a scan, and jobs another worker took and did not
finish within ``claim_after`` seconds (alive but stuck) are claimed too: a job is acknowledged
only after its result is stored, so a dead worker's jobs are never lost, and a claimed job whose
result is already stored is acknowledged without polling it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from govnet import aio
from govnet.inventory.network import Network
from govnet.monitor.broker import Broker, BrokerError, Taken, check_name
from govnet.monitor.config import PollTarget, targets_from_inventory
from govnet.monitor.scraper import Scrape, Scraper
from govnet.monitor.scrapewire import encode_scrape

#: How often a worker says it is alive, and how long that lasts: a worker that dies is known dead
#: (its pending jobs claimed) this many seconds after its last heartbeat.
HEARTBEAT_S = 1.0
HEARTBEAT_TTL_S = 4.0
#: How often a worker looks for jobs others left unfinished, and for new poller groups.
RECLAIM_EVERY_S = 1.0
#: A job stamped further ahead than this (clocks apart, or forged) counts as too old.
UNKNOWN_JOB_SKEW_S = 300.0
#: Refused job IDs remembered (so each is logged once), at most.
REFUSED_MEMORY = 10_000

log = logging.getLogger(__name__)


def group_of(network: Network, device: str) -> str:
    """A device's poller group: its district's slug (the unit a poller is placed in)."""
    return network.district_of(device) or "default"


def default_worker_name() -> str:
    """``HOST-PID``: unique per process, readable in ``monitor workers``."""
    host = "".join(c if c.isalnum() or c in "-_." else "-" for c in socket.gethostname())[:40]
    return f"{host or 'worker'}-{os.getpid()}"


@dataclass
class WorkerStats:
    """What a worker did (self-metrics, and what tests check)."""

    polled: int = 0
    claimed: int = 0
    refused: int = 0
    dropped: int = 0
    seconds: float = 0.0
    broker_errors: int = 0
    last_error: str = ""
    jobs: list[str] = field(default_factory=list)


class Worker:
    """Polls the jobs of its groups with ``scraper``, ``concurrency`` at a time."""

    def __init__(
        self,
        network: Network,
        broker: Broker,
        scraper: Scraper,
        *,
        name: str | None = None,
        groups: Sequence[str] = (),
        concurrency: int = 32,
        claim_after: float | None = None,
        targets: Sequence[PollTarget] | None = None,
        on_job: Callable[[Taken], None] | None = None,
        on_event: Callable[[dict[str, object]], None] | None = None,
    ) -> None:
        self.network, self.broker, self.scraper = network, broker, scraper
        self.name = check_name(name or default_worker_name(), "worker")
        self.bound = [check_name(g, "group") for g in groups]
        self.concurrency = concurrency
        self.targets = {t.device: t for t in (targets or targets_from_inventory(network))}
        #: The longest a poll of these devices may take (its deadline).
        self.longest_poll = max(
            (t.target.timeout * (t.target.retries + 1) * 4 for t in self.targets.values()), default=10
        )
        #: A live worker finishes a job within its deadline: claim only well after the longest one.
        self.claim_after = claim_after if claim_after is not None else 2 * self.longest_poll + 5
        self.on_job = on_job
        self.on_event = on_event
        self.stats = WorkerStats()
        self._busy: set[asyncio.Task[None]] = set()
        self._refused: set[str] = set()

    async def _groups(self) -> list[str]:
        return self.bound or await self.broker.job_groups()

    async def run(self, stop: asyncio.Event) -> WorkerStats:
        """Work until ``stop`` is set; in-flight polls finish (and are acknowledged) first."""
        # A broker that does not answer at the start is waited for like one that goes away later.
        beating: asyncio.Future[None] | None = None
        groups: list[str] = []
        next_scan = 0.0
        down_since: float | None = None
        try:
            while not stop.is_set():
                try:
                    if beating is None:
                        await self._beat_once()  # alive before the first job is taken
                        beating = asyncio.ensure_future(self._beat())
                    groups, next_scan = await self._round(stop, groups, next_scan)
                except (RedisError, OSError) as exc:
                    # The broker is away: jobs wait in it, in-flight polls finish; try again soon.
                    self.stats.broker_errors += 1
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"[:200]
                    if down_since is None:
                        down_since = time.time()
                        self._event({"event": "broker_unreachable", "error": self.stats.last_error})
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=1.0)
                    continue
                if down_since is not None:
                    self._event({"event": "broker_back", "after_s": round(time.time() - down_since, 1)})
                    down_since = None
        finally:
            if self._busy:  # polls under way finish within their deadline, then are given up
                _, late = await asyncio.wait(self._busy, timeout=self.longest_poll + 5)
                await aio.cancel_and_wait(*late, timeout=5.0)
            # The heartbeat stops last: in-flight jobs were acknowledged, nothing is left to claim.
            if beating is not None:
                await aio.cancel_and_wait(beating, timeout=5.0)
        return self.stats

    async def _beat_once(self) -> None:
        await self.broker.heartbeat(self.name, self.bound, HEARTBEAT_TTL_S)

    async def _beat(self) -> None:
        """The heartbeat, on its own task: a round waiting on the broker never delays it."""
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            with contextlib.suppress(RedisError, OSError):  # the broker is away: the round says so
                await self._beat_once()

    async def _round(
        self, stop: asyncio.Event, groups: list[str], next_scan: float
    ) -> tuple[list[str], float]:
        """One round: claims and group scan when due, then take what fits."""
        now = time.monotonic()
        free = self.concurrency - len(self._busy)
        if now >= next_scan:
            groups = await self._groups()
            next_scan = now + RECLAIM_EVERY_S
            if groups and free > 0:
                claimed = await self.broker.claim_orphans(groups, self.name, free)
                claimed += await self.broker.reclaim(groups, self.name, self.claim_after, free - len(claimed))
                self.stats.claimed += len(claimed)
                self._start(claimed)
                free -= len(claimed)
        if not groups or free <= 0:
            await self._wait_a_little(stop)
        else:
            self._start(await self.broker.take(groups, self.name, free, block_ms=500))
        return groups, next_scan

    async def _wait_a_little(self, stop: asyncio.Event) -> None:
        # The stop waiter is cancelled, never awaited after: awaiting it under a suppress would
        # swallow this task's own cancellation (a worker cancelled here would then run for ever).
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait([stopping, *self._busy], timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()

    def _start(self, taken: list[Taken]) -> None:
        for item in taken:
            task = asyncio.ensure_future(self._poll(item))
            self._busy.add(task)
            task.add_done_callback(self._busy.discard)

    def _refusal(self, taken: Taken) -> str | None:
        """Why this worker must not poll the job (None: it may)."""
        device = taken.job.device
        if device not in self.targets:
            return "device not in the inventory"
        group = group_of(self.network, device)
        if self.bound and group not in self.bound:
            return f"device of group {group!r}, not one of this worker's"
        if group != taken.group:
            return f"device of group {group!r} on the stream of group {taken.group[:64]!r}"
        return None

    async def _poll(self, taken: Taken) -> None:
        job = taken.job
        why = self._refusal(taken)
        if why is not None:
            await self._refuse(taken, why)
            return
        target = self.targets[job.device]
        if taken.claimed:
            try:
                done = await self.broker.result_stored(job.id)
            except (RedisError, OSError):
                return  # not acknowledged: claimed again once the broker answers
            if done:  # its worker stored the result and died before acknowledging: not polled twice
                with contextlib.suppress(RedisError, OSError):
                    await self.broker.drop(taken)
                return
        if self.on_job is not None:
            self.on_job(taken)
        by_name = {m.name: m for m in target.modules}
        modules = tuple(by_name[m] for m in job.modules if m in by_name) or target.modules
        began, started = time.time(), time.perf_counter()
        scrape: Scrape = await self.scraper.scrape(target.target, modules, deadline=job.deadline)
        self.stats.seconds += time.perf_counter() - started
        keep = 3 * target.interval
        try:
            await self.broker.finish(taken, encode_scrape(scrape), keep)
        except (BrokerError, RedisError, OSError):
            return  # not acknowledged: claimed again by a worker that can reach the broker
        self.stats.polled += 1
        self.stats.jobs.append(job.id)
        self._event(
            {
                "event": "polled",
                "job": job.id,
                "device": job.device,
                "reachable": scrape.reachable,
                "started": began,
                "claimed": taken.claimed,
            }
        )

    async def _refuse(self, taken: Taken, why: str) -> None:
        """Never poll (nor answer for) a job this worker must not do; leave it pending for a worker
        that may (claimed after ``claim_after``), and drop it once it has gone round that long (a
        device removed from the inventory or moved to another group, or a forged job), so it is
        not claimed back and forth for ever."""
        job = taken.job
        self.stats.refused += 1
        if job.id not in self._refused and len(self._refused) < REFUSED_MEMORY:
            self._refused.add(job.id)
            log.warning("poll job refused", extra={"job": job.id[:80], "why": why, "worker": self.name})
        age = time.time() - job.submitted
        if -UNKNOWN_JOB_SKEW_S <= age <= 3 * self.claim_after:
            return
        with contextlib.suppress(RedisError, OSError):
            await self.broker.drop(taken)
            self.stats.dropped += 1
            self._refused.discard(job.id)
            log.warning("poll job dropped", extra={"job": job.id[:80], "why": why, "worker": self.name})
            self._event({"event": "dropped", "job": job.id[:80], "why": why})

    def _event(self, event: dict[str, object]) -> None:
        if self.on_event is not None:
            self.on_event({**event, "worker": self.name, "at": time.time()})
