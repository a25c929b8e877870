"""The NOC page in a real headless Chromium, served with its strict Content-Security-Policy: it logs
in with a token (exchanged for a session), draws the province, violates no policy, and logs out."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from govnet.api.auth import Role
from govnet.api.headers import PAGE_CSP
from tests.procs import free_port
from tests.test_api import World, world  # noqa: F401 - the shared module fixture
from tests.test_api_lab import chromium, wait_until


@pytest.fixture
def live(world: World) -> Iterator[str]:  # noqa: F811
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(world.client.app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 30
    while not server.started and time.monotonic() < end:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def test_the_page_works_under_its_csp_with_a_session_and_no_token_in_cookies(
    world: World,  # noqa: F811
    live: str,
) -> None:
    import httpx

    assert httpx.get(f"{live}/").headers["content-security-policy"] == PAGE_CSP
    token, _ = world.tokens.create(Role.NOC, note="NOC wall")
    browser: Any = chromium()
    try:
        browser.get(f"{live}/#token={token}")
        wait_until(
            lambda: browser.find_element("id", "agencies-total").text == str(len(world.network.agencies)),
            60,
            "the page showing the agency total",
        )
        online = len(world.network.agencies) - len(world.cut_agencies)
        assert browser.find_element("id", "agencies-online").text == str(online)
        wait_until(
            lambda: browser.find_elements("css selector", "circle[data-status='down']"), 30, "the map drawn"
        )
        assert "token" not in browser.current_url
        cookies = browser.get_cookies()
        (session,) = [c for c in cookies if c["name"] == "govnet_session"]
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        assert all(token not in c["value"] and token.split("_", 2)[2] not in c["value"] for c in cookies)
        assert browser.execute_script("return document.cookie") == ""  # HttpOnly: not readable by scripts
        # The stylesheet applied (from self): the header's background is the page's.
        assert (
            browser.execute_script("return getComputedStyle(document.querySelector('header')).display")
            == "flex"
        )
        # Logging out (a DELETE carrying the CSRF secret) ends the session: the login form is back.
        browser.find_element("id", "logout").click()
        wait_until(
            lambda: any(e.is_displayed() for e in browser.find_elements("id", "login")), 30, "the login form"
        )
        assert not [c for c in browser.get_cookies() if c["name"] == "govnet_session"]
        logs = browser.get_log("browser")
        violations = [e["message"] for e in logs if "Content Security Policy" in e["message"]]
        assert not violations, violations
        audit = world.client.app.state.govnet.audit.entries(20, 0)[0]  # type: ignore[attr-defined]
        assert {"session.start", "session.end"} <= {e.action for e in audit if e.token_name == "NOC wall"}
    finally:
        browser.quit()
