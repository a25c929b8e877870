"""What ``monitor run --redis`` and ``monitor worker`` do, below the command line's options."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import Callable, Sequence

from govnet import aio
from govnet.inventory.network import Network
from govnet.monitor.broker import Broker, mask_redis_url
from govnet.monitor.engine import CycleReport
from govnet.monitor.failover import lead_or_wait
from govnet.monitor.notify.notifier import Notifier
from govnet.monitor.runner import RunOptions
from govnet.monitor.scraper import SnmpScraper
from govnet.monitor.store import Store
from govnet.monitor.worker import Worker, default_worker_name


def _stamp(text: str) -> str:
    return f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}"


def run_leader(
    network: Network,
    store: Store,
    options: RunOptions,
    url: str,
    namespace: str,
    ttl: float,
    on_tick: Callable[[CycleReport], None],
    say: Callable[[str], None],
    events: bool = False,
    notifier: Notifier | None = None,
) -> None:
    """Stand by or lead (see :mod:`govnet.monitor.failover`) until a signal or ``duration``."""
    owner = default_worker_name()

    async def main() -> None:
        broker = Broker(url, namespace)
        stop = asyncio.Event()
        _on_signals(stop)
        if options.duration is not None:
            asyncio.get_running_loop().call_later(options.duration, stop.set)
        say(_stamp(f"monitor: {owner} on Redis {mask_redis_url(url)}, namespace {namespace}"))
        try:

            def state(text: str) -> None:
                say(_stamp(text))
                if events:
                    doc = {"event": "leader_state", "owner": owner, "text": text, "at": time.time()}
                    print(json.dumps(doc), flush=True)

            await lead_or_wait(
                network,
                store,
                options,
                broker,
                owner,
                stop,
                ttl=ttl,
                on_state=state,
                notifier=notifier,
                on_tick=on_tick,
            )
        finally:
            await broker.close()

    aio.run(main())


def run_worker(
    network: Network,
    url: str,
    namespace: str,
    groups: Sequence[str],
    name: str | None,
    concurrency: int,
    duration: float | None,
    claim_after: float | None = None,
    events: bool = False,
) -> None:
    """Poll the jobs of ``groups`` (all when empty) until a signal or ``duration``."""

    async def main() -> None:
        broker = Broker(url, namespace)
        scraper = SnmpScraper()

        def event(doc: dict[str, object]) -> None:
            if events:
                print(json.dumps(doc, ensure_ascii=False), flush=True)
            elif doc["event"] != "polled":
                print(
                    _stamp(
                        f"worker {doc['worker']}: {doc['event']} {doc.get('error', doc.get('after_s', ''))}"
                    )
                )

        worker = Worker(
            network,
            broker,
            scraper,
            name=name,
            groups=groups,
            concurrency=concurrency,
            claim_after=claim_after,
            on_event=event,
        )
        stop = asyncio.Event()
        _on_signals(stop)
        if duration is not None:
            asyncio.get_running_loop().call_later(duration, stop.set)
        print(
            _stamp(
                f"worker {worker.name}: groups {', '.join(worker.bound) or 'all'}, "
                f"Redis {mask_redis_url(url)}"
            ),
            flush=True,
        )
        try:
            stats = await worker.run(stop)
        finally:
            scraper.close()
            await broker.close()
        print(
            _stamp(f"worker {worker.name}: {stats.polled} polls ({stats.claimed} claimed from others)"),
            flush=True,
        )

    aio.run(main())


def _on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
