"""The NOC console in a real headless Chromium, under the page's strict CSP, over a province the
real engine filled from fake agents (tests/nocworld.py): the map (a dead hub red, zoom, pan,
communes, search), a device page with its charts, an incident acknowledged (and audited), and
hostile inventory text shown as text. The screenshots in docs/img are these tests' own
(``scripts/screenshots.py`` runs them with GOVNET_SCREENSHOTS=docs/img)."""

from __future__ import annotations

import json
import math
import os
import re
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.boundary import load_boundary
from govnet.api.deps import ApiState
from govnet.api.headers import PAGE_CSP
from govnet.api.tiles import Tiles
from govnet.errors import GovnetError
from tests.nocworld import HOSTILE_AGENCY, HOSTILE_COMMUNE, HOSTILE_SITE, NocWorld, build
from tests.procs import free_port
from tests.test_api_lab import chromium, wait_until


@dataclass
class Console:
    world: NocWorld
    client: TestClient
    tokens: TokenStore
    base: str
    shots: Path

    def headers(self, role: Role = Role.NOC, district: str | None = None) -> dict[str, str]:
        token, _ = self.tokens.create(role, district)
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, role: Role = Role.NOC, district: str | None = None) -> Any:
        answer = self.client.get(f"/api/v1{path}", headers=self.headers(role, district))
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app on a loopback port picked by the OS, in a thread; its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 30
    while not server.started and time.monotonic() < end:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    home = tmp_path_factory.mktemp("noc-console")
    world = build(home)
    tokens = TokenStore(home / "tokens.json")
    app = create_app(ApiState(world.network, world.store, tokens))
    shots = Path(os.environ.get("GOVNET_SCREENSHOTS") or home / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    try:
        with serving(app) as base:
            yield Console(world, TestClient(app), tokens, base, shots)
    finally:
        world.store.close()


# ---------------------------------------------------------------------- the API the page reads
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


# ---------------------------------------------------------------------- the boundary layer
def _hull(console: Console) -> dict[str, Any]:
    """A polygon around the sites (the test's stand-in for a province boundary file)."""
    box = console.world.network.province.bbox
    ring = [[box.min_lon, box.min_lat], [box.max_lon, box.min_lat], [box.max_lon, box.max_lat],
            [box.min_lon, box.max_lat], [box.min_lon, box.min_lat]]  # fmt: skip
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": HOSTILE_SITE, "extra": "dropped"},
             "geometry": {"type": "Polygon", "coordinates": [ring]}},
            {"type": "Feature", "properties": None,
             "geometry": {"type": "LineString", "coordinates": [[106.5, 11.5], [106.9, 11.9, 120.0]]}},
        ],
    }  # fmt: skip


