"""A device that answers partially is up, with a warning: its links are not declared down for
what the agent failed to say (#12). Fake agents on the sample province (logic only)."""

from __future__ import annotations

from pathlib import Path

from govnet.inventory.network import Network
from govnet.monitor.fake import FakeScraper
from tests.test_monitor_engine import Clock, a_hub_with_agencies, monitor, tick


def test_a_partial_interfaces_walk_is_a_warning_not_an_outage(net: Network, tmp_path: Path) -> None:
    agents, clock = FakeScraper(net), Clock(3_000_000.0)
    hub = a_hub_with_agencies(net)
    agents.partial.add(hub)
    mon = monitor(net, tmp_path, agents, clock)
    for _ in range(3):
        tick(mon)
        clock.now += 60
    assert mon.store.incidents(open_only=True) == []
    links = {lk.id for lk in net.links_by_device[hub]}
    states = {r.name: r.state for r in mon.store.current("link") if r.name in links}
    assert len(states) == len(links) and "down" not in states.values(), states
    assert {r.name: r.state for r in mon.store.current("device")}[hub] == "up"
    record = next(p for p in mon.store.polls() if p.device == hub)
    assert record.ok and record.error and record.error.startswith("interfaces: ")
