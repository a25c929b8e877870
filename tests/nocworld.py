"""A province for the NOC console's tests and screenshots: the sample inventory (with hostile
names), the real engine over fake agents for the last hour of real time, and what a NOC sees on a
bad day: a dead hub, a flapping link, a hot link, an optic losing light, WiFi clients, a CPE down
inside a maintenance window (acknowledged), a planned window.

Shared by tests/test_noc_console.py and scripts/screenshots.py (one scenario, one set of pictures).
"""

from __future__ import annotations

import asyncio
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.inventory.models import Role as DeviceRole
from govnet.inventory.network import Network
from govnet.monitor.alerts import FlapDetector
from govnet.monitor.config import targets_from_inventory
from govnet.monitor.engine import Monitor
from govnet.monitor.fake import FakeScraper
from govnet.monitor.incidents import reachable_from_core
from govnet.monitor.store import Store, open_store

#: Inventory text that would run if a page built HTML from it.
HOSTILE_SITE = "<img src=x onerror=\"document.title='pwned-site'\">"
HOSTILE_AGENCY = "<script>document.title='pwned-agency'</script>"
HOSTILE_COMMUNE = "Xã <b onmouseover=\"document.title='pwned-commune'\">Độc</b>"

STEP = 120.0
MINUTES = 60


@dataclass
class NocWorld:
    """The scenario's facts, for the assertions."""

    network: Network
    store: Store
    home: Path
    hub: str
    behind: set[str]
    hostile_cpe: str
    hostile_site: str
    flapping_link: str
    hot_link: str
    optic: tuple[str, str]
    maintained_cpe: str
    wifi_ap: str
    now: float
    windows: list[int] = field(default_factory=list)


def _hostile_copy(home: Path, site_id: str, agency_id: str) -> Path:
    """The sample inventory with one site, its commune and one agency renamed to markup."""
    target = home / "inventory"
    shutil.copytree(sample_dir(), target)
    for path in sorted((target / "districts").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        touched = False
        for site in doc.get("sites", []):
            if site["id"] == site_id:
                site["name"], site["commune"], touched = HOSTILE_SITE, HOSTILE_COMMUNE, True
        for agency in doc.get("agencies", []):
            if agency["id"] == agency_id:
                agency["name"], touched = HOSTILE_AGENCY, True
        if touched:
            path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def build(home: Path) -> NocWorld:
    """Run the engine over the last hour (one tick a minute) and return what it left in the store."""
    sample = load_inventory(sample_dir())
    hub = max(
        (d.name for d in sample.devices_with_role(DeviceRole.HUB)),
        key=lambda h: len(sample.links_by_device[h]),
    )
    behind = reachable_from_core(sample, set(), set()) - reachable_from_core(sample, set(), {hub})
    agency = sorted((a for a in sample.agencies.values() if a.cpe in behind), key=lambda a: a.id)[0]
    network = load_inventory(_hostile_copy(home, agency.site, agency.id))
    hub_district = network.district_of(hub)
    elsewhere = [
        lk
        for lk in network.links
        if network.district_of(lk.b_device) != hub_district
        and network.devices[lk.b_device].role == DeviceRole.CPE
        and lk.a_device not in behind
    ]
    flapping, maintained_link = elsewhere[0], elsewhere[7]
    ring = [
        lk
        for lk in network.links
        if {lk.a_device, lk.b_device} <= {d.name for d in network.devices_with_role(DeviceRole.HUB)}
        and hub not in (lk.a_device, lk.b_device)
    ]
    hot = ring[0]
    optic_link = ring[1]
    optic = (optic_link.b_device, optic_link.b_interface)
    wifi_ap = sorted(d.name for d in network.devices_with_role(DeviceRole.WIFI_AP))[0]

    store = open_store(str(home / "monitor.db"))
    agents = FakeScraper(network)
    start = time.time() - MINUTES * 60.0
    clock = [start]
    # Polls two minutes apart: four changes of a link within ten minutes make it flap.
    flaps = FlapDetector(flaps=4, window=600)
    monitor = Monitor(
        network, store, agents, targets_from_inventory(network), clock=lambda: clock[0], flaps=flaps
    )
    counters: dict[tuple[str, str], list[float]] = {}
    for minute in range(0, MINUTES + 1, int(STEP // 60)):
        now = clock[0]
        for lk in network.links:
            share = (
                0.93
                if lk.id == hot.id
                else 0.04 + 0.3 * (lk.capacity_mbps >= 1000) + 0.01 * (len(lk.id) % 20)
            )
            wave = (
                1 + 0.35 * math.sin(now / 900 + len(lk.id))
                if lk.id != hot.id
                else 1 + 0.02 * math.sin(now / 120)
            )
            bps = 1000e6 * share * wave  # the fake agents' ports are all 1 Gbit/s (ifHighSpeed)
            for dev, port, down_share in (
                (lk.a_device, lk.a_interface, 0.3),
                (lk.b_device, lk.b_interface, 1.0),
            ):
                c = counters.setdefault((dev, port), [1e9, 1e9])
                c[0] += bps * down_share * STEP / 8
                c[1] += bps * (1.3 - down_share) * STEP / 8
                agents.octets[(dev, port)] = (int(c[0]), int(c[1]))
            if lk in ring:
                agents.rx[(lk.a_device, lk.a_interface)] = -7.5 + 0.2 * math.sin(now / 300)
                agents.rx[(lk.b_device, lk.b_interface)] = -8.1 + 0.2 * math.cos(now / 300)
        agents.rx[optic] = -11.0 - max(0.0, minute - 35) * 0.36
        for n, ap in enumerate(sorted(d.name for d in network.devices_with_role(DeviceRole.WIFI_AP))):
            agents.wifi_clients[ap] = int(12 + 8 * math.sin(now / 700 + n) + n)
        if minute == 40:
            agents.kill(maintained_link.b_device)
        if minute == 46:
            agents.kill(hub)
        if minute in (50, 52, 54, 56, 58):
            ends = {(flapping.a_device, flapping.a_interface), (flapping.b_device, flapping.b_interface)}
            agents.ports_down = agents.ports_down - ends if minute % 4 else agents.ports_down | ends
        asyncio.run(monitor.tick())
        clock[0] += STEP
    end = clock[0] - STEP
    windows = [
        store.add_maintenance(
            f"device:{maintained_link.b_device}", start, end + 7200, "Thay bộ nguồn CPE (power supply swap)"
        ),
        store.add_maintenance(
            f"district:{hub_district}",
            end + 86400,
            end + 86400 + 4 * 3600,
            "Nâng cấp vòng ring (ring upgrade)",
        ),
    ]
    for row in store.incidents(open_only=True):
        if maintained_link.b_device in row.root_cause:
            store.acknowledge(row.id, "token:noc-day-shift", end - 600)
    return NocWorld(
        network,
        store,
        home,
        hub,
        behind,
        agency.cpe,
        agency.site,
        flapping.id,
        hot.id,
        optic,
        maintained_link.b_device,
        wifi_ap,
        end,
        windows,
    )
