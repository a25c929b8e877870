"""``/events`` streams are capped per token and in all: one more is 429 with ``Retry-After`` and what
to do; a stream's slot comes back when it ends (the client gone, its token revoked). Real
concurrent streams on a live uvicorn server on loopback (port chosen by the OS)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.api.limits import StreamSlots
from govnet.api.sessions import COOKIE
from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.monitor.store import open_store
from tests.nockit import serving


@dataclass
class Live:
    url: str
    state: ApiState
    tokens: TokenStore


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    store = open_store(str(tmp_path / "monitor.db"))
    tokens = TokenStore(tmp_path / "tokens.json")
    streams = StreamSlots(per_token=2, total=3)
    state = ApiState(load_inventory(sample_dir()), store, tokens, events_poll_s=0.1, streams=streams)
    try:
        with serving(create_app(state)) as url:
            yield Live(url, state, tokens)
    finally:
        store.close()


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(0.05)


def test_streams_are_capped_per_token_and_in_all_and_a_closed_one_frees_its_slot(live: Live) -> None:
    a, a_record = live.tokens.create(Role.IOC, note="wall A")
    b, b_record = live.tokens.create(Role.IOC, note="wall B")
    slots = live.state.streams

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    # The line iterators of the open streams: dropping one would close its connection.
    reading: list[Iterator[str]] = []
    with httpx.Client(timeout=httpx.Timeout(30.0)) as http, ExitStack() as streams:

        def open_stream(token: str, on: ExitStack = streams) -> httpx.Response:
            answer = on.enter_context(http.stream("GET", f"{live.url}/api/v1/events", headers=auth(token)))
            if answer.status_code == 200:
                reading.append(answer.iter_lines())
                assert next(reading[-1]) == ": govnet events"  # it runs
            else:
                answer.read()
            return answer

        first_a = ExitStack()
        assert open_stream(a, first_a).status_code == 200
        assert open_stream(a).status_code == 200
        third = open_stream(a)
        assert third.status_code == 429, third.text
        assert int(third.headers["retry-after"]) > 0
        error = third.json()["error"]
        assert "already has 2 /events streams open" in error["message"], error
        assert "--events-per-token" in error["hint"], error

        assert open_stream(b).status_code == 200  # another token: 3 in all
        over = open_stream(b)
        assert over.status_code == 429 and int(over.headers["retry-after"]) > 0
        assert "server already has 3" in over.json()["error"]["message"], over.text
        assert "--events-max" in over.json()["error"]["hint"]
        assert slots.open == 3 and slots.open_for(a_record.id) == 2 and slots.open_for(b_record.id) == 1

        first_a.close()  # the client goes: the server notices, and the slot comes back
        wait_for(lambda: slots.open_for(a_record.id) == 1, 30, "the closed stream's slot back")
        assert open_stream(a).status_code == 200

        assert live.tokens.revoke(b_record.id)  # its stream ends, and gives its slot back
        wait_for(lambda: slots.open_for(b_record.id) == 0, 30, "the revoked token's slot back")
        c, _ = live.tokens.create(Role.IOC, note="wall C")
        assert open_stream(c).status_code == 200
        assert slots.open == 3
    wait_for(lambda: slots.open == 0, 30, "every slot back once every client is gone")


def test_the_limits_are_the_servers_options() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        StreamSlots(per_token=0)
    from typer.testing import CliRunner

    from govnet.cli import app

    usage = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    assert "--events-per-token" in usage and "--events-max" in usage


def test_the_pages_streams_count_for_the_token_that_opened_the_session(live: Live) -> None:
    """The NOC page streams with its session cookie: its streams are its token's, so browser tabs
    are capped like any other client of the token, and a closed tab gives its slot back."""
    token, record = live.tokens.create(Role.NOC, note="NOC wall")
    login = httpx.post(f"{live.url}/api/v1/session", json={"token": token}, timeout=30)
    assert login.status_code == 200, login.text
    cookies = {COOKIE: login.cookies[COOKIE]}
    reading: list[Iterator[str]] = []
    with httpx.Client(timeout=httpx.Timeout(30.0), cookies=cookies) as tabs, ExitStack() as streams:
        for _ in range(2):
            tab = streams.enter_context(tabs.stream("GET", f"{live.url}/api/v1/events"))
            assert tab.status_code == 200
            reading.append(tab.iter_lines())
            assert next(reading[-1]) == ": govnet events"
        assert live.state.streams.open_for(record.id) == 2
        with httpx.Client(timeout=httpx.Timeout(30.0)) as api:  # the same token, as a bearer
            third = api.get(f"{live.url}/api/v1/events", headers={"Authorization": f"Bearer {token}"})
        assert third.status_code == 429 and "this token already has 2" in third.json()["error"]["message"]
    wait_for(lambda: live.state.streams.open_for(record.id) == 0, 30, "the tabs' slots back")
