"""End to end on the lab: `govnet monitor run` + `govnet serve`; cutting a link changes /summary,
emits an SSE event, and the NOC page in a real headless Chromium shows the site down."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from govnet.api.auth import Role, TokenStore
from govnet.lab.faults import fail, restore
from tests.labkit import LabHandle
from tests.procs import Running, start_monitor, start_server, stop_monitor, stop_process

pytestmark = pytest.mark.lab


def chromium() -> Any:
    """A headless Chromium driven by Selenium through Debian's chromedriver (no downloads)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        if os.environ.get("CI"):
            raise AssertionError("CI must run this: install chromium and chromium-driver (scripts/setup.sh)")
        pytest.skip("no chromium/chromedriver here")
    os.environ["SE_AVOID_STATS"] = "true"  # Selenium sends no usage statistics
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP violations are logged there
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tempfile.mkdtemp(prefix='govnet-chromium-')}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def wait_until(check: Any, timeout: float, what: str) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = check()
        except StaleElementReferenceException:  # the page redrew the map under the lookup
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout:g} s: {what}")


@pytest.fixture
def stack(lab: LabHandle) -> Iterator[tuple[Running, str, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="govnet-e2e-"))
    store = f"sqlite:///{tmp / 'monitor.db'}"
    tokens = TokenStore(tmp / "tokens.json")
    token, _ = tokens.create(Role.NOC)
    monitor = start_monitor(lab, store, "--interval", "4")
    server = None
    try:
        monitor.wait_for(lambda e: e.get("kind") == "endpoint", 40, "the first settled snapshot")
        server, base = start_server(lab, store, tokens.path)
        yield monitor, base, token
    finally:
        if server is not None:
            stop_process(server)
        stop_monitor(monitor)
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_cut_link_shows_in_summary_events_and_the_page(
    lab: LabHandle, stack: tuple[Running, str, str]
) -> None:
    _monitor, base, token = stack
    net = lab.network
    cpe, link_id = next(
        (name, links[0].id)
        for name, links in sorted(net.links_by_device.items())
        if net.devices[name].role.value == "cpe" and len(links) == 1 and net.agencies_by_cpe.get(name)
    )
    site = net.devices[cpe].site
    headers = {"Authorization": f"Bearer {token}"}
    before = wait_until(
        lambda: (
            (s := httpx.get(f"{base}/api/v1/summary", headers=headers).json())["agencies"]["online"]
            == len(net.agencies)
            and s
        ),
        30,
        "every lab agency online",
    )

    # An SSE listener, started before the cut.
    seen: list[dict[str, Any]] = []
    listening = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{base}/api/v1/events", headers=headers, timeout=40) as answer:
            listening.set()
            event = None
            for line in answer.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "change":
                    seen.append(json.loads(line[6:]))
                    if any(c["kind"] == "link" and c["name"] == link_id for c in seen):
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert listening.wait(10)

    browser = chromium()
    try:
        browser.get(f"{base}/#token={token}")
        wait_until(
            lambda: browser.find_element("id", "agencies-total").text == str(len(net.agencies)),
            20,
            "the page showing the agency total",
        )
        assert browser.find_element("id", "agencies-online").text == str(len(net.agencies))
        assert "token" not in browser.current_url  # the token left the address bar
        dot = f"circle[data-site='{site}']"
        assert browser.find_element("css selector", dot).get_attribute("data-status") == "up"

        fail(lab.prefix, "link", link_id)
        try:
            after = wait_until(
                lambda: (
                    (s := httpx.get(f"{base}/api/v1/summary", headers=headers).json())["agencies"]["offline"]
                    and s
                ),
                20,
                "/summary counting the cut-off agencies",
            )
            assert after["agencies"]["offline"] == len(net.agencies_by_cpe[cpe])
            assert after["agencies"]["online"] == before["agencies"]["online"] - len(net.agencies_by_cpe[cpe])
            listener.join(timeout=20)
            assert any(c["kind"] == "link" and c["name"] == link_id and c["new"] == "down" for c in seen)
            wait_until(
                lambda: browser.find_element("css selector", dot).get_attribute("data-status") == "down",
                20,
                "the page marking the site down",
            )
            offline = len(net.agencies) - len(net.agencies_by_cpe[cpe])
            assert browser.find_element("id", "agencies-online").text == str(offline)
            # The console lists the cut as an incident, and the link's own page says it is down.
            wait_until(
                lambda: link_id in browser.find_element("id", "incidents").text, 30, "the incident listed"
            )
            browser.get(f"{base}/#/link/{quote(link_id, safe='')}")
            wait_until(
                lambda: browser.find_elements(
                    "css selector", "#page[data-page='link'] .page-head .state-down"
                ),
                20,
                "the link's page showing it down",
            )
        finally:
            restore(lab.prefix, "link", link_id)
    finally:
        browser.quit()


def test_an_engineer_dry_run_over_http_diffs_the_lab_and_changes_nothing(
    lab: LabHandle, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from govnet.api.app import create_app
    from govnet.api.deps import ApiState
    from govnet.monitor.store import open_store

    tokens = TokenStore(tmp_path / "tokens.json")
    token, _ = tokens.create(Role.ENGINEER)
    client = TestClient(create_app(ApiState(lab.network, open_store(str(tmp_path / "m.db")), tokens)))
    answer = client.post(
        "/api/v1/provision/dry-run",
        json={"filter": ["role=hub"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    hubs = {d.name for d in lab.network.devices.values() if d.role.value == "hub"}
    assert {d["name"] for d in report["devices"]} == hubs
    assert {d["status"] for d in report["devices"]} == {"unchanged"}  # the lab runs its intended configs
