"""Issue #18: the API ready to leave localhost. Limits (failed-auth lockout, body size, dry runs),
security headers, the OpenAPI security scheme and one error shape, browser sessions with CSRF, and
the audit log. Each test builds its own app over the shared world (its own limiter and slots)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from govnet.api.app import MAX_BODY, create_app
from govnet.api.auth import Role
from govnet.api.deps import ApiState
from govnet.api.headers import PAGE_CSP
from govnet.api.sessions import COOKIE, Sessions
from tests.test_api import World, error_of, world  # noqa: F401 - the shared module fixture


@pytest.fixture
def app_state(world: World) -> ApiState:  # noqa: F811
    return ApiState(world.network, world.client.app.state.govnet.store, world.tokens)  # type: ignore[attr-defined]


@pytest.fixture
def client(app_state: ApiState) -> Iterator[TestClient]:
    with TestClient(create_app(app_state)) as c:
        yield c


def bearer(world: World, role: Role, note: str = "") -> tuple[str, str, dict[str, str]]:  # noqa: F811
    token, record = world.tokens.create(role, note=note)
    return token, record.id, {"Authorization": f"Bearer {token}"}


# -- limits


def test_wrong_secrets_lock_the_address_out_and_the_lockout_ends(
    world: World,  # noqa: F811
    app_state: ApiState,
    client: TestClient,
) -> None:
    now = [1000.0]
    app_state.failed_auth.clock = lambda: now[0]
    _token, token_id, good = bearer(world, Role.IOC)
    assert client.get("/api/v1/summary", headers=good).status_code == 200
    wrong = {"Authorization": f"Bearer gvn_{token_id}_{'x' * 43}"}
    statuses = [client.get("/api/v1/summary", headers=wrong).status_code for _ in range(20)]
    assert statuses[0] == 401 and statuses[-1] == 429, statuses
    assert statuses.count(401) == app_state.failed_auth.max_failures - 1
    locked = client.get("/api/v1/summary", headers=good)  # the right secret, from this address
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= app_state.failed_auth.lockout_s
    assert "too many failed" in error_of(locked)["message"]
    now[0] += app_state.failed_auth.lockout_s + 1
    assert client.get("/api/v1/summary", headers=good).status_code == 200


def test_wrong_secrets_for_a_token_id_do_not_lock_the_token_out_elsewhere(
    world: World,  # noqa: F811
    app_state: ApiState,
    client: TestClient,
) -> None:
    """The token id is not secret (logs, audit rows): whoever knows it must not be able to lock the
    IOC's token out. The attacker's address is locked out; the IOC, elsewhere, is served."""
    _token, token_id, good = bearer(world, Role.IOC)
    attacker = TestClient(client.app, client=("198.51.100.66", 40000))
    ioc = TestClient(client.app, client=("198.51.100.7", 50000))
    wrong = {"Authorization": f"Bearer gvn_{token_id}_{'x' * 43}"}
    statuses = [attacker.get("/api/v1/summary", headers=wrong).status_code for _ in range(20)]
    assert statuses.count(429) == 20 - app_state.failed_auth.max_failures + 1, statuses
    assert attacker.get("/api/v1/summary", headers=good).status_code == 429  # A is locked out
    for _ in range(3):  # B, with the very token whose id was used, still works
        assert ioc.get("/api/v1/summary", headers=good).status_code == 200
    assert ioc.get("/api/v1/agencies", headers=good).status_code == 200


def test_an_ipv6_client_is_counted_per_64_so_rotating_addresses_gains_nothing(
    world: World,  # noqa: F811
    app_state: ApiState,
    client: TestClient,
) -> None:
    _token, token_id, good = bearer(world, Role.IOC)
    wrong = {"Authorization": f"Bearer gvn_{token_id}_{'x' * 43}"}
    for i in range(app_state.failed_auth.max_failures):
        rotating = TestClient(client.app, client=(f"2001:db8:7:1::{i + 1:x}", 40000))
        rotating.get("/api/v1/summary", headers=wrong)
    same_64 = TestClient(client.app, client=("2001:db8:7:1:ffff::9", 40000))
    assert same_64.get("/api/v1/summary", headers=good).status_code == 429
    other_64 = TestClient(client.app, client=("2001:db8:7:2::1", 40000))
    assert other_64.get("/api/v1/summary", headers=good).status_code == 200


def test_an_address_guessing_token_ids_is_locked_out_and_others_are_not(
    world: World,  # noqa: F811
    app_state: ApiState,
    client: TestClient,
) -> None:
    _token, _id, good = bearer(world, Role.IOC)
    attacker = TestClient(client.app, client=("198.51.100.66", 40000))
    for i in range(app_state.failed_auth.max_failures):
        attacker.get("/api/v1/summary", headers={"Authorization": f"Bearer gvn_{i:08x}_{'y' * 43}"})
    refused = attacker.get("/api/v1/summary", headers=good)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert client.get("/api/v1/summary", headers=good).status_code == 200  # another address


def test_the_login_form_counts_towards_the_lockout(
    world: World,  # noqa: F811
    app_state: ApiState,
    client: TestClient,
) -> None:
    token, token_id, _ = bearer(world, Role.NOC)
    for _ in range(app_state.failed_auth.max_failures):
        client.post("/api/v1/session", json={"token": f"gvn_{token_id}_{'z' * 43}"})
    answer = client.post("/api/v1/session", json={"token": token})
    assert answer.status_code == 429 and "retry-after" in answer.headers
    assert COOKIE not in answer.cookies


def test_a_body_over_the_limit_is_413(world: World, client: TestClient) -> None:  # noqa: F811
    _t, _i, noc = bearer(world, Role.ENGINEER)
    big = b'{"filter": ["' + b"a" * (1024 * 1024) + b'"]}'
    answer = client.post(
        "/api/v1/provision/dry-run", content=big, headers={**noc, "Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert str(MAX_BODY) in error_of(answer)["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"token": "'
        for _ in range(64):
            yield b"b" * 16384
        yield b'"}'

    chunked = client.post("/api/v1/session", content=chunks(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413 and error_of(chunked)["status"] == 413


def test_concurrent_dry_runs_are_bounded(
    world: World,  # noqa: F811
    app_state: ApiState,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rollout is held on an event: the third dry run while two run is 429 (no SSH opened)."""
    import govnet.tasks.rollout as rollout_module

    release, started = threading.Event(), threading.Semaphore(0)

    def held(*_args: Any, **_kwargs: Any) -> list[Any]:
        started.release()
        assert release.wait(60)
        return []

    monkeypatch.setattr(rollout_module, "rollout", held)
    app = create_app(app_state)
    _t, _i, eng = bearer(world, Role.ENGINEER, note="dry-runner")
    body = {"filter": ["name=no-such-*"]}

    async def scenario() -> list[int]:
        import httpx

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            first = [
                asyncio.create_task(c.post("/api/v1/provision/dry-run", json=body, headers=eng))
                for _ in range(2)
            ]
            for _ in range(2):
                assert await asyncio.to_thread(started.acquire, True, 60)
            third = await c.post("/api/v1/provision/dry-run", json=body, headers=eng)
            release.set()
            done = await asyncio.gather(*first)
            assert third.headers.get("retry-after")
            return [third.status_code, *(d.status_code for d in done)]

    assert asyncio.run(scenario()) == [429, 200, 200]
    assert app_state.dry_runs.running == 0
    outcomes = [e.outcome for e in app_state.audit.entries(10, 0, "provision.dry-run")[0]]
    assert outcomes[:3].count("ok") == 2 and any("refused" in o for o in outcomes[:3])


