"""Restart-safe state: a monitor restart is not a flap, and availability counts only real downtime.

Issue #12, cause 10: after a restart every link read ``unknown`` until its ends' first polls came
back, and those up → unknown → up changes counted as flaps, so the next real cut was taken for a
flapping link: its incident was held open for the flap window and the agencies behind it were
counted down for it, about three times the real downtime in the SLA.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from govnet.inventory.network import Network
from govnet.monitor import engine
from govnet.monitor.config import Module, targets_from_inventory
from govnet.monitor.engine import TRAP_HOLD_S, Monitor
from govnet.monitor.fake import FakeScraper
from govnet.monitor.scraper import Scrape
from govnet.monitor.sla import availability
from govnet.monitor.store import open_store
from govnet.snmp.client import Target
from tests.test_monitor_engine import Clock, single_homed_cpe, tick, trap


class SlowStart(FakeScraper):
    """Fake agents whose answers wait at a gate: a monitor's first polls after it starts take longer
    than a tick waits for them (as 360 real agents do), so the tick writes before they are back."""

    def __init__(self, network: Network) -> None:
        super().__init__(network)
        self.gate: asyncio.Event | None = None

    async def scrape(
        self, target: Target, modules: Sequence[Module] = (), deadline: float | None = None
    ) -> Scrape:
        if self.gate is not None:
            await self.gate.wait()
        return await super().scrape(target, modules, deadline)


def _monitor(net: Network, db: Path, agents: FakeScraper, clock: Clock) -> Monitor:
    return Monitor(net, open_store(str(db)), agents, targets_from_inventory(net), clock=clock)


def _settle(mon: Monitor, clock: Clock, rounds: int = 3) -> None:
    for _ in range(rounds):
        clock.now += TRAP_HOLD_S
        tick(mon)


def test_a_restart_is_no_flap_and_the_next_cut_is_counted_once(
    net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "TICK_WAIT_S", 0.05)  # how long a tick waits for polls in flight
    db = tmp_path / "monitor.db"
    agents, clock = SlowStart(net), Clock(5_000_000.0)
    t0 = clock.now
    first = _monitor(net, db, agents, clock)
    tick(first)
    assert all(r.state == "up" for r in first.store.current("link"))
    first.store.close()

    # The monitor restarts: its first tick writes before any poll is back, the next one has them.
    clock.now += 60
    second = _monitor(net, db, agents, clock)

    async def restart() -> None:
        agents.gate = asyncio.Event()
        await second.tick()
        agents.gate.set()
        clock.now += 1
        await asyncio.wait(list(second.inflight.values()))
        await second.tick()
        agents.gate = None

    asyncio.run(restart())
    _settle(second, clock)
    assert second.flaps.subjects(clock.now) == []
    assert all(r.state == "up" for r in second.store.current("link")), "the restart changed no link"

    # One real cut of 60 s on a single-homed CPE's link.
    cpe, link, hub_end = single_homed_cpe(net)
    (agency, *_) = net.agencies_by_cpe[cpe]
    clock.now += 30
    cut = clock.now
    agents.ports_down.add(hub_end)
    second.on_trap(trap(net, agents, hub_end[0], hub_end[1], "down", clock.now))  # type: ignore[arg-type]
    tick(second)
    _settle(second, clock)
    (incident,) = second.store.incidents(open_only=True)
    assert (incident.kind, incident.root_cause) == ("link", link.id)
    clock.now = cut + 60
    agents.ports_down.discard(hub_end)
    second.on_trap(trap(net, agents, hub_end[0], hub_end[1], "up", clock.now))  # type: ignore[arg-type]
    tick(second)
    _settle(second, clock)
    assert second.store.incidents(open_only=True) == [], "a single cut is not a flapping link"
    assert second.store.incident(incident.id) is not None
    assert second.flaps.subjects(clock.now) == []

    # The SLA counts the cut as it was: 60 s (the confirmation's few seconds aside), not the flap hold.
    clock.now += 600
    tick(second)
    (row,) = availability(net, second.store, clock.now - t0, now=clock.now, only=f"agency:{agency.id}")
    assert row.down_s == pytest.approx(60, abs=2 * TRAP_HOLD_S)
    kinds = {(c.old, c.new) for c in second.store.changes(kind="link", name=link.id)}
    assert ("up", "unknown") not in kinds, "links are not unknown just because the monitor restarted"
    second.store.close()


def test_a_flapping_link_is_one_held_incident_but_the_sla_counts_only_its_down_phases(
    net: Network, tmp_path: Path
) -> None:
    agents, clock = FakeScraper(net), Clock(6_000_000.0)
    mon = _monitor(net, tmp_path / "monitor.db", agents, clock)
    t0 = clock.now
    tick(mon)
    cpe, link, hub_end = single_homed_cpe(net)
    (agency, *_) = net.agencies_by_cpe[cpe]
    opened: set[int] = set()
    down_s = 0.0
    for _ in range(5):  # 5 cuts of 20 s, 40 s apart: 10 changes in 200 s, a flapping link
        for kind, hold in (("down", 20.0), ("up", 20.0)):
            if kind == "down":
                agents.ports_down.add(hub_end)
            else:
                agents.ports_down.discard(hub_end)
            mon.on_trap(trap(net, agents, hub_end[0], hub_end[1], kind, clock.now))  # type: ignore[arg-type]
            start = clock.now
            while clock.now < start + hold:
                opened |= set(tick(mon).opened)
                clock.now += TRAP_HOLD_S
            down_s += hold if kind == "down" else 0.0
    # The flap is folded: its incident is held open while the link is up, marked flapping.
    (incident,) = mon.store.incidents(open_only=True)
    assert incident.root_cause == link.id and incident.detail["flapping"] is True
    assert len(opened) <= 2
    # ... while the agency behind it was down only while the link was.
    (row,) = availability(net, mon.store, clock.now - t0, now=clock.now, only=f"agency:{agency.id}")
    assert row.down_s == pytest.approx(down_s, abs=10)
    # Stable for the flap window: the incident closes.
    clock.now += mon.flaps.window + 1
    tick(mon)
    assert mon.store.incidents(open_only=True) == []
    mon.store.close()


def test_a_link_flapping_faster_than_its_confirmations_is_one_incident_and_its_down_phases(
    net: Network, tmp_path: Path
) -> None:
    """Each trap asks for confirmation polls TRAP_HOLD_S later; a link changing every 3 s keeps one
    pending nearly all the time. Its incident opens all the same, and the agency's downtime is the
    sum of the down phases (on main: 50 s of 30, endpoints written only on settled snapshots and
    the flap hold counted as down). On the lab, where agents cache their tables, such a flap never
    settled at all: tests/test_monitor_flap_lab.py."""
    agents, clock = FakeScraper(net), Clock(7_000_000.0)
    mon = _monitor(net, tmp_path / "monitor.db", agents, clock)
    t0 = clock.now
    tick(mon)
    cpe, link, hub_end = single_homed_cpe(net)
    (agency, *_) = net.agencies_by_cpe[cpe]
    first_open = None
    down_s = 0.0
    for k in range(20):  # 60 s of a link down 3 s, up 3 s
        kind = "down" if k % 2 == 0 else "up"
        if kind == "down":
            agents.ports_down.add(hub_end)
        else:
            agents.ports_down.discard(hub_end)
        mon.on_trap(trap(net, agents, hub_end[0], hub_end[1], kind, clock.now))  # type: ignore[arg-type]
        for _ in range(3):
            if tick(mon).opened and first_open is None:
                first_open = clock.now
            clock.now += 1.0
        down_s += 3.0 if kind == "down" else 0.0
    assert first_open is not None, "no incident while the link flapped for 60 s"
    assert first_open - t0 <= 3 * TRAP_HOLD_S
    (incident,) = mon.store.incidents(open_only=True)
    assert incident.root_cause == link.id
    (row,) = availability(net, mon.store, clock.now - t0, now=clock.now, only=f"agency:{agency.id}")
    assert row.down_s == pytest.approx(down_s, abs=3)
    mon.store.close()
