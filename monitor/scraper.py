"""The scraper: one device's SNMP exchanges for a set of modules, under a deadline.

:class:`SnmpScraper` talks to real agents through :mod:`govnet.snmp`; its test double,
:class:`govnet.monitor.fake.FakeScraper`, answers for an inventory's devices or replays recorded
scrapes, so the collector and alerting are unit-tested without a network.
A scrape never raises for a device problem. Reachability means one thing: the agent answered.
An agent that never answers (silence, or a socket error such as the ICMP port-unreachable of a
port nothing listens on) gives a :class:`Scrape` with ``error`` set (unreachable); an agent that
answered but failed a module (a timeout half-way, an unsorted table, a malformed or unexpected
answer, datagrams govnet cannot read at all, an error-status) gives a reachable :class:`Scrape`
with a warning on that module naming what was wrong, and what it did read. Modules are polled one
after the other, each in requests of its own. Every text a scrape records is cut to
:data:`TEXT_LIMIT` characters with control characters escaped (:func:`clean`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from govnet.errors import GovnetError
from govnet.monitor.config import DEFAULT_MODULES, Module
from govnet.snmp.ber import VarBind
from govnet.snmp.client import (
    Session,
    SnmpAgentError,
    SnmpTimeoutError,
    SnmpUnreadableError,
    open_session,
)
from govnet.snmp.target import Target
from govnet.snmp.walk import ColumnWalk, ScalarGet

log = logging.getLogger("govnet.monitor.scraper")

#: The longest text a scrape records for one error or warning (an agent's answer can be long).
TEXT_LIMIT = 300


def clean(text: str, limit: int = TEXT_LIMIT) -> str:
    r"""A text for a poll record: control characters escaped, at most ``limit`` characters.

    >>> clean("bad\x00value\n"), clean("x" * 10, 6)
    ('bad\\x00value\\n', 'xxxxx…')
    """
    out = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


@dataclass
class Scrape:
    """What one device answered: scalars and columns by OID, or why it did not.

    ``error`` is set only when the agent never answered; ``warnings`` maps a module's name to
    what went wrong in it (the module's data is then partial or missing, the device reachable).
    """

    host: str
    scalars: dict[str, VarBind] = field(default_factory=dict)
    columns: dict[str, list[VarBind]] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    varbinds: int = 0
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def reachable(self) -> bool:
        """The agent answered (anything at all)."""
        return self.error is None

    def warn(self, module: str, text: str) -> None:
        """Note what went wrong in ``module`` (see :func:`clean`)."""
        self.warnings.setdefault(module, []).append(clean(text))


#: The poll a scrape belongs to, as the engine schedules it: (device, cycle), cycle -1 for a
#: confirmation poll outside the schedule. Set by the engine around each scrape; a scraper that
#: hands polls to other machines (:class:`govnet.monitor.remote.QueueScraper`) names its jobs by it.
CURRENT_POLL: ContextVar[tuple[str, int] | None] = ContextVar("govnet_current_poll", default=None)


class Scraper(Protocol):
    """Anything that can scrape one target."""

    async def scrape(
        self, target: Target, modules: Sequence[Module] = DEFAULT_MODULES, deadline: float | None = None
    ) -> Scrape:
        """Scrape ``target`` within ``deadline`` seconds."""
        ...


ENGINES = ("auto", "fast", "pysnmp")


def engine_from_environment() -> Literal["auto", "fast", "pysnmp"]:
    """``GOVNET_SNMP_ENGINE`` (auto, fast or pysnmp; auto when unset): how pollers speak SNMP."""
    value = os.environ.get("GOVNET_SNMP_ENGINE", "").strip().lower() or "auto"
    if value == "fast":
        return "fast"
    if value == "pysnmp":
        return "pysnmp"
    if value != "auto":
        raise GovnetError(
            f"GOVNET_SNMP_ENGINE is {value[:40]!r}, not one of {', '.join(ENGINES)}",
            hint="unset it (auto: govnet's own codec for v2c and v3) or set it to pysnmp",
        )
    return "auto"


class SnmpScraper:
    """Scrapes real agents: govnet's own codec for v2c and v3 (``auto``/``fast``), or pysnmp.

    The fast v3 path keeps agents' clocks and keys in :data:`govnet.snmp.v3state.DEFAULT_CACHE` and
    rediscovers an agent after a timeout; ``engine="pysnmp"`` keeps pysnmp (also for v3).
    """

    def __init__(self, engine: Literal["auto", "fast", "pysnmp"] | None = None) -> None:
        self.engine: Literal["auto", "fast", "pysnmp"] = engine or engine_from_environment()
        #: With engine "pysnmp": one pysnmp engine per credential, shared by every poll that uses
        #: it (an engine costs ~70 ms of CPU to build; one per credential keeps users with the
        #: same name apart).
        self._snmp_engines: dict[tuple[object, ...], Any] = {}
        #: A host that answered and then failed gets a brand-new engine of its own for its next
        #: poll (once per outage, not on every poll of a dead device). An engine remembers each
        #: agent's v3 identity and clock (snmpEngineID, Boots, Time); an agent replaced or reset
        #: at the same address can look like a replay to it, while a fresh engine starts over.
        self._own: dict[str, Any] = {}
        self._renew: set[str] = set()
        self._answered: set[str] = set()
        #: (host, module) whose tables were empty at the last poll (no LLDP agent, no sensors): the
        #: next walk's first request asks for one row, not a full request of whatever follows.
        self._empty: set[tuple[str, str]] = set()

    def _snmp_engine(self, target: Target) -> Any:
        if self.engine != "pysnmp":
            return None
        from pysnmp.hlapi.v3arch import asyncio as hl  # noqa: PLC0415  (pysnmp: engine="pysnmp" only)

        if target.host in self._renew:
            self._renew.discard(target.host)
            old = self._own.pop(target.host, None)
            if old is not None:
                old.close_dispatcher()
            self._own[target.host] = hl.SnmpEngine()
        if target.host in self._own:
            return self._own[target.host]
        secret = [s.get_secret_value() if s is not None else None for s in (target.auth_key, target.priv_key)]
        key = (target.version, target.user, target.auth_protocol, target.priv_protocol, *secret)
        if key not in self._snmp_engines:
            self._snmp_engines[key] = hl.SnmpEngine()
        return self._snmp_engines[key]

    def close(self) -> None:
        """Close the shared pysnmp engines' sockets."""
        for snmp_engine in (*self._snmp_engines.values(), *self._own.values()):
            snmp_engine.close_dispatcher()
        self._snmp_engines.clear()
        self._own.clear()

    async def scrape(
        self, target: Target, modules: Sequence[Module] = DEFAULT_MODULES, deadline: float | None = None
    ) -> Scrape:
        """Scrape one target: :attr:`Scrape.error` if it never answered, module warnings if it did."""
        result = Scrape(target.host)
        start = time.perf_counter()
        snmp_engine = self._snmp_engine(target)
        session = open_session(target, engine=self.engine, snmp_engine=snmp_engine)
        progress = _Progress()
        try:
            await asyncio.wait_for(self._run(session, modules, result, progress, self._empty), deadline)
        except TimeoutError:
            problem = f"no complete answer within the {deadline:g} s deadline"
            self._unfinished(result, modules, progress, problem)
        except GovnetError as exc:
            self._unfinished(result, modules, progress, exc.message)
        except OSError as exc:  # the socket's trouble, not an answer: no sign the agent is there
            self._unfinished(result, modules, progress, f"socket error: {exc}")
        except Exception as exc:  # a fault of govnet's own reading an answer: one device's poll only
            log.exception("polling %s failed inside govnet", target.host)
            problem = f"govnet failed reading the answer ({type(exc).__name__}: {exc})"
            self._unfinished(result, modules, progress, problem)
        finally:
            await session.close()
            result.seconds = time.perf_counter() - start
        if snmp_engine is not None:
            if result.error is None:
                self._answered.add(target.host)
            elif target.host in self._answered:
                self._answered.discard(target.host)
                self._renew.add(target.host)
        result.varbinds = len(result.scalars) + sum(len(v) for v in result.columns.values())
        return result

    @staticmethod
    def _unfinished(result: Scrape, modules: Sequence[Module], progress: _Progress, problem: str) -> None:
        """The poll stopped at ``progress.current``: a warning if the agent had answered, else an error."""
        if not progress.answered:
            result.error = clean(problem)
            return
        names = [m.name for m in modules]
        at = names.index(progress.current) if progress.current in names else len(names)
        for name in names[at:]:
            result.warn(name, problem if name == progress.current else f"not polled: {problem}")

    @staticmethod
    async def _run(
        session: Session,
        modules: Sequence[Module],
        result: Scrape,
        progress: _Progress,
        empty: set[tuple[str, str]],
    ) -> None:
        for module in modules:
            progress.current = module.name
            if module.scalars:
                try:
                    got = await session.get(list(module.scalars))
                except SnmpUnreadableError:
                    progress.answered = True  # it answers, nothing readable: ask it nothing more
                    raise
                except SnmpAgentError as exc:
                    progress.answered = True
                    result.warn(module.name, exc.message)
                except SnmpTimeoutError as exc:
                    if not progress.answered:
                        raise  # silent from the first request on: unreachable
                    result.warn(module.name, exc.message)
                else:
                    progress.answered = progress.answered or not isinstance(got, ScalarGet) or got.answers > 0
                    for vb in got:
                        result.scalars[vb.oid] = vb
                    for text in got.warnings if isinstance(got, ScalarGet) else ():
                        result.warn(module.name, text)
            if module.columns:
                tables = (result.host, module.name)
                try:
                    walked = await session.walk_columns(
                        list(module.columns), first_rows=1 if tables in empty else None
                    )
                except SnmpUnreadableError:
                    progress.answered = True
                    raise
                except SnmpAgentError as exc:
                    progress.answered = True
                    result.warn(module.name, exc.message)
                except SnmpTimeoutError as exc:
                    if not progress.answered:
                        raise
                    result.warn(module.name, exc.message)
                else:
                    progress.answered = True
                    if any(walked.values()):
                        empty.discard(tables)
                    else:
                        empty.add(tables)
                    result.columns.update(walked)
                    for text in walked.warnings if isinstance(walked, ColumnWalk) else ():
                        result.warn(module.name, text)
        progress.current = None


@dataclass
class _Progress:
    """How far one scrape got: whether the agent answered anything, and the module under way."""

    answered: bool = False
    current: str | None = None
