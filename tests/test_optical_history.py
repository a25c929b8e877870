"""Optical receive power has a history like traffic: the engine samples it from the transceivers'
sensors, the store keeps it raw and rolls it up by the hour (average and lowest), and the history
API answers it over 1 h, 24 h and 30 d, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from govnet.inventory.network import Network
from govnet.monitor.config import targets_from_inventory
from govnet.monitor.engine import Monitor
from govnet.monitor.fake import FakeScraper
from govnet.monitor.history import interface_history
from govnet.monitor.store import Sample, open_store


def test_the_engine_samples_receive_power_and_the_history_answers_it(net: Network, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/monitor.db")
    agents = FakeScraper(net)
    link = next(lk for lk in net.links if lk.a_device.startswith("hub") and lk.b_device.startswith("hub"))
    port = (link.b_device, link.b_interface)
    now = [1_800_000_000.0]
    monitor = Monitor(net, store, agents, targets_from_inventory(net), clock=lambda: now[0])
    levels = [-8.0, -8.5, -12.0, -19.5]
    for dbm in levels:
        agents.rx[port] = dbm
        asyncio.run(monitor.tick())
        now[0] += 60
    rows = store.samples(*port)
    assert [s.rx_dbm for s in rows][-3:] == levels[-3:]  # the first poll has no rates yet
    other = store.samples(link.a_device, link.a_interface)
    assert other and all(s.rx_dbm is None for s in other)  # no transceiver sensor there
    answer = interface_history(store, None, *port, "1h", now[0])
    assert [v for _, v in answer["series"]["govnet_interface_rx_dbm"]] == levels[-3:]
    store.close()


def test_hourly_rollups_keep_the_average_and_the_lowest_level(store_url: str) -> None:
    store = open_store(store_url)
    hour = 3600.0 * 480_000
    store.write_samples(
        [
            Sample(hour + 60 * i, "hub-1", "eth1", "L1", 1e6, 1e6, 10.0, rx_dbm=dbm)
            for i, dbm in enumerate((-8.0, -9.0, -13.0))
        ]
        + [Sample(hour + 120, "hub-1", "eth2", None, 1e6, 1e6, 10.0)]
    )
    store.prune(now=hour + 10 * 86400, raw_seconds=7 * 86400)
    (rollup,) = store.hourly("hub-1", "eth1")
    assert rollup["rx_dbm_avg"] == pytest.approx(-10.0) and rollup["rx_dbm_min"] == pytest.approx(-13.0)
    (dark,) = store.hourly("hub-1", "eth2")
    assert dark["rx_dbm_avg"] is None and dark["rx_dbm_min"] is None
    # A late sample merges by weight; the lowest stays the lowest.
    store.write_samples([Sample(hour + 600, "hub-1", "eth1", "L1", 1e6, 1e6, 10.0, rx_dbm=-6.0)])
    store.prune(now=hour + 10 * 86400 + 5, raw_seconds=7 * 86400)
    (merged,) = store.hourly("hub-1", "eth1")
    assert merged["rx_dbm_avg"] == pytest.approx(-9.0) and merged["rx_dbm_min"] == pytest.approx(-13.0)
    month = interface_history(store, None, "hub-1", "eth1", "30d", hour + 10 * 86400)
    assert month["series"]["govnet_interface_rx_dbm"] == [[hour, pytest.approx(-9.0)]]
    assert month["series"]["govnet_interface_rx_dbm_min"] == [[hour, pytest.approx(-13.0)]]
    store.close()