def test_a_boundary_file_is_checked_cleaned_and_served(console: Console, tmp_path: Path) -> None:
    good = tmp_path / "boundary.geojson"
    good.write_text(json.dumps(_hull(console)), encoding="utf-8")
    layer = load_boundary(good)
    assert [f["properties"] for f in layer["features"]] == [{"name": HOSTILE_SITE}, {"name": None}]
    assert layer["features"][1]["geometry"]["coordinates"][1] == [106.9, 11.9]  # no altitude kept
    for doc, words in (
        (
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}}],
            },
            "features[0]: geometry type 'Point'",
        ),
        (
            {"type": "Polygon", "coordinates": [[[1, 2], [3, "x"]]]},
            "features[0].coordinates[0][1]: a position must be",
        ),
        ({"type": "LineString", "coordinates": [[1, 2], [400, 2]]}, "outside"),
        ([1, 2], "not a GeoJSON object"),
    ):
        bad = tmp_path / "bad.geojson"
        bad.write_text(json.dumps(doc), encoding="utf-8")
        with pytest.raises(GovnetError, match=re.escape(words)):
            load_boundary(bad)
    (tmp_path / "bin.geojson").write_bytes(b"\xff\xfe")
    with pytest.raises(GovnetError, match="not UTF-8 JSON"):
        load_boundary(tmp_path / "bin.geojson")
    # `govnet serve` refuses a bad file before it listens, naming it.
    done = subprocess.run(
        [sys.executable, "-m", "govnet.cli", "serve", "--port", str(free_port()), "--boundary", str(bad)],
        check=False, capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode != 0 and "not a GeoJSON object" in done.stdout + done.stderr, done

    world = console.world
    app = create_app(ApiState(world.network, world.store, console.tokens, boundary=good))
    client = TestClient(app)
    headers = console.headers(Role.IOC)
    assert client.get("/api/v1/map", headers=headers).json()["boundary"] == "/api/v1/map/boundary"
    assert client.get("/api/v1/map/boundary", headers=headers).json() == layer
    assert client.get("/api/v1/map/boundary").status_code == 401
    assert console.client.get("/api/v1/map/boundary", headers=headers).status_code == 404  # none given
    with serving(app) as base:
        browser = chromium()
        try:
            token, _ = console.tokens.create(Role.NOC)
            browser.get(f"{base}/#token={token}")
            wait_until(
                lambda: browser.find_elements("css selector", "path.boundary"), 30, "the boundary drawn"
            )
            assert browser.find_elements("css selector", "path.boundary-line")
            title = browser.find_element("css selector", "path.boundary title").get_attribute("textContent")
            assert title == HOSTILE_SITE and browser.title == "govnet NOC"
            _no_violations(browser)
        finally:
            browser.quit()


# ---------------------------------------------------------------------- the tile layer
def _png(rgb: tuple[int, int, int]) -> bytes:
    """A 256 x 256 PNG of one colour (a stand-in for a rendered map tile)."""
    raw = b"".join(b"\x00" + bytes(rgb) * 256 for _ in range(256))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _tile_row(lat: float, n: int) -> int:
    return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def test_a_tile_directory_is_served_and_drawn_and_a_tile_url_is_allowed_by_the_csp(
    console: Console, tmp_path: Path
) -> None:
    box = console.world.network.province.bbox
    for z in range(9, 14):
        n = 2**z
        cols = range(int((box.min_lon + 180) / 360 * n) - 1, int((box.max_lon + 180) / 360 * n) + 2)
        rows = range(_tile_row(box.max_lat, n) - 1, _tile_row(box.min_lat, n) + 2)
        for x in cols:
            (tmp_path / "tiles" / str(z) / str(x)).mkdir(parents=True)
            for y in rows:
                (tmp_path / "tiles" / str(z) / str(x) / f"{y}.png").write_bytes(_png((20, 40 + z * 8, 60)))
    world = console.world
    app = create_app(
        ApiState(world.network, world.store, console.tokens, tiles=Tiles.parse(str(tmp_path / "tiles")))
    )
    client = TestClient(app)
    headers = console.headers(Role.IOC)
    assert client.get("/api/v1/map", headers=headers).json()["tiles"] == "/api/v1/map/tiles/{z}/{x}/{y}.png"
    assert client.get("/api/v1/map/tiles/11/0/0.png", headers=headers).status_code == 404
    assert client.get("/api/v1/map/tiles/2/4/0.png", headers=headers).status_code == 404  # outside zoom 2
    assert client.get("/api/v1/map/tiles/11/../0.png", headers=headers).status_code in {404, 422}
    assert client.get("/").headers["content-security-policy"] == PAGE_CSP  # served here: 'self'
    with serving(app) as base:
        browser = chromium()
        try:
            token, _ = console.tokens.create(Role.NOC)
            browser.get(f"{base}/#token={token}")
            wait_until(lambda: browser.find_elements("css selector", "image.tile"), 30, "tiles drawn")
            href = browser.find_element("css selector", "image.tile").get_attribute("href")
            assert href.startswith("/api/v1/map/tiles/")
            fetched = browser.execute_script(
                "return fetch(arguments[0]).then(r => r.status + ' ' + r.headers.get('content-type'))", href
            )
            assert fetched == "200 image/png"
            assert not browser.find_element("css selector", ".grid").is_displayed()
            logs = [
                e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]
            ]
            assert not logs, logs
        finally:
            browser.quit()
    # A tile server's URL: the page may load images from it, and nothing else.
    remote = Tiles.parse("https://tiles.example.org/osm/{z}/{x}/{y}.png")
    app = create_app(ApiState(world.network, world.store, console.tokens, tiles=remote))
    client = TestClient(app)
    assert client.get("/api/v1/map", headers=headers).json()["tiles"] == remote.template
    csp = client.get("/").headers["content-security-policy"]
    assert "img-src 'self' https://tiles.example.org;" in csp and csp.count("tiles.example.org") == 1
    for bad in (
        "ftp://x/{z}/{x}/{y}",
        "https://user:pw@x/{z}/{x}/{y}",
        "https://x/{z}/{x}",
        "https://x/{z}/{x}/{y}'><",
        str(tmp_path / "none"),
    ):
        with pytest.raises(GovnetError):
            Tiles.parse(bad)


