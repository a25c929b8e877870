"""Nothing the app serves makes a browser call another host: the OpenAPI explorer's assets come from
govnet itself (swagger-ui-bundle-v2), under a policy as strict as the NOC page's but for ``data:``
images; every page's references are to this origin; and in a real headless Chromium the NOC page
and the explorer load only from this origin, with no policy violation."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import uvicorn
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from govnet.api.headers import DOCS_CSP, PAGE_CSP
from tests.procs import free_port
from tests.test_api import World, world  # noqa: F401 - the shared module fixture
from tests.test_api_lab import chromium, wait_until

#: What a page may refer to without loading anything (fragments, data: images in a stylesheet).
HARMLESS = re.compile(r"^(#|data:|about:blank$)")


class References(HTMLParser):
    """Every URL an HTML page refers to (src, href, action, srcset, poster, data, inline url())."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in {"src", "href", "action", "poster", "data", "formaction", "xlink:href"}:
                self.urls.append(value)
            elif name == "srcset":
                self.urls += [part.split()[0] for part in value.split(",") if part.strip()]
            elif name == "style":
                self.urls += css_urls(value)


def css_urls(text: str) -> list[str]:
    """``url(...)`` and ``@import "..."`` of a stylesheet."""
    found = re.findall(r"url\(\s*['\"]?([^'\")]+)", text)
    return found + re.findall(r"@import\s+['\"]([^'\"]+)", text)


def pages(client: TestClient) -> list[str]:
    """The app's GET routes outside the OpenAPI document without path parameters: its pages and assets."""
    out = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, Route) or "GET" not in (route.methods or set()) or "{" in route.path:
            continue
        hidden = not isinstance(route, APIRoute) or not route.include_in_schema
        if hidden and not route.path.endswith("openapi.json"):
            out.append(route.path)
    return out


def test_no_page_the_app_serves_refers_to_another_host(world: World) -> None:  # noqa: F811
    client = world.client
    served = pages(client)
    assert {"/", "/api/v1/docs"} <= set(served), served
    checked: set[str] = set()
    queue = list(served)
    while queue:
        path = queue.pop()
        if path in checked:
            continue
        checked.add(path)
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        kind = answer.headers["content-type"].split(";")[0]
        if kind == "text/html":
            parser = References()
            parser.feed(answer.text)
            urls = parser.urls
        elif kind == "text/css":
            urls = css_urls(answer.text)
        else:
            continue
        for url in urls:
            if HARMLESS.match(url):
                continue
            full = urljoin(f"http://testserver{path}", url)
            assert urlsplit(full).netloc == "testserver", f"{path} refers to {url}"
            queue.append(urlsplit(full).path)
    # The explorer's assets were followed from its page, and none came from elsewhere.
    assert {
        "/api/v1/docs/swagger-ui.css",
        "/api/v1/docs/swagger-ui-bundle.js",
        "/api/v1/docs/init.js",
    } <= checked


def test_the_explorer_is_served_from_this_origin_under_a_strict_policy(world: World) -> None:  # noqa: F811
    client = world.client
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-security-policy"] == DOCS_CSP
    assert "<script>" not in page.text and "cdn" not in page.text.lower()
    # As strict as the NOC page's, with data: images only added; no host, nothing inline.
    for policy in (DOCS_CSP, PAGE_CSP):
        assert "http" not in policy and "unsafe" not in policy and "*" not in policy
    assert (
        DOCS_CSP.replace("img-src 'self' data:", "img-src 'self'").split("; ")[:5] == PAGE_CSP.split("; ")[:5]
    )
    script = client.get("/api/v1/docs/init.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "validatorUrl: null" in script.text  # no badge fetched from a public validator
    bundle = client.get("/api/v1/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 500_000
    assert client.get("/api/v1/docs/swagger-ui.css").headers["content-type"].startswith("text/css")
    for bad in ("/api/v1/docs/index.html", "/api/v1/docs/swagger-ui.js.map", "/api/v1/docs/..%2fapp.py"):
        assert client.get(bad).status_code in (404, 422), bad
    assert client.get("/redoc").status_code == 404 and client.get("/api/v1/redoc").status_code == 404


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


def test_in_chromium_the_explorer_and_the_page_load_only_from_this_origin(
    world: World,  # noqa: F811
    live: str,
) -> None:
    assert httpx.get(f"{live}/api/v1/docs").headers["content-security-policy"] == DOCS_CSP
    doc = world.client.get("/api/v1/openapi.json").json()
    operations = sum(len(item) for item in doc["paths"].values()) + len(doc.get("webhooks", {}))
    browser: Any = chromium()
    try:
        browser.get(f"{live}/api/v1/docs")
        wait_until(
            lambda: len(browser.find_elements("css selector", ".opblock")) == operations,
            90,
            f"Swagger UI drawing the {operations} operations",
        )
        assert browser.find_elements("css selector", ".btn.authorize")  # the bearer scheme is offered
        assert not browser.find_elements("css selector", ".errors-wrapper")
        loaded = browser.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
        )
        assert any(url.endswith("/api/v1/openapi.json") for url in loaded), loaded
        browser.get(f"{live}/")
        wait_until(lambda: browser.execute_script("return document.readyState") == "complete", 30, "the page")
        loaded += browser.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
        )
        elsewhere = [url for url in loaded if not url.startswith(f"{live}/")]
        assert not elsewhere, elsewhere
        logs = browser.get_log("browser")
        violations = [e["message"] for e in logs if "Content Security Policy" in e["message"]]
        assert not violations, violations
    finally:
        browser.quit()
