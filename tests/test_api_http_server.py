"""The API as uvicorn serves it: its C HTTP parser (httptools), and the hot routes' answers on the
wire through it (the same bytes and headers as through FastAPI's router, 304 on a matching ETag,
401 without a token)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from govnet.api.auth import Role
from govnet.api.rendered import MIN_GZIP, accepts_gzip
from tests.test_api import World, world  # noqa: F401 - the shared module fixture


def test_uvicorn_picks_httptools_for_govnet_api_serve(world: World) -> None:  # noqa: F811
    """``govnet api serve`` leaves uvicorn's ``http`` at "auto": the C parser must be installed."""
    config = uvicorn.Config(world.client.app)
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol


@pytest.fixture(scope="module")
def served(world: World) -> Iterator[str]:  # noqa: F811
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(
        world.client.app, host="127.0.0.1", port=port, log_level="warning", access_log=False, http="httptools"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 30
    while not server.started and time.monotonic() < end and thread.is_alive():
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.mark.parametrize("path", ["/api/v1/summary", "/api/v1/agencies?limit=7&offset=3"])
def test_hot_routes_answer_the_same_on_the_wire(world: World, served: str, path: str) -> None:  # noqa: F811
    """Over a real socket through httptools, the hot path's answer is the router's: body, length,
    type and every security header; a repeated request with its ETag is 304 (``/summary``)."""
    headers = {**world.token(Role.IOC), "Accept-Encoding": "identity"}
    with httpx.Client(base_url=served, timeout=30) as http:
        wire = http.get(path, headers=headers)
        again = http.get(path, headers=headers)
        unauthenticated = http.get(path, headers={"Accept-Encoding": "identity"})
    routed = world.client.get(path, headers=headers)
    assert wire.status_code == 200 and again.status_code == 200
    assert wire.content == again.content == routed.content
    assert int(wire.headers["content-length"]) == len(wire.content)
    assert json.loads(wire.content) == routed.json()
    for name in ("content-type", "content-security-policy", "x-content-type-options", "x-frame-options"):
        assert wire.headers[name] == routed.headers[name], name
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["message"] == "missing bearer token"
    if "summary" in path:
        assert wire.headers["etag"] == routed.headers["etag"]
        with httpx.Client(base_url=served, timeout=30) as http:
            cached = http.get(path, headers={**headers, "If-None-Match": wire.headers["etag"]})
        assert cached.status_code == 304 and cached.content == b""


@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("identity", False),
        ("deflate, br", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000, *", False),
        ("*;q=0", False),
        ("gzip;q=banana", False),
        ("identity;q=1, *;q=0.1", True),
    ],
)
def test_accept_encoding_is_read_as_rfc_9110_says(header: str | None, gzip_ok: bool) -> None:
    assert accepts_gzip(header) is gzip_ok


def test_gzip_answers_are_the_same_json_with_their_own_etag(world: World, served: str) -> None:  # noqa: F811
    """A caller accepting gzip gets the same JSON compressed (Vary, its own ETag, its own 304); one
    that does not gets it plain; a body too small to gain is never compressed."""
    ioc = world.token(Role.IOC)
    with httpx.Client(base_url=served, timeout=30) as http:
        for path in ("/api/v1/summary", "/api/v1/agencies?limit=100"):
            plain = http.get(path, headers={**ioc, "Accept-Encoding": "identity"})
            packed = http.get(path, headers={**ioc, "Accept-Encoding": "gzip"})
            assert "content-encoding" not in plain.headers
            assert packed.headers["content-encoding"] == "gzip"
            for vary in (plain.headers["vary"], packed.headers["vary"]):  # CORS adds Origin
                assert "Accept-Encoding" in vary.split(", ")
            on_the_wire = int(packed.headers["content-length"])
            assert on_the_wire < len(plain.content) / 3, (path, on_the_wire, len(plain.content))
            assert packed.json() == plain.json()  # httpx decodes gzip
        summary = "/api/v1/summary"
        plain = http.get(summary, headers={**ioc, "Accept-Encoding": "identity"})
        packed = http.get(summary, headers={**ioc, "Accept-Encoding": "gzip"})
        assert packed.headers["etag"] == plain.headers["etag"][:-1] + '.gz"'
        for encoding, etag in (("identity", plain.headers["etag"]), ("gzip", packed.headers["etag"])):
            again = http.get(summary, headers={**ioc, "Accept-Encoding": encoding, "If-None-Match": etag})
            assert again.status_code == 304 and again.headers["etag"] == etag
            assert "Accept-Encoding" in again.headers["vary"]
        # The other variant's ETag is not a match: a full answer.
        crossed = http.get(
            summary, headers={**ioc, "Accept-Encoding": "gzip", "If-None-Match": plain.headers["etag"]}
        )
        assert crossed.status_code == 200 and crossed.json() == plain.json()
        small = http.get("/api/v1/agencies?limit=1", headers={**ioc, "Accept-Encoding": "gzip"})
        assert small.status_code == 200 and "content-encoding" not in small.headers
        assert len(small.content) < MIN_GZIP
