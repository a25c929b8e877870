"""The monitoring loop on the sample province with fake agents (logic only; the lab tests the wire).

The fake agents answer like real ones would — IF-MIB rows named after the inventory's interfaces,
oper status down on a port whose peer died — so the engine's scheduling, trap handling,
settling, correlation into incidents and endpoint states are tested on a 360-device network.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from govnet.inventory.models import Link, Role
from govnet.inventory.network import Network
from govnet.monitor.alerts import FlapDetector
from govnet.monitor.config import targets_from_inventory
from govnet.monitor.engine import TRAP_HOLD_S, CycleReport, Monitor
from govnet.monitor.fake import FakeScraper
from govnet.monitor.store import open_store
from govnet.monitor.traps import parse


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def monitor(net: Network, tmp_path: Path, agents: FakeScraper, clock: Clock) -> Monitor:
    store = open_store(str(tmp_path / "monitor.db"))
    return Monitor(net, store, agents, targets_from_inventory(net), clock=clock)


def trap(net: Network, agents: FakeScraper, device: str, ifname: str, kind: str, at: float) -> object:
    oid = {"down": "1.3.6.1.6.3.1.1.5.3", "up": "1.3.6.1.6.3.1.1.5.4"}[kind]
    index = agents.if_index(device, ifname)
    return parse(
        str(net.devices[device].mgmt_ip),
        [("1.3.6.1.6.3.1.1.4.1.0", oid), (f"1.3.6.1.2.1.2.2.1.8.{index}", 2 if kind == "down" else 1)],
        at=at,
    )


def a_hub_with_agencies(net: Network) -> str:
    hubs = [d.name for d in net.devices_with_role(Role.HUB)]
    return max(hubs, key=lambda h: len(net.links_by_device[h]))


def single_homed_cpe(net: Network) -> tuple[str, Link, tuple[str, str]]:
    """A CPE with one link: its name, the link, and the (device, interface) at the hub's end."""
    cpe = next(
        d.name
        for d in net.devices.values()
        if d.role.value == "cpe" and len(net.links_by_device[d.name]) == 1
    )
    (link,) = net.links_by_device[cpe]
    hub_end = (link.a_device, link.a_interface) if link.b_device == cpe else (link.b_device, link.b_interface)
    return cpe, link, hub_end


def tick(mon: Monitor) -> CycleReport:
    return asyncio.run(mon.tick())


def test_a_dead_hub_is_one_incident_after_its_neighbours_traps_settle(net: Network, tmp_path: Path) -> None:
    agents, clock = FakeScraper(net), Clock(1_000_000.0)
    mon = monitor(net, tmp_path, agents, clock)
    first = tick(mon)
    assert len(first.polled) == len(net.devices)
    polls = mon.store.polls()
    assert len(polls) == len(net.devices) and all(p.ok and p.varbinds > 0 and p.cycle >= 0 for p in polls)
    assert mon.store.incidents(open_only=True) == []
    endpoints = mon.store.current("endpoint")
    assert endpoints and all(e.state == "up" for e in endpoints)

    hub = a_hub_with_agencies(net)
    clock.now += 2
    for device, ifname in agents.kill(hub):
        mon.on_trap(trap(net, agents, device, ifname, "down", clock.now))  # type: ignore[arg-type]
    report = tick(mon)
    assert not report.settled and report.opened == []  # the traps' word, not yet confirmed
    clock.now += TRAP_HOLD_S  # agents cache their interface tables: confirm once that is past
    agents.calls.clear()
    report = tick(mon)
    assert not report.settled and hub in mon.doubted  # one failed poll is not yet an outage
    report = tick(mon)  # the hub's second poll fails too
    # The devices the traps named were re-polled (confirmation), not the whole province
    # (a few others whose scheduled slot came up in these seconds are polled too).
    assert {hub} | {d for d, _ in agents.kill(hub)} <= set(agents.scraped_devices())
    assert len(agents.calls) < len(net.devices) / 4
    assert report.settled
    (incident,) = mon.store.incidents(open_only=True)
    assert (incident.kind, incident.root_cause) == ("node", hub)
    behind = {d for d in net.devices if d != hub} - _reachable_without(net, hub)
    agencies_behind = {a.id for a in net.agencies.values() if a.cpe in behind}
    listed = {e["id"] for e in incident.detail["blast_radius"]["endpoints"] if e["kind"] == "agency"}
    assert agencies_behind and listed == agencies_behind
    down = {e.name for e in mon.store.current("endpoint") if e.state == "down"}
    assert {f"agency:{a}" for a in agencies_behind} <= down
    # Link state changes were recorded from the traps first.
    assert any(c.kind == "link" and c.new == "down" and c.source == "trap" for c in mon.store.changes())

    # The hub comes back: on its next scheduled poll the incident closes and the agencies are up.
    agents.revive(hub)
    clock.now += 130
    report = tick(mon)
    assert report.closed == [incident.id]
    assert mon.store.incidents(open_only=True) == []
    assert all(e.state == "up" for e in mon.store.current("endpoint"))


