"""The API the NOC console reads, over the scenario's province (tests/nocworld.py): device, link
and site pages, alerts, maintenance, incidents with their maintenance, the event log, optical
history, district cuts, OpenAPI."""

from __future__ import annotations

from govnet.api.auth import Role
from tests.nockit import (
    Console,
    console_fixture,  # noqa: F401 - the shared session fixture
)


def test_device_page_data_has_interfaces_optics_rates_and_alerts(console: Console) -> None:
    device, port = console.world.optic
    page = console.get(f"/devices/{device}")
    assert page["status"] == "up" and page["site_name"] and page["commune"]
    (iface,) = [i for i in page["interfaces"] if i["name"] == port]
    assert iface["optical_rx_dbm"] < iface["optical_low_warning_dbm"] == -18.0
    assert iface["rates"]["in_bps"] > 0 and iface["link"] and iface["peer"]
    names = [i["name"] for i in page["interfaces"]]
    assert names.index("eth2") < names.index("eth10")  # natural order
    firing = {a["rule"] for a in page["alerts"] if a["state"] == "firing"}
    assert "low-optical-power" in firing
    ap = console.get(f"/devices/{console.world.wifi_ap}")
    assert isinstance(ap["wifi_clients"], int) and ap["wifi_clients"] > 0
    hub = console.get(f"/devices/{console.world.hub}")
    assert hub["status"] == "unreachable" and any(c["new"] == "unreachable" for c in hub["changes"])


def test_the_optic_losing_light_has_a_history(console: Console) -> None:
    device, port = console.world.optic
    answer = console.get(f"/devices/{device}/interfaces/{port}/history?window=1h")
    levels = [v for _, v in answer["series"]["govnet_interface_rx_dbm"]]
    assert len(levels) >= 10 and levels[0] > -12 and levels[-1] < -18


def test_link_page_data_shows_load_flapping_and_both_ends(console: Console) -> None:
    hot = console.get(f"/links/{console.world.hot_link}")
    assert hot["utilisation_pct"] > 90 and len(hot["ends"]) == 2
    assert {a["rule"] for a in hot["alerts"] if a["state"] == "firing"} == {"high-utilisation"}
    flapping = console.get(f"/links/{console.world.flapping_link}")
    assert flapping["flapping"] and len(flapping["changes"]) >= 4


def test_alerts_maintenance_and_incidents_say_what_covers_them(console: Console) -> None:
    world = console.world
    alerts = console.get("/alerts")["items"]
    assert {a["rule"] for a in alerts} == {"high-utilisation", "low-optical-power"}
    assert all(a["state"] == "firing" and a["since"] < world.now for a in alerts)
    assert [a["severity"] for a in alerts] == ["major", "warning"]  # the worst first
    assert len(console.get("/alerts?firing=false")["items"]) > len(alerts)  # cleared ones too
    windows = console.get("/maintenance")["items"]
    assert [w["active"] for w in windows] == [True, False]
    incidents = console.get("/incidents")["items"]
    (maintained,) = [i for i in incidents if world.maintained_cpe in i["root_cause"]]
    assert maintained["maintenance"] == [windows[0]["id"]] and maintained["acknowledged_by"]
    (flapping,) = [i for i in incidents if i["root_cause"] == world.flapping_link]
    assert flapping["flapping"] and flapping["maintenance"] == []


def test_the_console_endpoints_are_cut_to_a_district_token(console: Console) -> None:
    world = console.world
    hub_district = world.network.district_of(world.hub)
    other = world.network.district_of(world.maintained_cpe)
    assert other != hub_district
    windows = console.get("/maintenance", district=hub_district)["items"]
    assert [w["target"] for w in windows] == [f"district:{hub_district}"]  # not the other district's CPE
    assert console.get("/alerts", district=hub_district)["items"] == []
    changes = console.get("/changes", district=hub_district)["items"]
    assert changes and all(c["name"] != world.flapping_link for c in changes)
    scoped = console.headers(Role.NOC, hub_district)
    for path in (
        f"/devices/{world.maintained_cpe}",
        f"/sites/{world.network.devices[world.maintained_cpe].site}",
    ):
        assert console.client.get(f"/api/v1{path}", headers=scoped).status_code == 403, path
    assert console.client.get(f"/api/v1/links/{world.flapping_link}", headers=scoped).status_code == 404
    assert console.client.get("/api/v1/devices/no-such", headers=scoped).status_code == 404
    # The IOC role reads the map but not the NOC's pages.
    assert console.client.get("/api/v1/alerts", headers=console.headers(Role.IOC)).status_code == 403
    assert console.get("/map", role=Role.IOC)["boundary"] is None


def test_the_event_log_is_newest_first(console: Console) -> None:
    items = console.get("/changes?hours=2&limit=1000")["items"]
    assert [c["at"] for c in items] == sorted((c["at"] for c in items), reverse=True)
    assert {"device", "link", "endpoint", "alert"} <= {c["kind"] for c in items}
    assert all(c["kind"] == "link" for c in console.get("/changes?kind=link")["items"])


def test_the_new_routes_are_in_the_openapi_document(console: Console) -> None:
    doc = console.client.get("/api/v1/openapi.json").json()
    for path in ("/alerts", "/maintenance", "/changes", "/devices/{device}", "/links/{link_id}",
                 "/sites/{site_id}", "/map", "/map/boundary"):  # fmt: skip
        operation = doc["paths"][f"/api/v1{path}"]["get"]
        assert operation["summary"] and operation["security"], path
