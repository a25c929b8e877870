"""``monitor run --metrics-listen``: open on loopback only; anywhere else a bearer token
(``--metrics-token-file``, as Prometheus's ``authorization: credentials_file``) guards /metrics.
Real HTTP against the monitor's own server, run by ``run_monitor`` on the fake agents."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from govnet.cli import main
from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.monitor.fake import FakeScraper
from govnet.monitor.metricsauth import metrics_access
from govnet.monitor.runner import RunOptions, run_monitor
from govnet.monitor.store import open_store
from tests.vmserver import free_port

TOKEN = "0123456789abcdef-metrics-token"


def get(url: str, token: str | None = None) -> tuple[int, bytes, str | None]:
    """(status, body, WWW-Authenticate) of one GET, straight to the server (no proxy)."""
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, answer.read(), None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("WWW-Authenticate")


def scrape_while_running(
    net: Network, tmp_path: Path, options: RunOptions, paths: list[tuple[str, str | None]]
) -> list[tuple[int, bytes, str | None]]:
    """Run the monitor until its server answers ``paths`` (path, token), then stop it."""
    store = open_store(str(tmp_path / "monitor.db"))
    assert options.metrics_listen is not None
    base = f"http://{options.metrics_listen[0]}:{options.metrics_listen[1]}"

    async def scenario() -> list[tuple[int, bytes, str | None]]:
        stop, ready = asyncio.Event(), asyncio.Event()
        running = asyncio.ensure_future(
            run_monitor(
                net, store, options, on_ready=lambda _m: ready.set(), stop=stop, scraper=FakeScraper(net)
            )
        )
        await asyncio.wait_for(ready.wait(), 60)
        try:
            return [await asyncio.to_thread(get, base + path, token) for path, token in paths]
        finally:
            stop.set()
            await asyncio.wait_for(running, 60)

    try:
        return asyncio.run(scenario())
    finally:
        store.close()


def test_a_token_guards_metrics_and_healthz_stays_open(net: Network, tmp_path: Path) -> None:
    options = RunOptions(
        metrics_listen=("127.0.0.1", free_port()),
        metrics_token=metrics_access(("127.0.0.1", 1), write(tmp_path / "token", TOKEN + "\n")),
    )
    bare, wrong, other_scheme, right, health = scrape_while_running(
        net,
        tmp_path,
        options,
        [
            ("/metrics", None),
            ("/metrics", "not-the-token-at-all"),
            ("/metrics", None),
            ("/metrics", TOKEN),
            ("/healthz", None),
        ],
    )
    assert bare[0] == 401 and bare[2] == 'Bearer realm="govnet monitor"' and bare[1] == b""
    assert wrong[0] == 401 and other_scheme[0] == 401
    assert right[0] == 200 and b"govnet_" in right[1]
    assert health[0] == 200 and b"status" in health[1]


def test_loopback_without_a_token_is_open(net: Network, tmp_path: Path) -> None:
    ((status, body, _),) = scrape_while_running(
        net, tmp_path, RunOptions(metrics_listen=("127.0.0.1", free_port())), [("/metrics", None)]
    )
    assert status == 200 and b"govnet_" in body


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_an_open_metrics_beyond_loopback_is_refused_before_anything_starts(
    mini_inventory: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    store = f"sqlite:///{tmp_path / 'never.db'}"
    argv = ["--inventory", str(mini_inventory), "monitor", "run", "--store", store, "--no-traps", "--no-live"]
    assert main([*argv, "--metrics-listen", f"0.0.0.0:{port}", "--duration", "1"]) == 1
    out = capsys.readouterr()
    assert (
        "reachable beyond this machine" in out.out + out.err and "--metrics-token-file" in out.out + out.err
    )
    assert not (tmp_path / "never.db").exists(), "refused before the store was opened"
    with pytest.raises(GovnetError, match="reachable beyond this machine"):
        metrics_access(("198.51.100.7", port), None)
    assert metrics_access(("::1", port), None) is None


def test_a_bad_token_file_is_a_clear_error_that_never_shows_the_token(tmp_path: Path) -> None:
    short = write(tmp_path / "short", "tok-9x\n")
    with pytest.raises(GovnetError) as caught:
        metrics_access(("0.0.0.0", 9810), short)
    assert "at least 16 printable characters" in caught.value.message and "tok-9x" not in str(caught.value)
    with pytest.raises(GovnetError, match="cannot read the metrics token file"):
        metrics_access(("127.0.0.1", 9810), tmp_path / "missing")
    token = metrics_access(("0.0.0.0", 9810), write(tmp_path / "ok", f"  {TOKEN}\n"))
    assert token is not None and token.get_secret_value() == TOKEN and TOKEN not in repr(token)
