"""The scheduler/correlator with a lease: one leader among any number of ``monitor run --redis``.

Each candidate tries to take the lease (``NS:lease``, ``SET NX PX``); the one that holds it runs the
monitor (schedule, traps, correlation, store) with a :class:`~govnet.monitor.remote.QueueScraper`,
so its polls go to the workers, and renews the lease every third of its time to live. A standby
reads how long the lease has left to live and tries again the moment it expires. When the leader
dies its lease expires at most ``ttl`` after its last renewal, and a standby takes over then; only
the leader binds the trap port, so traps follow the lease. A leader that cannot renew (lost the
broker, or was too slow) stops leading at once, before its lease can have passed to another, so
two leaders never correlate at the same time (their writes are also idempotent: states are
written only when they change).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace

from redis.exceptions import RedisError

from govnet import aio
from govnet.inventory.network import Network
from govnet.monitor.broker import Broker
from govnet.monitor.engine import CycleReport, Monitor
from govnet.monitor.notify.notifier import Notifier
from govnet.monitor.remote import QueueScraper
from govnet.monitor.runner import RunOptions, poll_targets, run_monitor
from govnet.monitor.store import Store

DEFAULT_TTL_S = 15.0


async def _renew(broker: Broker, owner: str, ttl: float, lost: asyncio.Event, failed: list[float]) -> None:
    """Renew every ttl/3; on a refusal or an error, say the lease is lost (and stop renewing). An
    error's time goes to ``failed``: the broker's outage is counted from it."""
    while True:
        await asyncio.sleep(ttl / 3)
        try:
            held = await asyncio.wait_for(broker.renew_lease(owner, ttl), timeout=ttl / 3)
        except (RedisError, OSError, TimeoutError):
            failed.append(time.time())
            held = False
        if not held:
            lost.set()
            return


async def lead_or_wait(
    network: Network,
    store: Store,
    options: RunOptions,
    broker: Broker,
    owner: str,
    stop: asyncio.Event,
    *,
    ttl: float = DEFAULT_TTL_S,
    on_state: Callable[[str], None] | None = None,
    on_tick: Callable[[CycleReport], None] | None = None,
    on_ready: Callable[[Monitor], None] | None = None,
    notifier: Notifier | None = None,
) -> int:
    """Stand by, lead when the lease is free, until ``stop``. Returns how many times it led.
    A broker that does not answer (at the start or later) is waited for, and said so."""
    # The leader's polls are jobs waiting in Redis, not sockets: every device may be in flight (the
    # workers' own --concurrency bounds the SNMP side).
    targets = poll_targets(network, options)
    # Only the leader listens for traps; one taking over waits for the port while the leader
    # before it (on this machine, or holding the same virtual address) still steps down.
    options = replace(options, concurrency=max(options.concurrency, len(targets)), trap_wait=True)
    led = 0
    say = on_state or (lambda _text: None)
    down_since: float | None = None
    seen_holder: str | None = None
    while not stop.is_set():
        try:
            got = await broker.acquire_lease(owner, ttl)
            if down_since is not None:
                say(f"broker back after {time.time() - down_since:.0f} s")
                down_since = None
        except (RedisError, OSError) as exc:
            got = False
            if down_since is None:
                down_since = time.time()
                say(f"broker unreachable: {type(exc).__name__}; polls wait, states are kept as they were")
        if not got:
            holder = await _holder(broker)
            if holder != seen_holder and down_since is None:
                say(f"standby: {holder or 'nobody'} holds the lease")
                seen_holder = holder
            await aio.first_of(stop, timeout=await _until_expiry(broker, ttl))
            continue
        seen_holder = None
        led += 1
        say(f"leader: {owner} holds the lease")
        lost = asyncio.Event()
        leading = asyncio.Event()
        failed: list[float] = []
        renewer = asyncio.ensure_future(_renew(broker, owner, ttl, lost, failed))
        scraper = QueueScraper(network, broker, targets)
        await scraper.start()
        watcher = asyncio.ensure_future(_lead_until(stop, lost, leading, scraper))
        watchdog = asyncio.ensure_future(_watch_workers(broker, scraper, say))
        try:
            await run_monitor(
                network,
                store,
                options,
                on_tick=on_tick,
                on_ready=on_ready,
                stop=leading,
                scraper=scraper,
                notifier=notifier,  # only the leader tells people: one message per event
            )
        finally:
            # Stepping down is bounded: a leader that cannot finish in seconds must not hold on.
            await aio.cancel_and_wait(renewer, watcher, watchdog, timeout=5.0)
            await scraper.close()
            if not lost.is_set():
                with contextlib.suppress(RedisError, OSError, TimeoutError):
                    await asyncio.wait_for(broker.release_lease(owner), timeout=5.0)
        if lost.is_set():
            say(f"lost the lease: {owner} stops leading")
            if failed and down_since is None:
                down_since = failed[0]
                say("broker unreachable: renewing the lease failed; polls wait, states are kept as they were")
        else:  # stopped by a signal (run_monitor's handlers), ``duration`` or ``stop``: done
            stop.set()
    return led


#: Polls waiting longer than this for a worker are reported (once a minute while it lasts).
STALL_S = 60.0


async def _watch_workers(broker: Broker, scraper: QueueScraper, say: Callable[[str], None]) -> None:
    """Say when polls wait for workers: the states shown are then older than they look."""
    while True:
        await asyncio.sleep(STALL_S / 4)
        count, since = scraper.waiting
        if since is None or time.time() - since < STALL_S:
            continue
        try:
            alive = len(await broker.workers())
        except (RedisError, OSError):
            alive = -1
        workers = "unknown (the broker does not answer)" if alive < 0 else str(alive)
        say(
            f"warning: {count} polls wait for a worker, the oldest for {time.time() - since:.0f} s; "
            f"live workers: {workers}"
        )
        await asyncio.sleep(STALL_S)


#: A standby wakes this long after the lease's expiry (its own clock and Redis's differ by a
#: round trip), and looks again at least every ``ttl``.
EXPIRY_MARGIN_S = 0.02


async def _until_expiry(broker: Broker, ttl: float) -> float:
    """Seconds a standby waits before trying the lease again: until it expires, at most ``ttl``
    (a holder that renews pushes it back; then it waits again), a third of it when unknown."""
    try:
        left = await broker.lease_left()
    except (RedisError, OSError):
        return ttl / 3  # the broker is away: try again (and say so) soon
    if left is None:
        return ttl / 3
    return min(ttl, left + EXPIRY_MARGIN_S)


async def _holder(broker: Broker) -> str | None:
    try:
        return await broker.lease_holder()
    except (RedisError, OSError):
        return None


async def _lead_until(
    stop: asyncio.Event, lost: asyncio.Event, leading: asyncio.Event, scraper: QueueScraper
) -> None:
    """Stop leading once told to stop or the lease is lost: the polls waiting for workers end
    at once, then ``leading`` (the monitor's stop) is set."""
    await aio.first_of(stop, lost)
    scraper.stop()
    leading.set()