def _reachable_without(net: Network, dead: str) -> set[str]:
    from govnet.monitor.incidents import reachable_from_core

    return reachable_from_core(net, set(), {dead})


def test_a_flapping_link_stays_one_incident(net: Network, tmp_path: Path) -> None:
    agents, clock = FakeScraper(net), Clock(2_000_000.0)
    mon = monitor(net, tmp_path, agents, clock)
    mon.flaps = FlapDetector(flaps=3, window=300)
    tick(mon)
    _cpe, link, hub_end = single_homed_cpe(net)
    opened: set[int] = set()
    for _ in range(4):
        for kind in ("down", "up"):
            clock.now += 5
            if kind == "down":
                agents.ports_down.add(hub_end)
            else:
                agents.ports_down.discard(hub_end)
            mon.on_trap(trap(net, agents, hub_end[0], hub_end[1], kind, clock.now))  # type: ignore[arg-type]
            report = tick(mon)
            opened |= set(report.opened)
    assert len(opened) <= 2, "a flapping link must not open an incident per flap"
    (incident,) = mon.store.incidents(open_only=True)
    assert incident.root_cause == link.id and incident.detail["flapping"] is True


def test_metrics_pass_promtool_and_govnet_metrics_are_lint_clean(net: Network, tmp_path: Path) -> None:
    import shutil
    import subprocess

    from govnet.monitor.metrics import IF_METRICS, exposition

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian package 'prometheus') is not installed; run scripts/setup.sh")
    agents, clock = FakeScraper(net), Clock(3_000_000.0)
    mon = monitor(net, tmp_path, agents, clock)
    tick(mon)
    hub = a_hub_with_agencies(net)
    agents.kill(hub)
    clock.now += 130
    tick(mon)
    tick(mon)  # the hub's second failed poll: now it is unreachable
    body = exposition(mon.store, net)
    text = body.decode()
    assert 'govnet_device_up{device="' + hub + '",role="hub"} 0.0' in text
    assert "# TYPE ifHCInOctets counter" in text and 'ifHCInOctets{device="core-01",' in text
    assert 'govnet_incidents_open{kind="node"} 1.0' in text
    result = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, check=False)
    problems = (result.stdout + result.stderr).decode().splitlines()
    # Exit 3 is "lint problems", 1 would be a parse error.
    assert result.returncode in {0, 3}, problems[:5]
    assert not [p for p in problems if p.startswith("govnet_")], "govnet_* metrics must lint clean"
    mib_names = {"sysUpTime"} | {m for m, *_ in IF_METRICS}
    assert {p.split(" ", 1)[0] for p in problems} <= mib_names


def test_a_trap_during_an_in_flight_poll_is_not_overridden_by_that_poll(net: Network, tmp_path: Path) -> None:
    agents, clock = FakeScraper(net), Clock(4_000_000.0)
    mon = monitor(net, tmp_path, agents, clock)
    tick(mon)
    cpe, link, hub_end = single_homed_cpe(net)
    real_scrape = agents.scrape

    async def slow_scrape(target: Any, modules: Any = (), deadline: float | None = None) -> Any:
        answer = await real_scrape(target, modules, deadline)  # read while the link was still up
        if agents.by_ip[target.host] == cpe:
            clock.now += 1  # ...and the link is cut while this answer travels back
            mon.on_trap(trap(net, agents, hub_end[0], hub_end[1], "down", clock.now))  # type: ignore[arg-type]
        return answer

    agents.scrape = slow_scrape  # type: ignore[method-assign]
    mon.request_poll(cpe)  # poll the CPE now
    tick(mon)
    (row,) = [r for r in mon.store.current("link") if r.name == link.id]
    assert row.state == "down", "the stale poll must not win over the newer trap"


