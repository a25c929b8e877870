"""The NOC console in a real headless Chromium, under the page's strict CSP, over a province the
real engine filled from fake agents (tests/nocworld.py): the map (a dead hub red, zoom, pan,
communes, search), a device page with its charts, an incident acknowledged (and audited), an ioc
token's view, and hostile inventory text shown as text. The screenshots in docs/img are these
tests' own (``scripts/screenshots.py`` runs them with GOVNET_SCREENSHOTS=docs/img)."""

from __future__ import annotations

import time

import httpx
import pytest

from govnet.api.auth import Role
from govnet.api.headers import PAGE_CSP
from govnet.monitor import coverage
from tests.nockit import (
    Console,
    console_fixture,  # noqa: F401 - the shared session fixture
    no_violations,
    open_console,
    shot,
    view_box,
)
from tests.nocworld import HOSTILE_AGENCY, HOSTILE_COMMUNE, HOSTILE_SITE
from tests.test_api_lab import chromium, wait_until


def test_the_map_shows_the_dead_hub_red_zooms_pans_and_shows_hostile_text_as_text(console: Console) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    world = console.world
    assert httpx.get(f"{console.base}/map.js").headers["content-security-policy"] == PAGE_CSP
    browser = open_console(console)
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
        shot(browser, console, "noc-map.png")

        # Zoom: the buttons and the wheel narrow the view, "fit" restores it; a drag pans.
        fitted = view_box(browser)
        browser.find_element("id", "zoom-in").click()
        assert view_box(browser)[2] < fitted[2] * 0.7
        browser.find_element("id", "zoom-fit").click()
        assert view_box(browser) == pytest.approx(fitted, rel=1e-3)
        ActionChains(browser).scroll_to_element(browser.find_element("id", "map")).perform()
        browser.execute_script(
            "document.getElementById('map').dispatchEvent(new WheelEvent('wheel', "
            "{deltaY: -400, clientX: 600, clientY: 500, bubbles: true, cancelable: true}))"
        )
        zoomed = view_box(browser)
        assert zoomed[2] < fitted[2] * 0.7
        ActionChains(browser).move_to_element_with_offset(
            browser.find_element("id", "map"), 0, 0
        ).click_and_hold().move_by_offset(150, 80).release().perform()
        panned = view_box(browser)
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
        assert view_box(browser)[2] < fitted[2] / 5
        assert browser.title == "govnet NOC"
        no_violations(browser)
    finally:
        browser.quit()


def test_a_device_page_from_the_map_with_interfaces_optics_and_history_charts(console: Console) -> None:
    world = console.world
    device, port = world.optic
    browser = open_console(console)
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
        shot(browser, console, "noc-device.png")
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
        no_violations(browser)
    finally:
        browser.quit()


def test_acknowledging_the_hub_incident_changes_its_state_and_is_audited(console: Console) -> None:
    world = console.world
    browser = open_console(console)
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
        shot(browser, console, "noc-ack.png")
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
        no_violations(browser)
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
        no_violations(browser)
    finally:
        browser.quit()


def test_a_change_arrives_live_on_the_map_and_in_the_event_log(console: Console) -> None:
    world = console.world
    quiet = sorted(
        d
        for d in world.network.devices
        if d.startswith("cpe-") and d not in world.behind and d != world.maintained_cpe
    )[-1]
    site = world.network.devices[quiet].site
    browser = open_console(console)
    try:
        dot = f"circle[data-site='{site}']"
        assert browser.find_element("css selector", dot).get_attribute("data-status") == "up"
        wait_until(lambda: browser.find_element("id", "live").text == "live", 30, "the event stream open")
        world.store.set_states([("device", quiet, "unreachable", None)], time.time(), "poll")
        wait_until(
            lambda: browser.find_element("css selector", dot).get_attribute("data-status") == "down",
            30,
            "live",
        )
        top = browser.find_element("css selector", "#changes li")
        assert quiet in top.text and "unreachable" in top.text
        no_violations(browser)
    finally:
        world.store.set_states([("device", quiet, "up", None)], time.time(), "poll")
        browser.quit()


def test_a_banner_says_the_monitor_went_silent_or_stopped_and_goes_when_it_runs(console: Console) -> None:
    """The states on the wall are the last known when the monitor is not running: a banner says so,
    since when, and goes away when a monitor runs again (pushed on the event stream). The API's
    grace is cut to 3 s for this test (a beat is 15 s apart): the silence comes without a wait."""
    beat = console.heartbeat
    watch = console.client.app.state.govnet.watch  # type: ignore[attr-defined]
    browser = open_console(console)
    banner = browser.find_element("id", "monitor-banner")

    def body_says() -> str | None:
        said: str | None = browser.find_element("tag name", "body").get_attribute("data-monitor")
        return said

    try:
        assert not banner.is_displayed() and body_says() == "running"
        wait_until(lambda: browser.find_element("id", "live").text == "live", 30, "the event stream open")
        watch.grace_s = 3.0
        beat.pause()  # as a killed monitor: its row stays "running", its heartbeat stops
        wait_until(banner.is_displayed, 30, "the banner of a silent monitor")
        assert banner.text.startswith("Monitoring silent since"), banner.text
        assert "may have died" in banner.text and "the states shown are the last known" in banner.text
        assert body_says() == "silent"
        shot(browser, console, "noc-monitor-silent.png")
        beat.coverage.end(time.time())
        wait_until(lambda: banner.text.startswith("Monitoring stopped since"), 30, "the banner of a stop")
        assert "the states shown are the last known" in banner.text and banner.is_displayed()
        watch.grace_s = coverage.GRACE_S
        beat.resume()
        wait_until(lambda: not banner.is_displayed(), 30, "the banner gone when the monitor runs")
        assert body_says() == "running"
        no_violations(browser)
    finally:
        watch.grace_s = coverage.GRACE_S
        beat.resume()
        browser.quit()
