"""What the NOC console's tests share: the scenario's world served once per session (uvicorn on a
loopback port the OS picks), tokens, and a headless Chromium opened on the console at wall-screen
size. The world is tests/nocworld.py's; the screenshots go to GOVNET_SCREENSHOTS when set."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.monitor.coverage import Coverage
from govnet.monitor.store import Store
from tests.nocworld import NocWorld, build
from tests.procs import free_port
from tests.test_api_lab import chromium, wait_until


class Heartbeat:
    """The world's monitor still running now: a leader's run (monitor/coverage.py) begun when the
    console is served and its heartbeat kept fresh from a thread, as ``monitor run`` keeps it.
    :meth:`pause` stops the beats (as a killed monitor does); :meth:`resume` begins a new run."""

    def __init__(self, store: Store) -> None:
        self.coverage = Coverage(store)
        self._lock = threading.Lock()
        self._beating = True
        self._stop = threading.Event()
        self.coverage.begin(time.time())
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                if self._beating:
                    self.coverage.beat(time.time())

    def pause(self) -> None:
        """No more beats (returns once none is being written)."""
        with self._lock:
            self._beating = False

    def resume(self) -> None:
        """A new run: ``running`` now, and beats again."""
        with self._lock:
            self.coverage.begin(time.time())
            self._beating = True

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@dataclass
class Console:
    world: NocWorld
    client: TestClient
    tokens: TokenStore
    base: str
    shots: Path
    heartbeat: Heartbeat

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


@pytest.fixture(scope="session", name="console")
def console_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    home = tmp_path_factory.mktemp("noc-console")
    world = build(home)
    tokens = TokenStore(home / "tokens.json")
    app = create_app(ApiState(world.network, world.store, tokens))
    shots = Path(os.environ.get("GOVNET_SCREENSHOTS") or home / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    heartbeat = Heartbeat(world.store)
    try:
        with serving(app) as base:
            yield Console(world, TestClient(app), tokens, base, shots, heartbeat)
    finally:
        heartbeat.close()
        world.store.close()


def open_console(console: Console) -> Any:
    browser = chromium()
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False},
    )
    token, _ = console.tokens.create(Role.NOC, note="NOC wall")
    browser.get(f"{console.base}/#token={token}")
    wait_until(lambda: browser.find_elements("css selector", "li.incident"), 60, "the incidents listed")
    return browser


def no_violations(browser: Any) -> None:
    logs = browser.get_log("browser")
    bad = [e["message"] for e in logs if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]]
    assert not bad, bad


def shot(browser: Any, console: Console, name: str) -> Path:
    path = console.shots / name
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 20_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def view_box(browser: Any) -> list[float]:
    view = browser.execute_script("return document.getElementById('map').getAttribute('viewBox')")
    return [float(v) for v in view.split()]