# ---------------------------------------------------------------------- in Chromium
def _browser(console: Console) -> Any:
    browser = chromium()
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False},
    )
    token, _ = console.tokens.create(Role.NOC, note="NOC wall")
    browser.get(f"{console.base}/#token={token}")
    wait_until(lambda: browser.find_elements("css selector", "li.incident"), 60, "the incidents listed")
    return browser


def _no_violations(browser: Any) -> None:
    logs = browser.get_log("browser")
    bad = [e["message"] for e in logs if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]]
    assert not bad, bad


def _shot(browser: Any, console: Console, name: str) -> Path:
    path = console.shots / name
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 20_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def _view_box(browser: Any) -> list[float]:
    view = browser.execute_script("return document.getElementById('map').getAttribute('viewBox')")
    return [float(v) for v in view.split()]


def test_the_map_shows_the_dead_hub_red_zooms_pans_and_shows_hostile_text_as_text(console: Console) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    world = console.world
    assert httpx.get(f"{console.base}/map.js").headers["content-security-policy"] == PAGE_CSP
    browser = _browser(console)
    try:
        hub_site = world.network.devices[world.hub].site
        dot = f"circle[data-site='{hub_site}']"
        wait_until(
            lambda: browser.find_element("css selector", dot).get_attribute("data-status") == "down",
            30,
            "the hub red",
        )
        assert (
            browser.execute_script(f'return getComputedStyle(document.querySelector("{dot}")).fill')
            == "rgb(248, 81, 73)"
        )
        behind_sites = {world.network.devices[d].site for d in world.behind}
        down = {
            e.get_attribute("data-site")
            for e in browser.find_elements("css selector", "circle[data-status='down']")
        }
        assert behind_sites <= down
        assert browser.find_elements("css selector", "g.link-group[data-status='flapping']")
        hot = browser.find_element("css selector", f"g.link-group[data-link='{world.hot_link}'] line.link")
        assert "util-high" in hot.get_attribute("class")
        maintained_site = world.network.devices[world.maintained_cpe].site
        assert "maintenance" in browser.find_element(
            "css selector", f"circle[data-site='{maintained_site}']"
        ).get_attribute("class")
        assert browser.find_element("id", "legend").is_displayed()
        assert "Acknowledge" in browser.find_element("id", "incidents").text
        assert browser.find_elements("css selector", "#alerts li[data-severity='major']")
        assert browser.find_elements("css selector", "#maintenance li.window.active")
        wait_until(lambda: browser.find_elements("css selector", "#changes li.change"), 30, "the event log")
        # The map fills its box around the sites (not a corner of the province box).
        box = browser.find_element("id", "map").rect
        assert box["width"] > 1000 and box["height"] > 700
        _shot(browser, console, "noc-map.png")

        # Zoom: the buttons and the wheel narrow the view, "fit" restores it; a drag pans.
        fitted = _view_box(browser)
        browser.find_element("id", "zoom-in").click()
        assert _view_box(browser)[2] < fitted[2] * 0.7
        browser.find_element("id", "zoom-fit").click()
        assert _view_box(browser) == pytest.approx(fitted, rel=1e-3)
        ActionChains(browser).scroll_to_element(browser.find_element("id", "map")).perform()
        browser.execute_script(
            "document.getElementById('map').dispatchEvent(new WheelEvent('wheel', "
            "{deltaY: -400, clientX: 600, clientY: 500, bubbles: true, cancelable: true}))"
        )
        zoomed = _view_box(browser)
        assert zoomed[2] < fitted[2] * 0.7
        ActionChains(browser).move_to_element_with_offset(
            browser.find_element("id", "map"), 0, 0
        ).click_and_hold().move_by_offset(150, 80).release().perform()
        panned = _view_box(browser)
        assert panned[0] < zoomed[0] and panned[1] < zoomed[1] and panned[2] == pytest.approx(zoomed[2])
        assert "#/device" not in browser.current_url  # the drag was not a click on a site

        # Hostile inventory text: shown literally, never run.
        hostile = browser.find_element("css selector", f"circle[data-site='{world.hostile_site}'] title")
        assert hostile.get_attribute("textContent").startswith(HOSTILE_SITE)
        search = browser.find_element("id", "search")
        search.send_keys("onerror")
        wait_until(
            lambda: HOSTILE_SITE in browser.find_element("id", "search-results").text,
            10,
            "the hostile site found",
        )
        search.clear()
        search.send_keys("script document")
        wait_until(
            lambda: HOSTILE_AGENCY in browser.find_element("id", "search-results").text,
            10,
            "the hostile agency found",
        )
        # Diacritics ignored: "so y te" finds "Sở Y tế"; Enter opens the first result's page.
        search.clear()
        search.send_keys("so y te")
        wait_until(
            lambda: "Sở Y tế" in browser.find_element("id", "search-results").text, 10, "Sở Y tế found"
        )
        search.send_keys(Keys.ENTER)
        wait_until(lambda: "#/device/" in browser.current_url, 10, "the first result opened")
        browser.get(f"{console.base}/#/")
        wait_until(lambda: browser.find_element("id", "map-view").is_displayed(), 10, "the map again")
        options = [o.text for o in browser.find_elements("css selector", "#commune option")]
        assert any(o.startswith(HOSTILE_COMMUNE) for o in options)
        markup = "img, [onerror], [onmouseover], script:not([src])"
        assert browser.execute_script(f"return document.querySelectorAll('{markup}').length") == 0
        assert browser.title == "govnet NOC"

        # A commune: the map fits its sites, the others dimmed; its own URL.
        commune = world.network.sites[world.hostile_site].commune
        (value,) = [
            o.get_attribute("value")
            for o in browser.find_elements("css selector", "#commune option")
            if o.text.startswith(str(commune))
        ]
        browser.get(f"{console.base}/#/commune/{value}")
        wait_until(
            lambda: browser.find_elements("css selector", "circle.site.dim"), 20, "the other communes dimmed"
        )
        assert "dim" not in browser.find_element(
            "css selector", f"circle[data-site='{world.hostile_site}']"
        ).get_attribute("class")
        assert _view_box(browser)[2] < fitted[2] / 5
        assert browser.title == "govnet NOC"
        _no_violations(browser)
    finally:
        browser.quit()


