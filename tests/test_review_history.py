"""Red-team review of the history endpoint: district scope without existence leaks, and clear
errors when VictoriaMetrics is away or answers something that is not its API."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.inventory.network import Network
from govnet.monitor.series import SeriesError, VictoriaMetrics
from govnet.monitor.store import open_store
from tests.vmserver import free_port

Get = Callable[..., Any]


def _client(net: Network, tmp_path: Path, series: VictoriaMetrics | None) -> tuple[Get, Any]:
    store = open_store(str(tmp_path / "monitor.db"))
    tokens = TokenStore(tmp_path / "tokens.json")
    client = TestClient(create_app(ApiState(net, store, tokens, series=series)))

    def get(path: str, scope: str | None = None) -> Any:
        token, _ = tokens.create(Role.NOC, scope)
        return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})

    return get, store


def _device_and_other_district(net: Network) -> tuple[str, str, str]:
    link = next(lk for lk in net.links if net.district_of(lk.a_device))
    district = net.district_of(link.a_device)
    other = next(d for d in net.district_names if d != district)
    return link.a_device, link.a_interface, other


def test_a_scoped_token_cannot_tell_another_districts_interfaces_apart(net: Network, tmp_path: Path) -> None:
    """403 for another district's device whether or not the interface exists: a 404 for a
    wrong name and a 403 for a right one would list the other district's interfaces."""
    device, interface, other = _device_and_other_district(net)
    get, store = _client(net, tmp_path, None)
    try:
        real = get(f"/devices/{device}/interfaces/{interface}/history", scope=other)
        made_up = get(f"/devices/{device}/interfaces/no-such-if/history", scope=other)
        unscoped = get(f"/devices/{device}/interfaces/no-such-if/history")
    finally:
        store.close()
    assert real.status_code == 403
    assert made_up.status_code == 403, made_up.text
    assert unscoped.status_code == 404


class _NotVictoria(http.server.BaseHTTPRequestHandler):
    """A web server that is not VictoriaMetrics (a login page of a proxy, say)."""

    def do_GET(self) -> None:
        body = self.server.body  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(params=[b"<html>login</html>", b'{"status": "success"}', b'{"status": "success", "data": 1}'])
def not_victoria(request: pytest.FixtureRequest) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotVictoria)
    server.body = request.param  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_answer_that_is_not_victoriametrics_is_a_series_error(not_victoria: str) -> None:
    db = VictoriaMetrics(not_victoria, timeout=5)
    with pytest.raises(SeriesError):
        db.interface_history("d", "eth1", 0.0, 60.0, 1.0)
    with pytest.raises(SeriesError):
        db.raw("govnet_interface_in_bps", "d", "eth1", 0.0, 60.0)


def test_history_says_503_when_victoriametrics_is_away_or_not_itself(
    net: Network, tmp_path: Path, not_victoria: str
) -> None:
    device, interface, _other = _device_and_other_district(net)
    for url in (f"http://127.0.0.1:{free_port()}", not_victoria):  # nobody listening; a stranger
        get, store = _client(net, tmp_path, VictoriaMetrics(url, timeout=5))
        try:
            answer = get(f"/devices/{device}/interfaces/{interface}/history")
        finally:
            store.close()
        assert answer.status_code == 503, (url, answer.status_code, answer.text)
        assert "VictoriaMetrics" in answer.json()["error"]["message"]
