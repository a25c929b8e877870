"""The monitoring loop: poll on schedule, take traps, derive link state, fold faults into incidents.

The schedule is :mod:`govnet.monitor.schedule`'s, link state :mod:`govnet.monitor.linkstate`'s. A
linkDown/linkUp trap changes the link's state at once (source ``trap``) and schedules a
confirmation poll of both ends, as does a link change found by one end's poll; incidents are
(re)computed only from a *settled* snapshot, one in which no device awaits its confirmation poll.
A device whose poll fails is polled again at once, and written unreachable only if that poll
fails too: one lost answer is not an outage.
So a hub that dies gives one node incident, not a burst of link incidents from its neighbours'
traps or polls followed by a node incident. A flapping link counts as down for its incident (held
open, marked flapping, until stable for the flap window); the agencies' availability follows the
link's real state. Only up ↔ down changes are flaps: a change from or to ``unknown`` (nobody
answers; a restarted monitor before its first polls) is not.

The engine's cost follows changes, not the network: the states of devices and links are kept in
memory (read once from the store at start), the store is written only with what changed (in
batches), and correlation and the endpoints' reachability run on the in-memory graph only when a
state (or the set of flapping links) changed — a tick where nothing happened touches neither the
store nor the graph. One process correlates: the single ``monitor run``, or the leader among the
``monitor run --redis`` candidates (its polls done by workers, see :mod:`govnet.monitor.failover`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from govnet import aio
from govnet.inventory.network import Network
from govnet.monitor.alerts import AlertChange, AlertEngine, FlapDetector
from govnet.monitor.collector import DeviceState, collect
from govnet.monitor.config import Module, PollTarget
from govnet.monitor.coverage import Coverage
from govnet.monitor.events import CycleLog
from govnet.monitor.incidents import correlate, reachable_from_core
from govnet.monitor.linkstate import TRAP_HOLD_S, LinkState
from govnet.monitor.pollfacts import PollAlerts, device_detail, gauges, rx_levels
from govnet.monitor.pollfacts import samples as poll_samples
from govnet.monitor.rates import Rates, RateTracker
from govnet.monitor.schedule import Schedule
from govnet.monitor.scraper import CURRENT_POLL, Scrape, Scraper, clean
from govnet.monitor.series import SeriesSink
from govnet.monitor.spool import SpoolingStore
from govnet.monitor.store import Change, PollRecord, StateUpdate, Store, StoreError
from govnet.monitor.traps import LinkMap, TrapEvent
from govnet.topology.graph import endpoints_by_device

log = logging.getLogger("govnet.monitor.engine")

__all__ = ["TICK_WAIT_S", "TRAP_HOLD_S", "CycleReport", "Monitor", "Polled"]

#: How long a tick waits for polls under way before writing what it has (the rest come later).
TICK_WAIT_S = 1.0
#: What the poll records' ``shard`` column holds (a column kept from the static shards the work
#: queue replaced: every poll is this one process's, or its workers').
POLLER = "1/1"
#: No poll back for this many of the longest interval (workers or broker gone, agents' answers
#: lost): the leader stops counting as watching (coverage.py) until every device answers again.
STALL_INTERVALS = 3.0


@dataclass
class CycleReport:
    """What one tick of the loop did (for the live view and tests)."""

    at: float
    polled: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)  # open incidents whose detail changed
    closed: list[int] = field(default_factory=list)
    alerts: list[AlertChange] = field(default_factory=list)
    settled: bool = True


@dataclass(frozen=True)
class Polled:
    """One finished poll: when it started (what its answer is as old as), what it found, its cost."""

    device: str
    cycle: int  # -1 for a confirmation poll outside the schedule
    started: float
    state: DeviceState
    seconds: float
    varbinds: int


class Monitor:
    """Poller + trap handling + correlation over one inventory, writing to one store."""

    def __init__(
        self,
        network: Network,
        store: Store,
        scraper: Scraper,
        targets: Sequence[PollTarget],
        *,
        modules: Sequence[Module] | None = None,
        concurrency: int = 64,
        clock: Callable[[], float] = time.time,
        flaps: FlapDetector | None = None,
        alerts: AlertEngine | None = None,
    ) -> None:
        self.network, self.scraper = network, scraper
        # A write the store refuses (a full disk) is kept in memory, never raised: see spool.py.
        self.store = store if isinstance(store, SpoolingStore) else SpoolingStore(store)
        self.targets = {t.device: t for t in targets}
        #: When the monitor was running with a complete view (see coverage.py): what availability
        #: counts as monitored time.
        self.coverage = Coverage(self.store)
        self._stall_s = STALL_INTERVALS * max((t.interval for t in self.targets.values()), default=60.0)
        #: When the last poll came back, and since when polls count again (after a stall).
        self._last_answer: float | None = None
        self._fresh_after = float("-inf")
        self.modules = modules  # None: each target's own (by device class)
        self.concurrency, self.clock = concurrency, clock
        self.schedule = Schedule(self.targets)
        self.links = LinkState(network, self.targets)
        self.linkmap = LinkMap(network)
        self.rates = RateTracker()
        self.flaps = flaps or FlapDetector()
        self.alerts = alerts or AlertEngine()
        #: Where interface samples go when not to the SQL store (a time-series database).
        self.series: SeriesSink | None = None
        self.last: dict[str, DeviceState] = {}
        self.last_rates: dict[str, dict[str, Rates]] = {}
        self.polled_at: dict[str, float] = {}
        #: Devices whose last poll failed and that await a second one before they count as
        #: unreachable, with when the failure came back.
        self.doubted: dict[str, float] = {}
        #: Polls under way: a slow agent holds up only itself, never the others' schedule.
        self.inflight: dict[str, asyncio.Task[Polled]] = {}
        self.wake = asyncio.Event()
        self._semaphore: asyncio.Semaphore | None = None
        self._endpoints = endpoints_by_device(network)
        #: Since when the snapshot has not been settled (None: settled).
        self.unsettled_since: float | None = None
        #: Endpoint states as last written by this process (only changes are written).
        self.endpoint_states: dict[str, str] = {}
        self._link_of_port = {
            (end_dev, end_if): lk.id
            for lk in network.links
            for end_dev, end_if in ((lk.a_device, lk.a_interface), (lk.b_device, lk.b_interface))
        }
        self.poll_alerts = PollAlerts(self.alerts, self._link_of_port)
        # The view of every device and link (read once, then this process's own writes): what
        # correlation and the endpoints are worked out from.
        self.states: dict[tuple[str, str], str] = {}
        self.links_down: set[str] = set()
        self.silent: set[str] = set()
        self._observe(
            Change(r.since, r.kind, r.name, None, r.state, "") for r in self.store.current(detail=False)
        )
        self._correlate_due = True  # the first settled tick reconciles the stored incidents
        self._endpoints_due = True
        self._flapping: frozenset[str] = frozenset()

    # ------------------------------------------------------------------ scheduling
    @property
    def confirm(self) -> dict[str, float]:
        """Devices awaiting a confirmation poll, with when it was asked for."""
        return self.schedule.confirm

    @property
    def traps(self) -> dict[str, tuple[str, float]]:
        """Links whose last word is a trap's: link id → (state, at)."""
        return self.links.traps

    def due(self, now: float) -> list[tuple[str, int]]:
        """(device, cycle) of every device whose next slot has come, and confirmation polls (cycle -1)."""
        return self.schedule.due(now, self.inflight)

    def next_wakeup(self, now: float) -> float:
        """Seconds until the next device is due (at most 1 s, so traps are handled promptly)."""
        return self.schedule.next_wakeup(now, self.inflight)

    # ------------------------------------------------------------------ traps
    def on_trap(self, event: TrapEvent) -> None:
        """A linkDown/linkUp: change the link's state now, confirm both ends by polling them."""
        if event.kind not in {"linkDown", "linkUp"}:
            return
        device, link_id = self.linkmap.link_of(event)
        if link_id is None:
            if device is not None and device in self.targets:
                self.request_poll(device, event.received_at)
            return
        self.links.trap(link_id, "down" if event.kind == "linkDown" else "up", event.received_at)
        link = self.network.links_by_id[link_id]
        for end in (link.a_device, link.b_device):
            if end in self.targets:
                self.request_poll(end, event.received_at + TRAP_HOLD_S)

    def request_poll(self, device: str, since: float | None = None) -> None:
        """Poll ``device`` at ``since`` or as soon as possible after (a poll that started earlier
        does not count). A request already pending keeps its earlier time: a link flapping faster
        than the hold must still get its confirmation polls, and so its incident."""
        self.schedule.request(device, self.clock() if since is None else since)
        self.wake.set()

    # ------------------------------------------------------------------ one tick
    async def tick(self) -> CycleReport:
        """Poll what is due, write what changed, correlate when settled and something changed."""
        now = self.clock()
        report = CycleReport(now)
        if self.traps:  # trap-driven link changes go in before the (maybe slow) confirmation polls
            self._write_links(now, report, ())
        for device, cycle in self.due(now):
            if cycle >= 0:
                self.schedule.started(device, cycle)
            task = asyncio.ensure_future(self._scrape(device, cycle))
            task.add_done_callback(lambda _task: self.wake.set())
            self.inflight[device] = task
        if self.inflight:  # wait a little for answers, never for the slowest agent
            await asyncio.wait(list(self.inflight.values()), timeout=TICK_WAIT_S)
        finished = [d for d, t in self.inflight.items() if t.done()]
        results = [self.inflight.pop(d).result() for d in finished]
        self._absorb(results, report)
        at = self.clock()
        if results:
            self._last_answer = at
        device_changes = self._set_states(self._device_updates(self._confirmed(results)), at, "poll")
        for change in device_changes:
            if change.new == "unreachable":  # a dead node explains its links' changes: not flaps
                for link in self.network.links_by_device.get(change.name, []):
                    self.flaps.forget(link.id)
        report.changes += device_changes
        self._write_links(at, report, finished)
        report.settled = not self.confirm
        if report.settled:
            self.unsettled_since = None
        elif self.unsettled_since is None:
            self.unsettled_since = at
        flapping = frozenset(self.flaps.subjects(at))
        if flapping != self._flapping:
            self._flapping = flapping
            self._correlate_due = True
        # Incidents from a settled snapshot; but a link that flaps faster than its confirmation
        # polls never settles, so after the longest a confirmation can take, take what is known.
        overdue = self.unsettled_since is not None and at - self.unsettled_since > self._settle_limit()
        if (report.settled or overdue) and self._correlate_due:
            self._correlate(at, report)
        if overdue:
            self.unsettled_since = at
        if self._endpoints_due:
            self._update_endpoints(at, report)
        self._keep_coverage(at)
        return report

    def _keep_coverage(self, at: float) -> None:
        """Record the leader as running once every device has been polled in this run (before
        that, endpoint states are an older run's), then its heartbeat; as stopped, from the last
        answer on, when no poll has come back for :data:`STALL_INTERVALS` intervals (the states
        it holds are then guesses), until every device has answered again."""
        try:
            began = self.coverage.began
            if began is not None:
                last = max(self._last_answer or began, began)
                if at - last > self._stall_s:
                    self.coverage.end(last)
                    self._fresh_after = at
                else:
                    self.coverage.beat(at)
            elif self._view_complete():
                self.coverage.begin(at)
        except StoreError:  # the store cannot be read now: the next tick tries again
            return

    def _view_complete(self) -> bool:
        fresh = self._fresh_after
        return all(self.polled_at.get(device, fresh) > fresh for device in self.targets)

    def stop_coverage(self) -> None:
        """Record that this monitor stops watching (called when the loop ends)."""
        with contextlib.suppress(StoreError):
            self.coverage.end(self.clock())

    def _set_states(self, updates: list[StateUpdate], at: float, source: str) -> list[Change]:
        """Write rows (nothing when there are none) and take the changes into the view."""
        if not updates:
            return []
        changed = self.store.set_states(updates, at, source)
        self._observe(changed)
        return changed

    def _observe(self, changes: Iterable[Change]) -> None:
        """Device and link changes into the view; what they invalidate is redone."""
        for change in changes:
            if change.kind not in {"device", "link"}:
                continue
            self.states[(change.kind, change.name)] = change.new
            target = self.links_down if change.kind == "link" else self.silent
            if change.new == ("down" if change.kind == "link" else "unreachable"):
                target.add(change.name)
            else:
                target.discard(change.name)
            self._correlate_due = self._endpoints_due = True

    def _poll_limit(self, device: str) -> float:
        """The longest one poll of ``device`` may take."""
        target = self.targets[device].target
        return target.timeout * (target.retries + 1) * 4

    def _settle_limit(self) -> float:
        """How long incidents wait for a settled snapshot: a confirmation's hold plus its poll."""
        pending = [self._poll_limit(d) for d in self.confirm if d in self.targets]
        return TRAP_HOLD_S + max(pending, default=0.0) + TICK_WAIT_S

    def _write_links(self, at: float, report: CycleReport, polled: Iterable[str]) -> None:
        links = self.links.candidates(polled, self.flaps, at)
        updates = self.links.updates(links, at, self.last, self.polled_at, self.last_rates, self.flaps)
        for source in ("trap", "poll"):
            changed = self._set_states(updates[source], at, source)
            for change in changed:
                if change.old is None:
                    continue
                if self._is_flap(change):
                    self.flaps.change(change.name, change.at)
                if source == "poll":  # seen by one end's poll: hear the other end before correlating
                    link = self.network.links_by_id[change.name]
                    for end in (link.a_device, link.b_device):
                        if end in self.targets and self.polled_at.get(end, 0.0) < change.at:
                            self.request_poll(end, change.at)
            report.changes += changed

    def _is_flap(self, change: Change) -> bool:
        """A flap is the link going up → down or down → up while its ends answer. A change from or
        to ``unknown`` is not: that is what nobody answering, or a monitor restart (links unknown
        until their ends' first polls), looks like, not the link itself changing."""
        real = {"up", "down"}
        return change.old in real and change.new in real and self._ends_answer(change.name)

    def _ends_answer(self, link_id: str) -> bool:
        """Both ends of the link answered their last poll (a flap is a link that changes while its
        devices stay up; changes while one is dead or rebooting are that device's)."""
        link = self.network.links_by_id[link_id]
        return all(
            (state := self.last.get(dev)) is None or state.reachable for dev in (link.a_device, link.b_device)
        )

    async def _scrape(self, device: str, cycle: int) -> Polled:
        """One device's poll."""
        poll_target = self.targets[device]
        target = poll_target.target
        # A poll's answer is as old as the poll's start: a trap received while it was in flight
        # is newer than what it read, and must not be overridden by it (the next poll decides).
        started = self.clock()
        async with self._gate():
            limit = self._poll_limit(device)
            modules = self.modules if self.modules is not None else poll_target.modules
            CURRENT_POLL.set((device, cycle))  # this task's own context: one poll per task
            try:
                scrape = await self.scraper.scrape(target, modules, deadline=limit)
            except Exception as exc:  # a scraper's own fault: this poll fails, never the loop
                log.exception("polling %s failed inside govnet", device)
                problem = f"the poll failed inside govnet ({type(exc).__name__}: {exc})"
                scrape = Scrape(target.host, error=clean(problem))
        return Polled(device, cycle, started, collect(scrape), scrape.seconds, scrape.varbinds)

    def _gate(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        return self._semaphore

    def _absorb(self, results: list[Polled], report: CycleReport) -> None:
        """Take finished polls in: state, poll records, rates, samples, threshold alerts."""
        if not results:
            return
        at = self.clock()
        polls, samples, readings = [], [], []
        for polled in results:
            device, state = polled.device, polled.state
            self.schedule.polled(device, polled.started)
            self.last[device] = state
            self.polled_at[device] = polled.started
            report.polled.append(device)
            polls.append(
                PollRecord(
                    at,
                    device,
                    POLLER,
                    polled.cycle,
                    state.reachable,
                    polled.seconds,
                    polled.varbinds,
                    state.note(),  # the error, or what a reachable device's modules lacked
                )
            )
            if not state.reachable:
                continue
            self.linkmap.learn(device, {i.if_index: i.name for i in state.interfaces})
            rates = self.rates.update(device, state, at)
            self.last_rates[device] = rates
            samples += poll_samples(device, rates, self._link_of_port, at, rx_levels(state))
            if self.series is not None:  # every transceiver's levels and WiFi clients, as on /metrics
                readings += gauges(device, state, self._link_of_port, at)
            report.alerts += self.poll_alerts.observe(device, state, rates, at)
        self.store.write_polls(polls)
        if self.series is not None:
            self.series.write_samples(samples)
            self.series.write_gauges(readings)
        else:
            self.store.write_samples(samples)
        if report.alerts:
            report.changes += self._set_states(
                [
                    ("alert", f"{a.rule}:{a.subject}", "firing" if a.firing else "ok", {"value": a.value})
                    for a in report.alerts
                ],
                at,
                "rule",
            )

    def _confirmed(self, results: list[Polled]) -> list[str]:
        """The devices whose poll may be written. A device is written unreachable only when a
        second poll, started after the first failed one came back, fails too: one lost answer (a
        dropped datagram, a busy agent) is not an outage. Until then it keeps its state, and the
        snapshot is not settled (no incident is worked out while a device is in doubt)."""
        out = []
        for polled in results:
            device = polled.device
            if polled.state.reachable:
                self.doubted.pop(device, None)
                out.append(device)
            elif self.states.get(("device", device)) == "unreachable":
                out.append(device)  # still down: only its detail changes
            elif device in self.doubted and polled.started >= self.doubted[device]:
                del self.doubted[device]
                out.append(device)  # confirmed
            elif device not in self.doubted:
                self.doubted[device] = at = self.clock()
                self.request_poll(device, at)
        return out

    def _device_updates(self, devices: list[str]) -> list[StateUpdate]:
        return [
            (
                "device",
                device,
                "up" if self.last[device].reachable else "unreachable",
                device_detail(self.last[device], self.polled_at.get(device), self.last_rates.get(device, {})),
            )
            for device in devices
        ]

    # ------------------------------------------------------------------ correlation
    def _correlate(self, at: float, report: CycleReport) -> None:
        """Incidents from the view (no stored detail is read but the open incidents')."""
        self._correlate_due = False
        flapping = set(self._flapping)
        incidents = correlate(self.network, self.links_down | flapping, set(self.silent))
        wanted = {}
        for inc in incidents:
            detail = inc.as_dict()
            detail["flapping"] = bool(set(inc.links_down) & flapping)
            wanted[f"{inc.kind}:{inc.root_cause}"] = (inc, detail)
        existing = {row.key: row for row in self.store.incidents(open_only=True)}
        for key, (inc, detail) in wanted.items():
            row = existing.get(key)
            if row is None:
                report.opened.append(self.store.open_incident(key, inc.kind, inc.root_cause, at, detail))
            elif row.detail != detail:
                self.store.update_incident(row.id, at, detail)
                report.updated.append(row.id)
        for key, row in existing.items():
            if key not in wanted:
                self.store.close_incident(row.id, at)
                report.closed.append(row.id)

    def _update_endpoints(self, at: float, report: CycleReport) -> None:
        """Endpoints: connected when their device answers and has a path to the core over links
        that are up now, redone on every tick where a device or link changed (not only on settled
        ones), so availability counts what the agencies lived through to the second: the down
        phases of a flap, not the hold that keeps its incident open, nor the seconds a
        confirmation poll takes."""
        self._endpoints_due = False
        reach = reachable_from_core(self.network, set(self.links_down), set(self.silent))
        updates: list[StateUpdate] = []
        for device, eps in self._endpoints.items():
            up = device in reach and device not in self.silent
            for ep in eps:
                key, state = f"{ep.kind}:{ep.id}", "up" if up else "down"
                if self.endpoint_states.get(key) == state:
                    continue
                self.endpoint_states[key] = state
                detail = {"device": device, "district": ep.district, "name": ep.name}
                updates.append(("endpoint", key, state, detail))
        report.changes += self._set_states(updates, at, "correlation")

    # ------------------------------------------------------------------ the loop
    async def run(
        self,
        stop: asyncio.Event,
        on_tick: Callable[[CycleReport], None] | None = None,
        duration: float | None = None,
    ) -> None:
        """Tick until ``stop`` is set (or ``duration`` seconds have passed)."""
        end = None if duration is None else self.clock() + duration
        while not stop.is_set() and (end is None or self.clock() < end):
            self.wake.clear()
            # A tick may wait on slow agents: Ctrl-C or the end of ``duration`` cancels it (every
            # store write is synchronous between awaits, so nothing is left half-written).
            ticking = asyncio.ensure_future(self.tick())
            stopping = asyncio.ensure_future(stop.wait())
            left = None if end is None else max(0.0, end - self.clock())
            await asyncio.wait({ticking, stopping}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not ticking.done():
                ticking.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticking
                break
            report = ticking.result()
            CycleLog(self.network, self.store).cycle(report, self.last)
            if on_tick is not None:
                on_tick(report)
            pause = self.next_wakeup(self.clock())
            if end is not None:
                pause = min(pause, max(0.0, end - self.clock()))
            await aio.first_of(self.wake, stop, timeout=pause)
        # Stopping: polls under way are abandoned (within seconds, even one that does not end).
        await aio.cancel_and_wait(*self.inflight.values(), timeout=10.0)
        self.inflight.clear()
        self.stop_coverage()
