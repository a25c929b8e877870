"""The API over a store that has gone away: 503 (the server's trouble), never 400 (the caller's),
and the answer names neither the store nor its driver's words (``/healthz`` needs no token)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.monitor.store import open_store
from tests.pgserver import postgres_bindir, postgres_server


@pytest.mark.skipif(postgres_bindir() is None, reason="needs Debian's postgresql (scripts/setup.sh)")
def test_a_stopped_database_is_503_with_a_hint_and_no_store_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    network = load_inventory(sample_dir())
    tokens = TokenStore(tmp_path / "tokens.json")
    token, _ = tokens.create(Role.NOC, None, None)
    auth = {"Authorization": f"Bearer {token}"}
    with postgres_server() as url:
        store = open_store(url)
        client = TestClient(create_app(ApiState(network, store, tokens, version_ttl_s=0)))
        assert client.get("/api/v1/healthz").status_code == 200
        assert client.get("/api/v1/devices", headers=auth).status_code == 200
    socket_dir = url.partition("host=")[2].partition("&")[0]
    assert not os.path.exists(os.path.join(socket_dir, ".s.PGSQL.5432")), "the server is stopped"
    try:
        caplog.set_level(logging.WARNING, logger="govnet.api")
        for path, headers in (
            ("/api/v1/healthz", {}),
            ("/api/v1/devices", auth),
            ("/api/v1/summary", auth),
        ):
            answer = client.get(path, headers=headers)
            assert answer.status_code == 503, (path, answer.text)
            error = answer.json()["error"]
            assert error["status"] == 503
            assert "store" in error["message"] and error["hint"], error
            # Neither where the store is nor what its driver said: /healthz answers anyone.
            assert socket_dir not in answer.text and "postgresql" not in answer.text, answer.text
        # The operator finds the store and the cause in the log.
        assert any(socket_dir in r.getMessage() or socket_dir in str(vars(r)) for r in caplog.records)
    finally:
        store.close()


def test_a_damaged_token_file_is_503_without_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The token file is the server's: damaged, every caller gets 503 (not a 400 naming the file),
    and the operator finds the file in the log."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    network = load_inventory(sample_dir())
    store = open_store(str(tmp_path / "monitor.db"))
    tokens_file = tmp_path / "secret-place" / "tokens.json"
    tokens = TokenStore(tokens_file)
    token, _ = tokens.create(Role.NOC, None, None)
    client = TestClient(create_app(ApiState(network, store, tokens)))
    try:
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/devices", headers=auth).status_code == 200
        tokens_file.write_text('{"tokens": [', encoding="utf-8")  # a half-written file
        for path in ("/api/v1/devices", "/api/v1/summary"):
            answer = client.get(path, headers=auth)
            assert answer.status_code == 503, (path, answer.text)
            assert answer.json()["error"]["hint"]
            assert "secret-place" not in answer.text and "tokens.json" not in answer.text, answer.text
        assert any("secret-place" in str(vars(r)) for r in caplog.records if r.name == "govnet.api")
    finally:
        store.close()
