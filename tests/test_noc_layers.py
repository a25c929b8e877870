"""The console map's optional layers: a GeoJSON boundary file (checked, cleaned, served, drawn;
bad files refused by ``govnet serve``) and map tiles (a directory served by govnet, or a tile
server's URL that the page's CSP then allows images from, and nothing more)."""

from __future__ import annotations

import json
import math
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govnet.api.app import create_app
from govnet.api.auth import Role
from govnet.api.boundary import load_boundary
from govnet.api.deps import ApiState
from govnet.api.headers import PAGE_CSP
from govnet.api.tiles import Tiles
from govnet.errors import GovnetError
from tests.nockit import (
    Console,
    console_fixture,  # noqa: F401 - the shared session fixture
    no_violations,
    serving,
)
from tests.nocworld import HOSTILE_SITE
from tests.procs import free_port
from tests.test_api_lab import chromium, wait_until


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
            no_violations(browser)
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
