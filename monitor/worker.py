"""``govnet monitor worker``: take poll jobs from the broker, poll, hand the scrapes back.

A worker loads the same inventory (and secrets) as the scheduler: a job names a device and its
modules, never a credential, so no secret ever travels through Redis. Bound to poller groups
(``--group``, e.g. one per province, run inside that province's network) it takes only their jobs;
bound to none it takes every group's. Jobs that another worker took and did not finish within
``claim_after`` seconds (it died, or lost its network) are claimed and polled here: a job is
acknowledged only after its result is stored, so a dead worker's jobs are never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
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

HEARTBEAT_S = 5.0
#: How often a worker looks for jobs others left unfinished, and for new poller groups.
RECLAIM_EVERY_S = 2.0
#: A job stamped further ahead than this (clocks apart, or forged) counts as too old.
UNKNOWN_JOB_SKEW_S = 300.0


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

    async def _groups(self) -> list[str]:
        return self.bound or await self.broker.job_groups()

    async def run(self, stop: asyncio.Event) -> WorkerStats:
        """Work until ``stop`` is set; in-flight polls finish (and are acknowledged) first."""
        await self.broker.ping()
        groups: list[str] = []
        next_scan = 0.0
        next_beat = 0.0
        down_since: float | None = None
        try:
            while not stop.is_set():
                try:
                    groups, next_scan, next_beat = await self._round(stop, groups, next_scan, next_beat)
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
        return self.stats

    async def _round(
        self, stop: asyncio.Event, groups: list[str], next_scan: float, next_beat: float
    ) -> tuple[list[str], float, float]:
        """One round: heartbeat, claims and group scan when due, then take what fits."""
        now = time.monotonic()
        if now >= next_beat:
            await self.broker.heartbeat(self.name, self.bound, 3 * HEARTBEAT_S)
            next_beat = now + HEARTBEAT_S
        free = self.concurrency - len(self._busy)
        if now >= next_scan:
            groups = await self._groups()
            next_scan = now + RECLAIM_EVERY_S
            if groups and free > 0:
                claimed = await self.broker.reclaim(groups, self.name, self.claim_after, free)
                self.stats.claimed += len(claimed)
                self._start(claimed)
                free -= len(claimed)
        if not groups or free <= 0:
            await self._wait_a_little(stop)
        else:
            self._start(await self.broker.take(groups, self.name, free, block_ms=500))
        return groups, next_scan, next_beat

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

    async def _poll(self, taken: Taken) -> None:
        job = taken.job
        target = self.targets.get(job.device)
        if target is None:
            # Not in this worker's inventory: leave it pending for a worker that has it (claimed
            # after claim_after); never answer for a device this worker knows nothing about. A job
            # that has gone round that long (a device removed from the inventory, or a forged job)
            # is dropped, not claimed back and forth for ever.
            self.stats.refused += 1
            age = time.time() - job.submitted
            if not -UNKNOWN_JOB_SKEW_S <= age <= 3 * self.claim_after:
                with contextlib.suppress(RedisError, OSError):
                    await self.broker.drop(taken)
                    self.stats.dropped += 1
                    self._event(
                        {"event": "dropped", "job": job.id[:80], "why": "device not in the inventory"}
                    )
            return
        if self.on_job is not None:
            self.on_job(taken)
        by_name = {m.name: m for m in target.modules}
        modules = tuple(by_name[m] for m in job.modules if m in by_name) or target.modules
        started = time.perf_counter()
        scrape: Scrape = await self.scraper.scrape(target.target, modules, deadline=job.deadline)
        self.stats.seconds += time.perf_counter() - started
        keep = 3 * target.interval
        try:
            await self.broker.finish(taken, encode_scrape(scrape), keep)
        except (BrokerError, RedisError, OSError):
            return  # not acknowledged: claimed again by a worker that can reach the broker
        self.stats.polled += 1
        self.stats.jobs.append(job.id)
        self._event({"event": "polled", "job": job.id, "device": job.device, "reachable": scrape.reachable})

    def _event(self, event: dict[str, object]) -> None:
        if self.on_event is not None:
            self.on_event({**event, "worker": self.name, "at": time.time()})