def test_a_device_page_from_the_map_with_interfaces_optics_and_history_charts(console: Console) -> None:
    world = console.world
    device, port = world.optic
    browser = _browser(console)
    try:
        site = world.network.devices[device].site
        browser.find_element("css selector", f"circle[data-site='{site}']").click()
        wait_until(lambda: browser.current_url.endswith(f"#/device/{device}"), 20, "the device's own URL")
        wait_until(
            lambda: browser.find_elements("css selector", "#page[data-page='device'] table.interfaces"),
            20,
            "the device page",
        )
        row = browser.find_element("css selector", f"tr[data-interface='{port}']")
        assert "dBm" in row.text and row.find_element("css selector", "span.down").text.startswith("-")
        assert browser.find_element("css selector", ".page-title").text == device
        wait_until(
            lambda: browser.find_elements("css selector", "figure[data-chart='traffic'] path.chart-line"),
            30,
            "the traffic chart",
        )
        traffic = browser.find_elements("css selector", "figure[data-chart='traffic'] path.chart-line")
        assert len(traffic) == 2 and all(int(p.get_attribute("data-points")) >= 10 for p in traffic)
        assert browser.find_elements("css selector", "figure[data-chart='utilisation'] path.chart-line")
        optical = browser.find_elements("css selector", "figure[data-chart='optical'] path.chart-line")
        assert len(optical) == 1 and int(optical[0].get_attribute("data-points")) >= 10
        assert browser.find_elements("css selector", "figure[data-chart='optical'] line.chart-limit")
        firing = browser.find_element("css selector", ".page-grid").text
        assert "low-optical-power" in firing
        browser.execute_script("window.scrollTo(0, 0)")
        _shot(browser, console, "noc-device.png")
        for window in ("24h", "30d"):
            browser.find_element("css selector", f"button[data-window='{window}']").click()
            wait_until(
                lambda w=window: (
                    browser.find_element("css selector", ".charts").get_attribute("data-window") == w
                ),
                20,
                f"the {window} charts",
            )
        # The hub's page: unreachable, from its own URL; back to the map.
        browser.get(f"{console.base}/#/device/{world.hub}")
        wait_until(
            lambda: browser.find_elements(
                "css selector", f"#page[data-device='{world.hub}'][data-status='unreachable']"
            ),
            20,
            "the dead hub's page",
        )
        browser.find_element("css selector", "a.back").click()
        wait_until(lambda: browser.find_element("id", "map-view").is_displayed(), 10, "the map again")
        _no_violations(browser)
    finally:
        browser.quit()


