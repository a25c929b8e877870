"""An open ``/events`` stream ends when its token is revoked, or its page session ends: a change made
afterwards is never sent on it (on a live uvicorn server on loopback, port chosen by the OS)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.api.sessions import COOKIE
from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.monitor.store import open_store


@dataclass
class Live:
    url: str
    state: ApiState
    tokens: TokenStore


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    network = load_inventory(sample_dir())
    store = open_store(str(tmp_path / "monitor.db"))
    tokens = TokenStore(tmp_path / "tokens.json")
    state = ApiState(network, store, tokens, events_poll_s=0.1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(state), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 30
    while not server.started and time.monotonic() < end:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield Live(f"http://127.0.0.1:{port}", state, tokens)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def _stream_after(live: Live, headers: dict[str, str], cookies: dict[str, str], end_it: object) -> str:
    """Open the stream, call ``end_it()``, then make a change; the text the stream sent until it
    ended (the test fails if it has not ended 30 s after)."""
    device = sorted(live.state.network.devices)[0]
    seen = ""
    deadline = time.monotonic() + 30
    with (
        httpx.Client(timeout=httpx.Timeout(40.0), cookies=cookies) as http,
        http.stream("GET", f"{live.url}/api/v1/events", headers=headers) as answer,
    ):
        assert answer.status_code == 200, answer.read()
        lines = answer.iter_lines()
        seen += next(lines) + "\n"  # the stream's opening comment: it is running
        assert callable(end_it)
        end_it()
        live.state.store.set_states([("device", device, "unreachable", None)], time.time(), "test")
        for line in lines:
            seen += line + "\n"
            assert time.monotonic() < deadline, f"the stream still runs 30 s after:\n{seen}"
    return seen


def test_revoking_the_token_ends_its_open_stream(live: Live) -> None:
    token, record = live.tokens.create(Role.IOC, note="wall")
    seen = _stream_after(
        live, {"Authorization": f"Bearer {token}"}, {}, lambda: live.tokens.revoke(record.id)
    )
    assert "event: change" not in seen, seen


def test_logging_out_ends_the_pages_open_stream(live: Live) -> None:
    token, _ = live.tokens.create(Role.NOC, note="noc page")
    login = httpx.post(f"{live.url}/api/v1/session", json={"token": token}, timeout=30)
    assert login.status_code == 200, login.text
    session_id = login.cookies[COOKIE]
    seen = _stream_after(live, {}, {COOKIE: session_id}, lambda: live.state.sessions.end(session_id))
    assert "event: change" not in seen, seen
