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
