"""A link's state after a trap comes from the ends polled after it, never from an end's older answer.

On the lab, an up trap was followed by the two ends' confirmation polls; when the hub's answer came
back first, the CPE's last answer (from before the restore: its port down) turned the link down
again until the CPE's own poll returned, about 1-2 s per restore, which the SLA counted as downtime.
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
from govnet.monitor.store import open_store
from govnet.snmp.client import Target
from tests.test_monitor_engine import Clock, single_homed_cpe, trap


class HeldAgent(FakeScraper):
    """Fake agents; while ``held`` names a device, that device's answers wait at a gate."""

    def __init__(self, network: Network) -> None:
        super().__init__(network)
        self.held: str | None = None
        self.gate = asyncio.Event()

    async def scrape(
        self, target: Target, modules: Sequence[Module] = (), deadline: float | None = None
    ) -> Scrape:
        if self.by_ip[target.host] == self.held:
            await self.gate.wait()
        return await super().scrape(target, modules, deadline)


def test_an_end_polled_before_the_up_trap_does_not_turn_the_link_down_again(
    net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "TICK_WAIT_S", 0.05)
    agents, clock = HeldAgent(net), Clock(8_000_000.0)
    mon = Monitor(net, open_store(str(tmp_path / "m.db")), agents, targets_from_inventory(net), clock=clock)
    cpe, link, hub_end = single_homed_cpe(net)
    cpe_end = (cpe, link.a_interface if link.a_device == cpe else link.b_interface)

    async def scenario() -> list[tuple[float, str]]:
        await mon.tick()
        # The link is cut (both ends down, as a veth pair goes), confirmed by both ends' polls.
        agents.ports_down |= {hub_end, cpe_end}
        mon.on_trap(trap(net, agents, hub_end[0], hub_end[1], "down", clock.now))  # type: ignore[arg-type]
        await mon.tick()
        clock.now += TRAP_HOLD_S
        await mon.tick()
        # Restored: the up trap, then the confirmation polls; the CPE's answer comes back later.
        clock.now += 4
        agents.ports_down -= {hub_end, cpe_end}
        up_at = clock.now
        mon.on_trap(trap(net, agents, hub_end[0], hub_end[1], "up", clock.now))  # type: ignore[arg-type]
        await mon.tick()
        clock.now += TRAP_HOLD_S
        agents.held = cpe
        await mon.tick()  # the hub's confirmation is back, the CPE's is not
        clock.now += 1
        agents.gate.set()
        await asyncio.wait(list(mon.inflight.values()))
        await mon.tick()
        return [(c.at - up_at, c.new) for c in mon.store.changes(kind="link", name=link.id) if c.at >= up_at]

    after_up = asyncio.run(scenario())
    assert [new for _, new in after_up] == ["up"], f"changes after the up trap: {after_up}"
    assert [r.state for r in mon.store.current("link") if r.name == link.id] == ["up"]
    mon.store.close()
