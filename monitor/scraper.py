"""The scraper: one device's SNMP exchanges for a set of modules, under a deadline.

:class:`SnmpScraper` talks to real agents through :mod:`govnet.snmp`; :class:`FakeScraper`
replays recorded varbinds, so the collector and alerting are unit-tested without a network.
A scrape never raises for a device problem: an agent that times out, answers garbage or is too
slow gives a :class:`Scrape` with ``error`` set, and the poller goes on with the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from govnet.errors import GovnetError
from govnet.snmp.ber import VarBind
from govnet.snmp.client import Session, Target, open_session
from monitor.config import DEFAULT_MODULES, Module


@dataclass
class Scrape:
    """What one device answered: scalars and columns by OID, or why it did not."""

    host: str
    scalars: dict[str, VarBind] = field(default_factory=dict)
    columns: dict[str, list[VarBind]] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    varbinds: int = 0

    @property
    def reachable(self) -> bool:
        """The agent answered (at least sysUpTime)."""
        return self.error is None


class Scraper(Protocol):
    """Anything that can scrape one target."""

    async def scrape(
        self, target: Target, modules: Sequence[Module] = DEFAULT_MODULES, deadline: float | None = None
    ) -> Scrape:
        """Scrape ``target`` within ``deadline`` seconds."""
        ...


class SnmpScraper:
    """Scrapes real agents (fast v2c path, pysnmp for v3)."""

    def __init__(self, engine: Literal["auto", "fast", "pysnmp"] = "auto") -> None:
        self.engine: Literal["auto", "fast", "pysnmp"] = engine

    async def scrape(
        self, target: Target, modules: Sequence[Module] = DEFAULT_MODULES, deadline: float | None = None
    ) -> Scrape:
        """Scrape one target; errors end up in :attr:`Scrape.error`."""
        result = Scrape(target.host)
        start = time.perf_counter()
        session = open_session(target, engine=self.engine)
        try:
            await asyncio.wait_for(self._run(session, modules, result), deadline)
        except TimeoutError:
            result.error = f"no complete answer within the {deadline:g} s deadline"
        except GovnetError as exc:
            result.error = exc.message
        except (OSError, ValueError) as exc:  # garbage from the agent, socket trouble
            result.error = f"{type(exc).__name__}: {exc}"
        finally:
            await session.close()
            result.seconds = time.perf_counter() - start
        result.varbinds = len(result.scalars) + sum(len(v) for v in result.columns.values())
        return result

    @staticmethod
    async def _run(session: Session, modules: Sequence[Module], result: Scrape) -> None:
        scalars = [oid for m in modules for oid in m.scalars]
        if scalars:
            for vb in await session.get(scalars):
                result.scalars[vb.oid] = vb
        columns = [oid for m in modules for oid in m.columns]
        if columns:
            result.columns.update(await session.walk_columns(columns))


class FakeScraper:
    """Replays recorded scrapes by host (a missing host times out), for unit tests."""

    def __init__(self, recorded: Mapping[str, Scrape]) -> None:
        self.recorded = dict(recorded)
        self.calls: list[str] = []

    async def scrape(
        self, target: Target, modules: Sequence[Module] = DEFAULT_MODULES, deadline: float | None = None
    ) -> Scrape:
        """The recorded scrape of ``target.host``."""
        self.calls.append(target.host)
        found = self.recorded.get(target.host)
        if found is None:
            return Scrape(target.host, error=f"{target.host}: no answer (fake)")
        return found