# -- headers, errors, OpenAPI


def test_the_page_and_the_api_carry_the_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.headers["content-security-policy"] == PAGE_CSP
    assert "script-src 'self'" in PAGE_CSP and "unsafe-inline" not in PAGE_CSP
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "an inline script"
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", page.text), "inline style or handler"
    for path in ("/", "/noc.js", "/noc.css", "/api/v1/healthz", "/api/v1/summary"):
        answer = client.get(path)
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["referrer-policy"] == "no-referrer", path
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        assert "strict-transport-security" not in answer.headers, path  # plain HTTP: no HSTS
    assert client.get("/noc.css").headers["content-type"].startswith("text/css")


def test_every_error_has_the_one_documented_shape(world: World, client: TestClient) -> None:  # noqa: F811
    _t, _i, eng = bearer(world, Role.ENGINEER)
    not_utf8 = client.post(
        "/api/v1/provision/dry-run",
        content=b'{"filter": ["\xff\xfe"]}',
        headers={**eng, "Content-Type": "application/json"},
    )
    for answer in (
        not_utf8,
        client.get("/api/v1/no-such-thing"),
        client.put("/api/v1/summary"),
        client.post("/api/v1/session", content=b"\xff", headers={"Content-Type": "application/json"}),
    ):
        assert answer.status_code in (400, 404, 405, 422), answer.text
        body = answer.json()
        assert "detail" not in body and error_of(answer)["status"] == answer.status_code


