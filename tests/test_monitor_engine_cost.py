"""The engine's cost follows changes, not the network (issue #14 item 2): a tick where nothing is
due runs no SQL and no graph computation; what a poll writes is that device and its links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from govnet.inventory.network import Network
from govnet.monitor import engine
from govnet.monitor.config import targets_from_inventory
from govnet.monitor.engine import TRAP_HOLD_S, Monitor
from govnet.monitor.fake import FakeScraper
from govnet.monitor.store import StateUpdate, open_store
from tests.test_monitor_engine import Clock, a_hub_with_agencies, tick


class Counted:
    """Counts the SQL statements run on a store and the graph computations of the engine."""

    def __init__(self, mon: Monitor, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sql: list[str] = []
        self.graph: list[str] = []
        event.listen(mon.store.db.engine, "before_cursor_execute", self._on_sql)
        for name in ("correlate", "reachable_from_core"):
            original = getattr(engine, name)

            def counted(*args: Any, _name: str = name, _original: Any = original) -> Any:
                self.graph.append(_name)
                return _original(*args)

            monkeypatch.setattr(engine, name, counted)

    def _on_sql(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.sql.append(statement)

    def reset(self) -> None:
        self.sql.clear()
        self.graph.clear()


def drain(mon: Monitor, clock: Clock) -> None:
    """Tick until what is due now (and what it asks for) has gone out and come back."""
    for _ in range(50):
        if mon.next_wakeup(clock.now) > 0 and not mon.inflight and not mon.confirm:
            return
        clock.now += 0.001
        tick(mon)
    raise AssertionError("the monitor never became idle")


def quiet_ticks(mon: Monitor, clock: Clock, n: int = 20) -> int:
    """Ticks within the time before the next device is due; how many polls they made."""
    step = mon.next_wakeup(clock.now) / (n + 1)
    polled = 0
    for _ in range(n):
        clock.now += step
        polled += len(tick(mon).polled)
    return polled


def test_an_idle_tick_runs_no_sql_and_no_graph_work(
    net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agents, clock = FakeScraper(net), Clock(1_000_000.0)
    mon = Monitor(net, open_store(str(tmp_path / "m.db")), agents, targets_from_inventory(net), clock=clock)
    counted = Counted(mon, monkeypatch)
    tick(mon)  # the first poll of everything: written, correlated
    assert counted.sql and counted.graph
    tick(mon)
    drain(mon, clock)
    counted.reset()
    assert quiet_ticks(mon, clock) == 0
    assert counted.sql == [] and counted.graph == []

    # Something happens: a hub dies. Its polls are written, and the graph is worked out again.
    hub = a_hub_with_agencies(net)
    agents.kill(hub)
    mon.request_poll(hub)
    for _ in range(6):
        clock.now += TRAP_HOLD_S
        tick(mon)
    assert any(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in counted.sql)
    assert "correlate" in counted.graph and "reachable_from_core" in counted.graph
    assert f"node:{hub}" in {i.key for i in mon.store.incidents(open_only=True)}
    # And once things are quiet again, so is the engine.
    drain(mon, clock)
    counted.reset()
    assert quiet_ticks(mon, clock) == 0
    assert counted.sql == [] and counted.graph == []


def test_a_poll_writes_its_device_and_only_the_links_that_changed(
    net: Network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agents, clock = FakeScraper(net), Clock(1_000_000.0)
    mon = Monitor(net, open_store(str(tmp_path / "m.db")), agents, targets_from_inventory(net), clock=clock)
    tick(mon)
    tick(mon)
    written: list[StateUpdate] = []
    real = mon.store.set_states

    def spy(updates: Any, at: float, source: str) -> Any:
        rows = list(updates)
        written.extend(rows)
        return real(rows, at, source)

    monkeypatch.setattr(mon.store, "set_states", spy)
    hub = a_hub_with_agencies(net)
    mon.request_poll(hub)
    clock.now += 0.001
    report = tick(mon)
    assert hub in report.polled
    polled = set(report.polled)
    ours = {lk.id for device in polled for lk in net.links_by_device[device]}
    assert ("device", hub) in {(k, n) for k, n, _, _ in written}
    assert {n for k, n, _, _ in written if k == "device"} <= polled
    assert {n for k, n, _, _ in written if k == "link"} <= ours
    assert len(written) < len(net.devices) // 4, "a poll of one device rewrote the network"
