"""Interface series in a real VictoriaMetrics (issue #15 item 2): written by the engine, read by PromQL."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.inventory.network import Network
from govnet.monitor.config import targets_from_inventory
from govnet.monitor.engine import Monitor
from govnet.monitor.fake import FakeScraper
from govnet.monitor.history import interface_history
from govnet.monitor.series import METRICS, SeriesWriter, VictoriaMetrics
from govnet.monitor.store import Sample, open_store
from tests.vmserver import free_port, victoria_metrics

IN_BPS = "govnet_interface_in_bps"


@pytest.fixture(scope="module")
def vm_url() -> Iterator[str]:
    with victoria_metrics() as url:
        yield url


def _wait_for(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(0.25)


def _points(
    db: VictoriaMetrics, device: str, interface: str, start: float, end: float
) -> dict[str, list[tuple[float, float]]]:
    return db.interface_history(device, interface, start, end, 1.0)


def test_label_values_round_trip_exactly_and_never_become_syntax(vm_url: str) -> None:
    db = VictoriaMetrics(vm_url)
    now = time.time() - 60
    names = ['if"quoted"', "back\\slash", 'a",device="forged', "x}{y"]
    samples = [
        Sample(now + i, "dev-labels", name, None, 1000.0 + i, 2000.0, 1.5) for i, name in enumerate(names)
    ]
    db.write(samples)
    for i, name in enumerate(names):
        _wait_for(
            lambda name=name: _points(db, "dev-labels", name, now - 10, now + 10), 30, f"series {name!r}"
        )
        found = _points(db, "dev-labels", name, now - 10, now + 10)
        assert found["govnet_interface_in_bps"][0][1] == 1000.0 + i
    forged = db.query_range('govnet_interface_in_bps{device="forged"}', now - 10, now + 10, 1.0)
    assert forged == []


def test_the_engine_writes_samples_to_victoriametrics_not_the_sql_store(
    net: Network, vm_url: str, tmp_path: Path
) -> None:
    agents = FakeScraper(net)
    now = [time.time() - 600]
    store = open_store(str(tmp_path / "monitor.db"))
    mon = Monitor(net, store, agents, targets_from_inventory(net), clock=lambda: now[0])
    writer = SeriesWriter(VictoriaMetrics(vm_url)).start()
    mon.series = writer
    for _ in range(3):
        asyncio.run(mon.tick())
        now[0] += 300
    writer.close(timeout=60)
    assert writer.sent > 0 and writer.dropped == 0
    link = net.links[0]
    db = VictoriaMetrics(vm_url)
    got = _points(db, link.a_device, link.a_interface, now[0] - 3600, now[0])
    _wait_for(
        lambda: _points(db, link.a_device, link.a_interface, now[0] - 3600, now[0]), 30, "the engine's series"
    )
    got = _points(db, link.a_device, link.a_interface, now[0] - 3600, now[0])
    assert set(got) <= set(METRICS) and "govnet_interface_in_bps" in got
    assert store.samples(link.a_device, link.a_interface) == []
    answer = interface_history(store, db, link.a_device, link.a_interface, "1h", now[0])
    assert answer["source"] == "victoriametrics" and answer["series"]["govnet_interface_in_bps"]
    store.close()


def test_history_without_victoriametrics_reads_the_store(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "monitor.db"))
    now = 1_800_000_000.0
    store.write_samples(
        [
            Sample(now - 120, "hub-1", "eth1", "L1", 5e6, 1e6, 50.0),
            Sample(now - 7200, "hub-1", "eth1", "L1", 1.0, 1.0, 1.0),
        ]
    )
    answer = interface_history(store, None, "hub-1", "eth1", "1h", now)
    store.close()
    assert answer["source"] == "store"
    assert answer["series"]["govnet_interface_in_bps"] == [[now - 120, 5e6]]


def test_a_database_away_gets_every_sample_when_it_returns_bounded_meanwhile() -> None:
    port = free_port()
    writer = SeriesWriter(VictoriaMetrics(f"http://127.0.0.1:{port}", timeout=2), max_pending=50).start()
    now = time.time() - 120
    writer.write_samples([Sample(now + i, "dev-away", "eth1", None, float(i), 0.0, 0.0) for i in range(40)])
    _wait_for(lambda: writer.failures >= 1, 30, "a failed send")
    writer.write_samples(
        [Sample(now + 40 + i, "dev-away", "eth1", None, float(40 + i), 0.0, 0.0) for i in range(20)]
    )
    assert writer.dropped == 10 and writer.pending == 50  # the bound: the 10 oldest are gone, counted
    with victoria_metrics(port) as url:
        _wait_for(lambda: writer.sent == 50, 90, "the queued samples after the database returned")
        db = VictoriaMetrics(url)
        _wait_for(lambda: len(db.raw(IN_BPS, "dev-away", "eth1", now - 1, now + 60)) == 50, 30, "50 points")
        values = [v for _t, v in db.raw(IN_BPS, "dev-away", "eth1", now - 1, now + 60)]
        writer.close()
    assert values == [float(i) for i in range(10, 60)]


def test_the_api_serves_history_from_victoriametrics_within_the_tokens_scope(
    net: Network, tmp_path: Path
) -> None:
    with victoria_metrics() as vm_url:  # its own: the engine test writes every interface
        _api_history(net, vm_url, tmp_path)


def _api_history(net: Network, vm_url: str, tmp_path: Path) -> None:
    link = next(lk for lk in net.links if net.district_of(lk.a_device))
    device, interface = link.a_device, link.a_interface
    district = net.district_of(device)
    other = next(d for d in net.district_names if d != district)
    db = VictoriaMetrics(vm_url)
    now = time.time()
    db.write([Sample(now - 30, device, interface, link.id, 7e6, 1e6, 70.0)])
    _wait_for(lambda: db.raw(IN_BPS, device, interface, now - 60, now), 30, "the written sample")
    store = open_store(str(tmp_path / "monitor.db"))
    tokens = TokenStore(tmp_path / "tokens.json")
    client = TestClient(create_app(ApiState(net, store, tokens, series=db)))

    def get(path: str, role: Role = Role.NOC, scope: str | None = None) -> Any:
        token, _ = tokens.create(role, scope)
        return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})

    answer = get(f"/devices/{device}/interfaces/{interface}/history?window=1h")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["source"] == "victoriametrics"
    assert body["series"][IN_BPS][-1][1] == 7e6
    assert get(f"/devices/{device}/interfaces/{interface}/history", scope=district).status_code == 200
    assert get(f"/devices/{device}/interfaces/{interface}/history", scope=other).status_code == 403
    assert get(f"/devices/{device}/interfaces/no-such-if/history").status_code == 404
    assert get(f"/devices/{device}/interfaces/{interface}/history?window=1y").status_code == 422
    assert get(f"/devices/{device}/interfaces/{interface}/history", role=Role.IOC).status_code == 403
    store.close()


def test_optical_power_goes_to_victoriametrics_with_its_port_link_and_direction(
    net: Network, vm_url: str, tmp_path: Path
) -> None:
    """Transceiver power is a series too (the SQL store keeps only the last reading, in the
    device's detail): one per port, labelled as on /metrics plus the port and its link."""
    link = next(lk for lk in net.links if lk.medium.value == "fiber")
    agents = FakeScraper(net)
    agents.rx[(link.a_device, link.a_interface)] = -7.3
    now = [time.time() - 600]
    store = open_store(str(tmp_path / "monitor.db"))
    mon = Monitor(net, store, agents, targets_from_inventory(net), clock=lambda: now[0])
    writer = SeriesWriter(VictoriaMetrics(vm_url)).start()
    mon.series = writer
    for _ in range(2):
        asyncio.run(mon.tick())
        now[0] += 300
    writer.close(timeout=60)
    store.close()
    assert writer.dropped == 0
    db = VictoriaMetrics(vm_url)
    query = f'govnet_optical_power_dbm{{device="{link.a_device}"}}'

    def found() -> list[dict[str, Any]]:
        return db.query_range(query, now[0] - 3600, now[0], 60.0)

    _wait_for(found, 30, "the optical series")
    (series,) = found()
    labels = series["metric"]
    assert (labels["interface"], labels["link"], labels["direction"]) == (link.a_interface, link.id, "rx")
    assert {float(v) for _t, v in series["values"]} == {-7.3}


def _export(url: str, match: str, start: float, end: float) -> list[dict[str, Any]]:
    """Every stored sample of the series ``match`` selects in [start, end], as written (VictoriaMetrics'
    /api/v1/export: one JSON line per series, no step, no lookback, no deduplication by a query)."""
    params = urllib.parse.urlencode({"match[]": match, "start": f"{start:.3f}", "end": f"{end:.3f}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{url}/api/v1/export?{params}", timeout=30) as answer:
        return [json.loads(line) for line in answer.read().splitlines() if line.strip()]


def test_receive_power_is_written_once_per_poll(net: Network, vm_url: str, tmp_path: Path) -> None:
    """It was written twice: as the sample's govnet_interface_rx_dbm and as the optic's
    govnet_optical_power_dbm{direction="rx"}. Counted per timestamp over every series of the port."""
    link = next(lk for lk in net.links if lk.medium.value == "fiber")
    port = (link.a_device, link.a_interface)
    agents = FakeScraper(net)
    agents.rx[port] = -9.5
    start = time.time() - 4000
    now = [start]
    store = open_store(str(tmp_path / "monitor.db"))
    mon = Monitor(net, store, agents, targets_from_inventory(net), clock=lambda: now[0])
    writer = SeriesWriter(VictoriaMetrics(vm_url)).start()
    mon.series = writer
    for _ in range(3):
        asyncio.run(mon.tick())
        now[0] += 300
    writer.close(timeout=60)
    store.close()
    assert writer.dropped == 0
    where = f'device="{link.a_device}",interface="{link.a_interface}"'
    power = f'{{__name__=~"govnet_interface_rx_dbm|govnet_optical_power_dbm",{where}}}'

    def rx_series() -> list[dict[str, Any]]:
        found = _export(vm_url, power, start - 1, now[0])
        return [s for s in found if s["metric"].get("direction", "rx") == "rx"]

    _wait_for(lambda: sum(len(s["timestamps"]) for s in rx_series()) >= 3, 30, "three polls' receive power")
    per_stamp = Counter(t for s in rx_series() for t in s["timestamps"])
    assert len(per_stamp) == 3 and set(per_stamp.values()) == {1}, per_stamp
    assert {v for s in rx_series() for v in s["values"]} == {-9.5}
    # the interface's history still has its receive power, under the history's name for it
    # The query API did not show the fresh series yet once under stress-ng, while the export did.
    _wait_for(
        lambda: (
            "govnet_interface_rx_dbm"
            in VictoriaMetrics(vm_url).interface_history(*port, start - 1, now[0], 60.0)
        ),
        30,
        "the receive power in the interface's history",
    )
    history = VictoriaMetrics(vm_url).interface_history(*port, start - 1, now[0], 60.0)
    assert {v for _t, v in history["govnet_interface_rx_dbm"]} == {-9.5}
    assert {
        v for _t, v in VictoriaMetrics(vm_url).raw("govnet_interface_rx_dbm", *port, start - 1, now[0])
    } == {-9.5}
