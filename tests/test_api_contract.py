"""Schemathesis against the live app (uvicorn on loopback): every operation of the OpenAPI document,
with generated parameters, must answer as the document says and never with a 5xx."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings

from govnet.api.auth import Role
from tests.test_api import World, world  # noqa: F401 - the shared module fixture


@pytest.fixture(scope="module")
def live(world: World) -> Iterator[tuple[str, dict[str, str]]]:  # noqa: F811
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = world.client.app
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not server.started and time.monotonic() < end:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}", world.token(Role.ENGINEER)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_every_operation_keeps_its_contract(live: tuple[str, dict[str, str]]) -> None:
    """Each operation with generated parameters (at most 15 cases each), all of schemathesis' checks."""
    from hypothesis import given

    base, headers = live
    document = httpx.get(f"{base}/api/v1/openapi.json", timeout=30).json()
    # The security scheme is declared, and every operation but the probe and the login needs it.
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    unsecured = [
        f"{m} {p}"
        for p, item in document["paths"].items()
        for m, op in item.items()
        if not op.get("security")
    ]
    assert unsecured == ["get /api/v1/healthz", "post /api/v1/session"], unsecured  # probe, login
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    # /events streams forever; /session would replace the caller; /provision/dry-run would open SSH
    # sessions to every device of the sample (its own tests run it on the lab).
    selected = schema.exclude(path_regex=r"/events$|/session$|/provision/")
    failures: dict[str, str] = {}
    operations = 0
    for result in selected.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            case.call_and_validate(base_url=base, headers=headers)

        try:
            check()
        except Exception as exc:  # schemathesis reports a contract breach as an exception
            failures[operation.label] = str(exc)[:2000]
    assert operations >= 12
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())
