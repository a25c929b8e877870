"""Monitored time: the monitor's own running state bounds what availability counts (issue #16 item 3).

Before, time the monitor was stopped counted as the last state written: an agency down when the
monitor stopped was down for the whole stop, one up was up. Now only time the leader was running
with a complete view, and the endpoint's state was up or down, is monitored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from govnet.inventory.communes import communes
from govnet.inventory.network import Network
from govnet.monitor import engine
from govnet.monitor.config import DEFAULT_MODULES, Module, targets_from_inventory
from govnet.monitor.coverage import HEARTBEAT_S, KIND, NAME, RUNNING, STOPPED, Coverage, leader_row
from govnet.monitor.engine import Monitor
from govnet.monitor.fake import FakeScraper as Agents
from govnet.monitor.scraper import Scrape
from govnet.monitor.sla import availability, availability_between, monitored_intervals
from govnet.monitor.store import Store, open_store
from govnet.snmp.client import Target

T0 = 1_000_000.0


def two_agencies(net: Network) -> tuple[str, str]:
    first, second = sorted(net.agencies)[:2]
    return f"agency:{first}", f"agency:{second}"


def test_time_the_monitor_was_stopped_is_not_monitored(net: Network, store_url: str) -> None:
    store = open_store(store_url)  # SQLite and a real PostgreSQL
    hit, other = two_agencies(net)
    first = Coverage(store)
    first.begin(T0)
    store.set_states([("endpoint", k, "up", None) for k in (hit, other)], T0, "correlation")
    store.set_states([("endpoint", hit, "down", None)], T0 + 100, "correlation")
    first.end(T0 + 200)  # stopped while the agency was down: nobody knows what it was until T0+600
    second = Coverage(store)
    second.begin(T0 + 600)
    store.set_states([("endpoint", hit, "up", None)], T0 + 600, "correlation")
    second.beat(T0 + 990)  # still running at the end of the period
    result = {f"{a.kind}:{a.id}": a for a in availability(net, store, 1000, now=T0 + 1000)}
    assert result[hit].monitored_s == pytest.approx(600)
    assert result[hit].down_s == pytest.approx(100)  # not 500: the stop is not "down"
    assert result[hit].availability == pytest.approx(1 - 100 / 600)
    assert result[hit].unmonitored_s == pytest.approx(400)
    assert result[other].availability == pytest.approx(1.0)
    assert result[other].monitored_s == pytest.approx(600)  # not 1000: the stop is not "up"
    store.close()


def test_a_crashed_monitor_counts_until_its_last_heartbeat(net: Network, tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "m.db"))
    hit, _ = two_agencies(net)
    dead = Coverage(store)
    dead.begin(T0)
    store.set_states([("endpoint", hit, "down", None)], T0, "correlation")
    dead.beat(T0 + HEARTBEAT_S)
    dead.beat(T0 + 2 * HEARTBEAT_S)
    # ... killed: no "stopped". The next leader closes the dead run at its last heartbeat.
    Coverage(store).begin(T0 + 500)
    changes = [(c.at, c.new) for c in store.changes(kind=KIND)]
    assert changes == [(T0, RUNNING), (T0 + 2 * HEARTBEAT_S, STOPPED), (T0 + 500, RUNNING)]
    row = leader_row(store)
    assert row is not None and row.state == RUNNING
    assert monitored_intervals(store, T0 - 100, T0 + 1000) == [
        (T0, T0 + 2 * HEARTBEAT_S),
        (T0 + 500, T0 + 530),
    ]
    (item,) = availability_between(net, store, T0, T0 + 1000, only=hit)
    # Down while watched (30 s), then from T0+500 until the live run's heartbeat (+ grace).
    assert item.down_s == pytest.approx(2 * HEARTBEAT_S + 30)
    assert item.availability == pytest.approx(0.0)
    store.close()


def test_an_unknown_endpoint_state_is_not_monitored(net: Network, tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "m.db"))
    hit, _ = two_agencies(net)
    run = Coverage(store)
    run.begin(T0)
    store.set_states([("endpoint", hit, "up", None)], T0, "correlation")
    store.set_states([("endpoint", hit, "unknown", None)], T0 + 100, "correlation")
    store.set_states([("endpoint", hit, "up", None)], T0 + 400, "correlation")
    run.end(T0 + 1000)
    (item,) = availability_between(net, store, T0, T0 + 1000, only=hit)
    assert item.monitored_s == pytest.approx(700) and item.unmonitored_s == pytest.approx(300)
    store.close()


def test_no_monitor_ever_ran_means_nothing_was_monitored(net: Network, tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "m.db"))
    hit, _ = two_agencies(net)
    store.set_states([("endpoint", hit, "up", None)], T0, "correlation")  # a state, but no monitor run
    (item,) = availability_between(net, store, T0, T0 + 1000, only=hit)
    assert item.availability is None and item.monitored_s == 0 and item.unmonitored_s == pytest.approx(1000)
    store.close()


def test_a_replaced_leader_does_not_mark_its_successor_stopped(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "m.db"))
    old, new = Coverage(store), Coverage(store)
    old.begin(T0)
    new.begin(T0 + 60)  # took over (the old one lost its lease)
    old.end(T0 + 61)  # the old one's loop ends afterwards
    row = leader_row(store)
    assert row is not None and row.state == RUNNING and row.detail is not None
    assert row.detail["run"] == new.run
    store.close()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _states(store: Store) -> list[str]:
    return [c.new for c in store.changes(kind=KIND, name=NAME)]


class _Held(Agents):
    """The fake agents, but the devices in ``held`` answer only once ``release`` is set."""

    def __init__(self, net: Network, held: set[str]) -> None:
        super().__init__(net)
        self.held = {str(net.devices[d].mgmt_ip) for d in held}
        self.release = asyncio.Event()

    async def scrape(
        self, target: Target, modules: Sequence[Module] = DEFAULT_MODULES, deadline: float | None = None
    ) -> Scrape:
        if target.host in self.held:
            await self.release.wait()
        return await super().scrape(target, modules, deadline=deadline)


def test_the_leader_runs_once_every_device_was_polled_and_stops_when_it_stops(
    net: Network, tmp_path: Path
) -> None:
    held = set(sorted(net.devices)[::2])
    agents, clock = _Held(net, held), Clock(T0)
    targets = targets_from_inventory(net)
    store = open_store(str(tmp_path / "m.db"))
    leader = Monitor(net, store, agents, targets, clock=clock)

    async def main() -> None:
        await leader.tick()
        # Half of the province has not answered yet: the view is incomplete, nothing is monitored.
        assert leader_row(store) is None and held <= set(leader.inflight)
        agents.release.set()
        clock.now += 2
        for _ in range(30):  # the polls held back come in (the clock stands still meanwhile)
            await leader.tick()
            if leader_row(store) is not None:
                break

    asyncio.run(main())
    assert _states(store) == [RUNNING]
    row = leader_row(store)
    assert row is not None and row.since == T0 + 2
    clock.now += HEARTBEAT_S + 1
    asyncio.run(leader.tick())
    row = leader_row(store)
    assert row is not None and row.detail is not None and row.detail["seen"] == T0 + 3 + HEARTBEAT_S
    assert _states(store) == [RUNNING]  # a heartbeat writes no history
    stop = asyncio.Event()
    stop.set()
    asyncio.run(leader.run(stop))
    assert _states(store) == [RUNNING, STOPPED]
    store.close()


def test_a_commune_maintenance_window_is_excluded_for_its_agencies_only(net: Network, tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "m.db"))
    found = communes(net)
    twins = sorted(c.id for c in found.values() if c.name == "Tân Tiến")
    site_commune = {s: c.id for c in found.values() for s in c.sites}
    inside = next(a for a in sorted(net.agencies) if site_commune.get(net.agencies[a].site) == twins[0])
    twin = next(a for a in sorted(net.agencies) if site_commune.get(net.agencies[a].site) == twins[1])
    run = Coverage(store)
    run.begin(T0)
    store.set_states([("endpoint", f"agency:{a}", "down", None) for a in (inside, twin)], T0, "correlation")
    store.add_maintenance(f"commune:{twins[0]}", T0 + 100, T0 + 400, "re-cabling")
    run.end(T0 + 1000)
    result = {a.id: a for a in availability_between(net, store, T0, T0 + 1000) if a.kind == "agency"}
    assert result[inside].maintenance_s == pytest.approx(300) and result[inside].down_s == pytest.approx(700)
    assert result[inside].commune == "Tân Tiến"
    # The commune of the same name in the other district is another commune: not in maintenance.
    assert result[twin].maintenance_s == 0 and result[twin].down_s == pytest.approx(1000)
    store.close()


class Hung(Agents):
    """Fake agents whose answers can be held back (a broker or every worker gone)."""

    def __init__(self, network: Network) -> None:
        super().__init__(network)
        self.gate: asyncio.Event | None = None

    async def scrape(
        self, target: Target, modules: Sequence[Module] = (), deadline: float | None = None
    ) -> Scrape:
        if self.gate is not None:
            await self.gate.wait()
        return await super().scrape(target, modules, deadline)


def test_no_answers_for_three_intervals_is_not_monitored_until_every_device_answers_again(
    net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "TICK_WAIT_S", 0.05)
    agents, clock = Hung(net), Clock(T0)
    mon = Monitor(net, open_store(str(tmp_path / "m.db")), agents, targets_from_inventory(net), clock=clock)
    stall = engine.STALL_INTERVALS * max(t.interval for t in mon.targets.values())

    async def scenario() -> None:
        await mon.tick()
        assert _states(mon.store) == [RUNNING]
        agents.gate = asyncio.Event()  # from now on nothing comes back
        for _ in range(3):
            clock.now += stall / 2
            await mon.tick()
        # Stopped, back-dated to the last answer (the first tick's).
        changes = [(c.at, c.new) for c in mon.store.changes(kind=KIND)]
        assert changes == [(T0, RUNNING), (T0, STOPPED)]
        # Answers again: the polls held since the stall do not count, fresh ones of every device do.
        agents.gate.set()
        agents.gate = None
        await asyncio.wait(list(mon.inflight.values()))
        clock.now += 1
        await mon.tick()
        assert _states(mon.store) == [RUNNING, STOPPED]
        for _ in range(int(max(t.interval for t in mon.targets.values()) // 30) + 2):
            clock.now += 30
            await mon.tick()
        assert _states(mon.store) == [RUNNING, STOPPED, RUNNING]

    asyncio.run(scenario())
    # The stall and the wait for every device's fresh answer are not monitored time.
    resumed = mon.store.changes(kind=KIND)[-1].at
    assert resumed > T0 + stall
    assert monitored_intervals(mon.store, T0, clock.now) == [(resumed, clock.now)]
    mon.store.close()