def test_acknowledging_the_hub_incident_changes_its_state_and_is_audited(console: Console) -> None:
    world = console.world
    browser = _browser(console)
    try:
        (incident,) = [i for i in world.store.incidents(open_only=True) if i.root_cause == world.hub]
        row = f"li.incident[data-incident='{incident.id}']"
        assert browser.find_element("css selector", row).get_attribute("data-state") == "open"
        # The incident's page, from the list: what it cuts off, by name (hostile ones as text).
        browser.find_element("css selector", f"{row} a").click()
        wait_until(
            lambda: browser.current_url.endswith(f"#/incident/{incident.id}"), 20, "the incident's URL"
        )
        page = "#page[data-page='incident']"
        wait_until(
            lambda: browser.find_elements("css selector", f"{page}[data-state='open']"), 20, "the page"
        )
        cut_off = browser.execute_script("return document.getElementById('page').textContent")
        radius = incident.detail["blast_radius"]["agencies"]
        assert HOSTILE_AGENCY in cut_off and f"Agencies cut off ({radius})" in cut_off
        browser.find_element("css selector", f"#ack-state button[data-ack='{incident.id}']").click()
        wait_until(
            lambda: browser.find_elements("css selector", f"{page}[data-state='acknowledged']"), 20, "acked"
        )
        wait_until(
            lambda: browser.find_element("css selector", row).get_attribute("data-state") == "acknowledged",
            20,
            "the list showing it acknowledged",
        )
        assert "NOC wall" in browser.find_element("id", "ack-state").text
        assert "acknowledged" in browser.find_element("css selector", row).text
        assert not browser.find_elements("css selector", f"button[data-ack='{incident.id}']")
        assert browser.title == "govnet NOC"
        _shot(browser, console, "noc-ack.png")
        stored = world.store.incident(incident.id)
        assert stored is not None and stored.acknowledged_at
        assert stored.acknowledged_by is not None and stored.acknowledged_by.endswith("(NOC wall)")
        audit = console.client.app.state.govnet.audit.entries(50, 0)[0]  # type: ignore[attr-defined]
        assert any(
            e.action == "incident.ack"
            and e.target == f"incident {incident.id}"
            and e.token_name == "NOC wall"
            for e in audit
        )
        _no_violations(browser)
    finally:
        browser.quit()


def test_an_ioc_token_gets_the_map_and_counts_without_the_nocs_lists(console: Console) -> None:
    browser = chromium()
    try:
        token, _ = console.tokens.create(Role.IOC, note="IOC wall")
        browser.get(f"{console.base}/#token={token}")
        hub_site = console.world.network.devices[console.world.hub].site
        dot = f"circle[data-site='{hub_site}'][data-status='down']"
        wait_until(lambda: browser.find_elements("css selector", dot), 30, "the map for the IOC")
        assert "need a noc token" in browser.find_element("id", "side").text
        assert not browser.find_elements("css selector", "button.ack")
        assert browser.find_element("id", "who").text == "ioc"
        _no_violations(browser)
    finally:
        browser.quit()
