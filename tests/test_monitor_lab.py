"""`govnet monitor run` against the lab's real agents: traps, incidents, /metrics.

One monitor process runs for the whole module (the way the NOC runs it); the tests cut links and
stop nodes in the lab and read what it printed (``--events``) and what it stored.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govnet.lab.faults import attenuate, fail, restore, set_wifi_clients
from govnet.monitor.store import open_store
from tests.labkit import LabHandle
from tests.procs import Running, free_port, start_monitor, stop_monitor

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def monitor(lab: LabHandle) -> Iterator[Running]:
    tmp = Path(tempfile.mkdtemp(prefix="govnet-monitor-"))
    rules = tmp / "rules.yaml"  # the NOC's own thresholds: optical power alerts at once
    rules.write_text(
        "rules:\n"
        "  - {name: low-optical-power, metric: optical_dbm, raise_at: -25, clear_at: -23,"
        " for_seconds: 0, below: true}\n",
        encoding="utf-8",
    )
    running = start_monitor(lab, f"sqlite:///{tmp / 'monitor.db'}", "--interval", "4", "--rules", str(rules))
    try:
        # Ready when every device answered a first poll.
        answered: set[str] = set()

        def first_poll(event: dict[str, Any]) -> bool:
            if event.get("kind") == "device" and event.get("new") == "up":
                answered.add(event["name"])
            return answered == set(lab.network.devices)

        running.wait_for(first_poll, 30, "every lab device answering")
        yield running
    finally:
        stop_monitor(running)
        shutil.rmtree(tmp, ignore_errors=True)


def single_homed_cpe_link(lab: LabHandle) -> tuple[str, str]:
    for name, dev in sorted(lab.network.devices.items()):
        links = lab.network.links_by_device.get(name, [])
        if dev.role.value == "cpe" and len(links) == 1 and lab.network.agencies_by_cpe.get(name):
            return name, links[0].id
    raise AssertionError("the small lab has no single-homed CPE")


def test_a_cut_link_is_one_incident_within_10_s_and_closes_on_restore(
    lab: LabHandle, monitor: Running
) -> None:
    cpe, link_id = single_homed_cpe_link(lab)
    monitor.drain()
    start = len(monitor.seen)
    cut_at = time.time()
    fail(lab.prefix, "link", link_id)
    try:
        changed = monitor.wait_for(
            lambda e: e.get("kind") == "link" and e.get("name") == link_id and e.get("new") == "down",
            10,
            f"{link_id} down",
        )
        assert changed["at"] - cut_at <= 10
        opened = monitor.wait_for(lambda e: e.get("event") == "incident_opened", 10, "an incident")
        time.sleep(5)  # a poll cycle later: still exactly one
        monitor.drain()
    finally:
        restore(lab.prefix, "link", link_id)
    assert sum(e.get("event") == "incident_opened" for e in monitor.seen[start:]) == 1
    store = open_store(monitor.store)
    incident = store.incident(opened["id"])
    assert incident is not None
    assert (incident.kind, incident.root_cause) == ("link", link_id)
    agencies = {a.id for a in lab.network.agencies_by_cpe[cpe]}
    listed = {e["id"] for e in incident.detail["blast_radius"]["endpoints"] if e["kind"] == "agency"}
    assert listed == agencies
    monitor.wait_for(
        lambda e: e.get("event") == "incident_closed" and e.get("id") == opened["id"],
        20,
        "the incident closing",
    )
    store.close()


def test_a_stopped_hub_is_one_incident_listing_every_agency_behind_it(
    lab: LabHandle, monitor: Running
) -> None:
    from govnet.monitor.incidents import reachable_from_core

    net = lab.network
    hubs = [d.name for d in net.devices.values() if d.role.value == "hub"]
    # The hub with agencies behind it that lose the core when it dies.
    everyone = reachable_from_core(net, set(), set())
    hub, behind = max(
        ((h, everyone - reachable_from_core(net, set(), {h}) - {h}) for h in hubs), key=lambda hb: len(hb[1])
    )
    agencies = {a.id for a in net.agencies.values() if a.cpe in behind}
    assert agencies, "the small lab should have agencies behind a hub"
    monitor.drain()
    start = len(monitor.seen)
    fail(lab.prefix, "node", hub)
    try:
        opened = monitor.wait_for(
            lambda e: e.get("event") == "incident_opened", 30, "an incident for the hub"
        )
        time.sleep(6)
        monitor.drain()
        store = open_store(monitor.store)
        open_now = store.incidents(open_only=True)
        assert [(i.kind, i.root_cause) for i in open_now] == [("node", hub)], "one incident, not one per link"
        assert opened["id"] == open_now[0].id
        listed = {e["id"] for e in open_now[0].detail["blast_radius"]["endpoints"] if e["kind"] == "agency"}
        assert listed == agencies
        assert sum(e.get("event") == "incident_opened" for e in monitor.seen[start:]) == 1
        store.close()
    finally:
        restore(lab.prefix, "node", hub)
    monitor.wait_for(lambda e: e.get("event") == "incident_closed", 30, "the hub incident closing")


def wait_all(monitor: Running, alerts: set[str], state: str) -> None:
    """Wait until every one of ``alerts`` has changed to ``state`` (in any order)."""
    left = set(alerts)

    def match(event: dict[str, Any]) -> bool:
        if event.get("kind") == "alert" and event.get("new") == state:
            left.discard(str(event.get("name")))
        return not left

    monitor.wait_for(match, 20, f"{sorted(alerts)} {state}")


def test_a_degraded_fiber_is_an_optical_alert_at_each_end_and_no_incident(
    lab: LabHandle, monitor: Running
) -> None:
    net = lab.network
    link = next(
        lk
        for lk in net.links
        if lk.medium.value == "fiber"
        and {net.devices[lk.a_device].role.value, net.devices[lk.b_device].role.value} == {"core", "hub"}
    )
    ends = {f"low-optical-power:{link.id}@{dev}" for dev in (link.a_device, link.b_device)}
    monitor.drain()
    start = len(monitor.seen)
    rx = attenuate(lab.prefix, link.id, 20.0)  # far below any transceiver's warning level
    try:
        wait_all(monitor, ends, "firing")
        store = open_store(monitor.store)
        device = next(r for r in store.current("device", detail=True) if r.name == link.a_device)
        store.close()
        assert device.detail is not None
        read = [
            o["dbm"]
            for o in device.detail["optics"]
            if o["direction"] == "rx" and o["name"].startswith(link.a_interface + " ")
        ]
        assert read == [rx]
        with urllib.request.urlopen(f"http://127.0.0.1:{monitor.metrics_port}/metrics", timeout=5) as answer:
            body = answer.read().decode()
        assert f'govnet_optical_power_dbm{{device="{link.a_device}",' in body
        assert 'govnet_alert_firing{rule="low-optical-power"' in body
    finally:
        attenuate(lab.prefix, link.id, 0.0)
    wait_all(monitor, ends, "ok")
    monitor.drain()
    # the link stayed up all along: the NOC saw the optics, not a fault
    assert not any(e.get("event") == "incident_opened" for e in monitor.seen[start:])
    assert not any(e.get("kind") == "link" and e.get("name") == link.id for e in monitor.seen[start:])


def test_wifi_client_counts_reach_the_store_and_the_metrics(lab: LabHandle, monitor: Running) -> None:
    ap = next(d.name for d in lab.network.devices.values() if d.role.value == "wifi_ap")
    set_wifi_clients(lab.prefix, ap, 37)

    def reported() -> object:
        store = open_store(monitor.store)
        try:
            row = next(r for r in store.current("device", detail=True) if r.name == ap)
            return (row.detail or {}).get("wifi_clients")
        finally:
            store.close()

    end = time.monotonic() + 20
    while time.monotonic() < end and reported() != 37:
        time.sleep(1)
    assert reported() == 37
    with urllib.request.urlopen(f"http://127.0.0.1:{monitor.metrics_port}/metrics", timeout=5) as answer:
        assert f'govnet_wifi_clients{{device="{ap}"}} 37.0' in answer.read().decode()


def test_a_real_prometheus_scrapes_the_metrics(lab: LabHandle, monitor: Running, tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        if os.environ.get("CI"):
            raise AssertionError("CI must run this: install Debian's 'prometheus' (scripts/setup.sh)")
        pytest.skip("no prometheus server here")
    web = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: govnet\n    static_configs: [{{targets: ['127.0.0.1:{monitor.metrics_port}']}}]\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{web}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        query = f"http://127.0.0.1:{web}/api/v1/query?query=govnet_device_up"
        result: list[Any] = []
        end = time.monotonic() + 30
        while time.monotonic() < end and len(result) < len(lab.network.devices):
            time.sleep(1)
            try:
                with urllib.request.urlopen(query, timeout=2) as answer:
                    result = json.load(answer)["data"]["result"]
            except OSError:
                continue
        assert {r["metric"]["device"] for r in result} == set(lab.network.devices)
        with urllib.request.urlopen(
            f"http://127.0.0.1:{web}/api/v1/query?query=ifHCInOctets", timeout=2
        ) as a:
            interfaces = json.load(a)["data"]["result"]
        # (Prometheus drops labels whose value is empty, as an unset ifAlias is.)
        assert interfaces and {"ifIndex", "ifName", "ifDescr", "device"} <= set(interfaces[0]["metric"])
    finally:
        proc.terminate()
        proc.wait(timeout=15)