def test_openapi_declares_the_bearer_scheme_per_operation_with_roles(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["session"]["in"] == "cookie" and schemes["session"]["name"] == COOKIE
    expected = {
        ("get", "/api/v1/summary"): "ioc",
        ("get", "/api/v1/agencies"): "ioc",
        ("get", "/api/v1/devices"): "noc",
        ("post", "/api/v1/incidents/{incident_id}/ack"): "noc",
        ("post", "/api/v1/provision/dry-run"): "engineer",
        ("get", "/api/v1/audit"): "admin",
    }
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert "x-govnet-role" not in op
            if (method, path) in {("get", "/api/v1/healthz"), ("post", "/api/v1/session")}:
                assert op["security"] == [], path
                continue
            assert op["security"] == [{"bearer": []}, {"session": []}], (method, path)
            assert op["description"].startswith("**Role:** `"), (method, path)
            if (method, path) in expected:
                assert op["description"].startswith(f"**Role:** `{expected[method, path]}`"), (method, path)
            for status in ("401", "413", "429"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (method, path, status)


# -- sessions


def cookie_attributes(answer: Any) -> dict[str, Any]:
    (header,) = [v for k, v in answer.headers.multi_items() if k == "set-cookie"]
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    morsel = jar[COOKIE]
    return {"value": morsel.value, "header": header.lower(), **{k: morsel[k] for k in morsel}}


def test_a_token_is_exchanged_for_a_session_cookie_that_holds_no_token(
    world: World,  # noqa: F811
    client: TestClient,
) -> None:
    token, _token_id, _ = bearer(world, Role.NOC)
    login = client.post("/api/v1/session", json={"token": token})
    assert login.status_code == 200, login.text
    cookie = cookie_attributes(login)
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict"
    assert "secure" not in cookie["header"].split(";")[1:]  # plain HTTP here; Secure over TLS (test_api_tls)
    assert token not in cookie["header"] and token.split("_", 2)[2] not in cookie["header"]
    assert len(cookie["value"]) >= 40
    csrf = login.json()["csrf"]
    assert csrf and login.json()["role"] == "noc"
    # The cookie alone reads; the store keeps the session id hashed.
    assert client.get("/api/v1/summary").status_code == 200
    with client.app.state.govnet.store.db.read() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(sa.text("SELECT * FROM api_sessions")).all()
    assert rows and all(cookie["value"] not in str(r) for r in rows)
    assert client.get("/api/v1/session").json()["csrf"] == csrf


def test_state_changing_requests_with_a_session_need_the_csrf_secret(
    world: World,  # noqa: F811
    client: TestClient,
) -> None:
    token, _id, _ = bearer(world, Role.NOC, note="NOC screen 3")
    csrf = client.post("/api/v1/session", json={"token": token}).json()["csrf"]
    incident = client.get("/api/v1/incidents?open=false").json()["items"][0]["id"]
    url = f"/api/v1/incidents/{incident}/ack"
    missing = client.post(url)
    assert missing.status_code == 403 and "CSRF" in error_of(missing)["message"]
    assert client.post(url, headers={"X-CSRF-Token": "not-the-secret"}).status_code == 403
    assert client.post(url, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.delete("/api/v1/session").status_code == 403
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/v1/summary").status_code == 401  # the session is over


def test_sessions_expire_when_idle_and_absolutely_and_end_with_their_token(
    world: World,  # noqa: F811
    app_state: ApiState,
    client: TestClient,
) -> None:
    now = [10_000.0]
    app_state.sessions = Sessions(app_state.store, idle_s=600, absolute_s=3600, clock=lambda: now[0])
    token, token_id, _ = bearer(world, Role.NOC)
    client.post("/api/v1/session", json={"token": token})
    now[0] += 599
    assert client.get("/api/v1/summary").status_code == 200
    now[0] += 599  # touched at the last request: still within the idle time
    assert client.get("/api/v1/summary").status_code == 200
    now[0] += 601
    assert client.get("/api/v1/summary").status_code == 401  # idle too long
    client.post("/api/v1/session", json={"token": token})
    for _ in range(8):  # active, but past the absolute lifetime
        now[0] += 500
        answer = client.get("/api/v1/summary")
    assert answer.status_code == 401
    client.post("/api/v1/session", json={"token": token})
    assert client.get("/api/v1/summary").status_code == 200
    assert world.tokens.revoke(token_id)
    assert client.get("/api/v1/summary").status_code == 401  # revoked with the token


# -- audit


def test_an_acknowledge_shows_in_the_audit_log_with_the_tokens_name(
    world: World,  # noqa: F811
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from govnet.cli import app as cli

    token, token_id, noc = bearer(world, Role.NOC, note="Nguyen Van A, NOC day shift")
    incident = client.get("/api/v1/incidents?open=false", headers=noc).json()["items"][0]["id"]
    assert client.post(f"/api/v1/incidents/{incident}/ack", headers=noc).status_code == 200
    store_path = str(client.app.state.govnet.store.db.path)  # type: ignore[attr-defined]
    runner = CliRunner()
    printed = runner.invoke(cli, ["api", "audit", "--store", store_path], catch_exceptions=False)
    assert printed.exit_code == 0, printed.output
    line = next(line for line in printed.output.splitlines() if "incident.ack" in line)
    assert "Nguyen Van A, NOC day shift" in line and token_id in line and f"incident {incident}" in line
    assert "testclient" in line  # from where
    as_json = json.loads(
        runner.invoke(cli, ["api", "audit", "--store", store_path, "--json"], catch_exceptions=False).output
    )
    assert token not in json.dumps(as_json) and token.split("_", 2)[2] not in json.dumps(as_json)
    # Over the API: the admin role only.
    assert client.get("/api/v1/audit", headers=noc).status_code == 403
    _t, _i, admin = bearer(world, Role.ADMIN)
    items = client.get("/api/v1/audit?action=incident.ack", headers=admin).json()["items"]
    assert items[0]["token_name"] == "Nguyen Van A, NOC day shift" and items[0]["token_id"] == token_id
    assert items[0]["target"] == f"incident {incident}" and items[0]["address"] == "testclient"


# -- the hot path (hotpath.py)


def test_the_hot_path_answers_as_the_full_path_and_leaves_the_rest_to_fastapi(
    world: World,  # noqa: F811
    client: TestClient,
) -> None:
    _t, _i, ioc = bearer(world, Role.IOC)
    hot = client.get("/api/v1/agencies?limit=5&offset=3&status=offline", headers=ioc)
    # Percent-encoded values are left to FastAPI (it decodes them to the same parameters).
    full = client.get("/api/v1/agencies?limit=%35&offset=3&status=offlin%65", headers=ioc)
    assert hot.status_code == full.status_code == 200
    assert hot.content == full.content and hot.json()["limit"] == 5 and len(hot.json()["items"]) == 5
    assert hot.headers["content-security-policy"] == full.headers["content-security-policy"]
    for query, where in (("limit=0", "limit"), ("status=gone", "status"), ("district=A%20B", "district")):
        bad = client.get(f"/api/v1/agencies?{query}", headers=ioc)
        assert bad.status_code == 422 and where in error_of(bad)["message"], query
    assert (
        client.get("/api/v1/agencies?colour=red", headers=ioc).status_code == 200
    )  # ignored, as FastAPI does
    unauthorised = client.get("/api/v1/summary")
    assert unauthorised.status_code == 401 and unauthorised.headers["www-authenticate"] == "Bearer"
    assert unauthorised.headers["x-frame-options"] == "DENY"
    assert client.head("/api/v1/summary", headers=ioc).status_code == 405  # not GET: the full app


def test_tokens_created_and_revoked_on_the_command_line_are_audited_and_end_sessions(
    world: World,  # noqa: F811
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from govnet.cli import app as cli

    monkeypatch.setenv("GOVNET_API_TOKENS", str(world.tokens.path))
    store = f"sqlite:///{client.app.state.govnet.store.db.path}"  # type: ignore[attr-defined]
    runner = CliRunner()
    made = runner.invoke(
        cli,
        ["api", "token", "create", "--role", "noc", "--note", "Tran Thi B", "--store", store],
        catch_exceptions=False,
    )
    assert made.exit_code == 0, made.output
    token = next(line for line in made.output.splitlines() if line.startswith("gvn_"))
    token_id = token.split("_", 2)[1]
    assert client.post("/api/v1/session", json={"token": token}).status_code == 200
    assert client.get("/api/v1/summary").status_code == 200
    gone = runner.invoke(cli, ["api", "token", "revoke", token_id, "--store", store], catch_exceptions=False)
    assert gone.exit_code == 0, gone.output
    assert token_id not in client.app.state.govnet.sessions.token_ids()  # type: ignore[attr-defined]
    assert client.get("/api/v1/summary").status_code == 401
    log = runner.invoke(cli, ["api", "audit", "--store", store, "--json"], catch_exceptions=False)
    entries = json.loads(log.output)["items"]
    actions = [(e["action"], e["target"]) for e in entries]
    assert ("token.revoke", f"token {token_id}") in actions
    assert any(a == "token.create" and token_id in t and "Tran Thi B" in t for a, t in actions)
    assert token.split("_", 2)[2] not in log.output


def test_a_lockout_is_logged_without_the_secret(
    world: World,  # noqa: F811
    app_state: ApiState,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _t, token_id, _ = bearer(world, Role.IOC)
    secret = "s" * 43
    with caplog.at_level("WARNING", logger="govnet.api"):
        for _ in range(app_state.failed_auth.max_failures):
            client.get("/api/v1/summary", headers={"Authorization": f"Bearer gvn_{token_id}_{secret}"})
    said = [r.getMessage() for r in caplog.records if "locked out" in r.getMessage()]
    assert any(token_id in m for m in said) and any("testclient" in m for m in said), said
    assert not any(secret in r.getMessage() for r in caplog.records)
