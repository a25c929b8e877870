"""One round of polling: many targets, bounded concurrency, a deadline per device."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from govnet.monitor.collector import DeviceState, collect
from govnet.monitor.config import DEFAULT_MODULES, Module
from govnet.monitor.scraper import Scraper
from govnet.snmp.target import Target

#: LLDP discovery over SNMP at 330 nodes needed a bound of about 64 to avoid timeouts (LAB-NOTES).
DEFAULT_CONCURRENCY = 64


async def poll_round(
    scraper: Scraper,
    targets: Sequence[Target],
    modules: Sequence[Module] = DEFAULT_MODULES,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    deadline: float | None = None,
) -> list[DeviceState]:
    """Scrape every target once (at most ``concurrency`` at a time); results in target order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(target: Target) -> DeviceState:
        async with gate:
            limit = deadline if deadline is not None else target.timeout * (target.retries + 1) * 4
            return collect(await scraper.scrape(target, modules, deadline=limit))

    return list(await asyncio.gather(*(one(t) for t in targets)))