def test_low_receive_power_alerts_per_link_end_and_yields_to_the_link_incident(
    net: Network, tmp_path: Path
) -> None:
    agents, clock = FakeScraper(net), Clock(3_000_000.0)
    mon = monitor(net, tmp_path, agents, clock)
    _cpe, link, hub_end = single_homed_cpe(net)
    subject = f"{link.id}@{hub_end[0]}"
    agents.rx[hub_end] = -6.0
    tick(mon)
    agents.rx[hub_end] = -21.5  # under the transceiver's own -18 dBm warning; the default rule says -25
    seen = []
    for _ in range(4):
        clock.now += 30
        seen += [(a.rule, a.subject, a.firing) for a in tick(mon).alerts]
    # a sudden 15 dB fall warns at once; once the level has stayed low for the rule's 60 s, the
    # low-power alert takes over and the fall warning clears: one alarm standing, not two
    assert seen == [
        ("optical-power-falling", subject, True),
        ("low-optical-power", subject, True),
        ("optical-power-falling", subject, False),
    ]
    stored = {r.name: r.state for r in mon.store.current("alert")}
    assert stored == {f"low-optical-power:{subject}": "firing", f"optical-power-falling:{subject}": "ok"}
    hub = mon.store.current("device", detail=True)
    hub_row = next(r for r in hub if r.name == hub_end[0])
    assert hub_row.detail is not None and hub_row.detail["optics"][0]["dbm"] == -21.5
    # the fiber is cut: "no light" is the link's incident, the optical alert withdraws
    agents.ports_down.add(hub_end)
    agents.rx[hub_end] = -40.0
    clock.now += 30
    report = tick(mon)
    assert [(a.rule, a.firing) for a in report.alerts] == [("low-optical-power", False)]
    assert [i.root_cause for i in mon.store.incidents(open_only=True)] == [link.id]


def test_a_link_down_found_by_polling_waits_for_the_far_end_before_correlating(
    net: Network, tmp_path: Path
) -> None:
    """No traps: the hub's neighbours find their ports down on their own polls before the hub's
    slot comes. The far end (the hub) is polled before any incident is opened, so the dead hub
    is one node incident, not a link incident for each neighbour that looked first."""
    agents, clock = FakeScraper(net), Clock(4_000_000.0)
    hub = a_hub_with_agencies(net)
    targets = [
        dataclasses.replace(t, interval=3600.0 if t.device == hub else 30.0)
        for t in targets_from_inventory(net)
    ]
    mon = Monitor(net, open_store(str(tmp_path / "monitor.db")), agents, targets, clock=clock)
    tick(mon)
    agents.kill(hub)
    clock.now += 31  # every neighbour's slot came, the hub's did not
    first = tick(mon)
    assert first.opened == [] and not first.settled and hub in mon.confirm
    second = tick(mon)  # the hub's confirmation poll: no answer
    assert not second.settled and second.opened == [] and hub in mon.doubted
    third = tick(mon)  # its second failed poll: unreachable
    assert third.settled
    assert [(i.kind, i.root_cause) for i in mon.store.incidents(open_only=True)] == [("node", hub)]


def test_one_lost_answer_is_not_an_outage_and_two_are(net: Network, tmp_path: Path) -> None:
    """A device is written unreachable only when a second poll, started after the failed one came
    back, fails too: an agent that misses one answer stays up, with no change and no incident."""
    agents, clock = FakeScraper(net), Clock(5_000_000.0)
    mon = monitor(net, tmp_path, agents, clock)
    tick(mon)
    cpe, _link, _hub_end = single_homed_cpe(net)
    agents.dead.add(cpe)  # the agent misses its next answer (the device and its links are fine)
    clock.now += 130
    missed = tick(mon)
    assert cpe in missed.polled and cpe in mon.doubted and not missed.settled
    assert [c for c in missed.changes if c.name == cpe] == []
    agents.dead.discard(cpe)
    answered = tick(mon)  # the confirmation poll, at once: it answers
    assert cpe in answered.polled and cpe not in mon.doubted and answered.settled
    assert not [c for c in mon.store.changes() if c.name == cpe and c.new == "unreachable"]
    assert mon.store.incidents(open_only=True) == []

    agents.kill(cpe)  # now it is really dead
    clock.now += 130
    first = tick(mon)
    assert [c for c in first.changes if c.name == cpe] == [] and first.opened == []
    second = tick(mon)
    assert [(c.name, c.new) for c in second.changes if c.kind == "device"] == [(cpe, "unreachable")]
    (incident,) = mon.store.incidents(open_only=True)  # its link's or its own: one either way
    assert cpe in incident.root_cause
