"""The audit log covers every state-changing or device-touching route: the test enumerates the app's
routes that are not GET (so a route added later fails here until it is audited and taught to the
test), calls each as it is meant to be called, and checks it wrote one row naming the caller, the
action, the target and the address, with no secret in it. Maintenance windows over the API and the
command line: declared, listed, removed, scoped, audited."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from govnet.api.app import create_app
from govnet.api.auth import Role
from govnet.api.deps import ApiState
from govnet.api.sessions import COOKIE
from tests.test_api import World, error_of, world  # noqa: F401 - the shared module fixture


@pytest.fixture
def state(world: World) -> ApiState:  # noqa: F811
    return ApiState(world.network, world.client.app.state.govnet.store, world.tokens)  # type: ignore[attr-defined]


@pytest.fixture
def client(state: ApiState) -> Iterator[TestClient]:
    with TestClient(create_app(state)) as c:
        yield c


@pytest.fixture
def diffed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The devices a dry run asks to diff, recorded instead of opening SSH sessions to the sample."""
    import govnet.tasks.rollout as tasks_rollout

    asked: list[str] = []

    def record(_network: Any, names: list[str], **_kwargs: Any) -> list[Any]:
        asked.extend(names)
        return []

    monkeypatch.setattr(tasks_rollout, "rollout", record)
    return asked


def every_route(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, through included routers (FastAPI keeps them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            for method in route.methods or set():
                yield method, prefix + route.path
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from every_route(inner.routes, prefix + str(getattr(context, "prefix", "")))


WINDOW = {
    "target": "*",
    "starts": "2026-11-22T22:00:00+07:00",
    "ends": "2026-11-23T02:00:00+07:00",
    "reason": "thay cáp quang hub",
}


def test_every_route_that_is_not_a_read_writes_an_audit_row(
    world: World,  # noqa: F811
    state: ApiState,
    client: TestClient,
    diffed: list[str],
) -> None:
    token, record = world.tokens.create(Role.ENGINEER, note="Le Van C, engineer")
    headers = {"Authorization": f"Bearer {token}"}
    incident = client.get("/api/v1/incidents?open=false", headers=headers).json()["items"][0]["id"]
    window: dict[str, int] = {}

    def declare() -> Any:
        answer = client.post("/api/v1/maintenance", json=WINDOW, headers=headers)
        window["id"] = answer.json()["id"]
        return answer

    def remove() -> Any:
        if "id" not in window:
            declare()
        return client.delete(f"/api/v1/maintenance/{window['id']}", headers=headers)

    def logout() -> Any:
        client.post("/api/v1/session", json={"token": token})
        csrf = client.get("/api/v1/session").json()["csrf"]
        return client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})

    # (method, path) -> (how to call it, the action it records, words its target must hold)
    recipes: dict[tuple[str, str], tuple[Callable[[], Any], str, str]] = {
        ("POST", "/api/v1/incidents/{incident_id}/ack"): (
            lambda: client.post(f"/api/v1/incidents/{incident}/ack", headers=headers),
            "incident.ack",
            f"incident {incident}",
        ),
        ("POST", "/api/v1/provision/dry-run"): (
            lambda: client.post("/api/v1/provision/dry-run", json={"filter": ["role=hub"]}, headers=headers),
            "provision.dry-run",
            "filter role=hub",
        ),
        ("POST", "/api/v1/session"): (
            lambda: client.post("/api/v1/session", json={"token": token}),
            "session.start",
            "",
        ),
        ("DELETE", "/api/v1/session"): (logout, "session.end", ""),
        ("POST", "/api/v1/maintenance"): (declare, "maintenance.add", "* 2026-11-22T15:00Z"),
        ("DELETE", "/api/v1/maintenance/{window_id}"): (remove, "maintenance.delete", "thay cáp quang hub"),
    }
    routes = {(m, p) for m, p in every_route(client.app.routes) if m not in {"GET", "HEAD"}}  # type: ignore[attr-defined]
    documented = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    routes |= {(m.upper(), p) for p, item in documented.items() for m in item if m not in {"get", "head"}}
    assert routes == set(recipes), f"teach this test (and the audit log) the routes {routes ^ set(recipes)}"
    for (method, path), (call, action, words) in sorted(recipes.items()):
        before = state.audit.entries(1)[1]
        answer = call()
        assert answer.status_code in (200, 201), f"{method} {path}: {answer.status_code} {answer.text}"
        entries, after = state.audit.entries(100)
        new = [e for e in entries[: after - before] if e.action == action]
        assert new, f"{method} {path} wrote no '{action}' row"
        row = new[0]
        assert (row.token_id, row.token_name, row.role) == (record.id, "Le Van C, engineer", "engineer")
        assert row.address == "testclient" and row.outcome == "ok" and words in row.target, row
        assert token.split("_", 2)[2] not in json.dumps(row.as_dict())
        assert client.cookies.get(COOKIE) is None or client.cookies.get(COOKIE) not in row.target


def test_maintenance_windows_over_the_api_are_scoped_and_audited(
    world: World,  # noqa: F811
    state: ApiState,
    client: TestClient,
) -> None:
    network = world.network
    mine, other = sorted(network.district_names)[:2]
    device = next(d for d in sorted(network.devices) if network.district_of(d) == mine)
    foreign = next(d for d in sorted(network.devices) if network.district_of(d) == other)
    scoped = {"Authorization": f"Bearer {world.tokens.create(Role.ENGINEER, mine)[0]}"}
    noc = world.token(Role.NOC)
    soon = datetime.now(UTC) + timedelta(days=1)  # the list shows the windows that have not ended
    times = {"starts": soon.isoformat(), "ends": (soon + timedelta(hours=4)).isoformat()}
    body = {**WINDOW, "target": f"device:{device}", **times}
    # The NOC reads windows; declaring one is the engineer's.
    assert client.post("/api/v1/maintenance", json=body, headers=noc).status_code == 403
    made = client.post("/api/v1/maintenance", json=body, headers=scoped)
    assert made.status_code == 201, made.text
    wid = made.json()["id"]
    assert wid in [w["id"] for w in client.get("/api/v1/maintenance", headers=noc).json()["items"]]
    assert wid in [w["id"] for w in client.get("/api/v1/maintenance", headers=scoped).json()["items"]]
    # Outside the scope: another district's device, another district, the whole province.
    for target in (f"device:{foreign}", f"district:{other}", "*"):
        answer = client.post("/api/v1/maintenance", json={**body, "target": target}, headers=scoped)
        assert answer.status_code == 403, (target, answer.text)
    # Bad input: unknown device, ends before starts, no time zone, control characters.
    engineer = world.token(Role.ENGINEER)
    for bad, code in (
        ({"target": "device:no-such-router"}, 404),
        ({"ends": (soon - timedelta(hours=1)).isoformat()}, 422),
        ({"ends": (soon + timedelta(days=400)).isoformat()}, 422),
        ({"starts": "2026-11-22T22:00:00"}, 422),
        ({"reason": "a\nb"}, 422),
        ({"target": "device:x;rm"}, 422),
    ):
        answer = client.post("/api/v1/maintenance", json={**body, **bad}, headers=engineer)
        assert answer.status_code == code, (bad, answer.text)
        assert error_of(answer)["message"]
    # A province-wide window is shown to the scoped token (it covers its objects) but not its to
    # remove; another district's window is neither (404, as if absent).
    province = client.post("/api/v1/maintenance", json={**body, "target": "*"}, headers=engineer).json()["id"]
    elsewhere = {**body, "target": f"device:{foreign}"}
    theirs = client.post("/api/v1/maintenance", json=elsewhere, headers=engineer).json()["id"]
    listed = [w["id"] for w in client.get("/api/v1/maintenance", headers=scoped).json()["items"]]
    assert province in listed and theirs not in listed
    assert client.delete(f"/api/v1/maintenance/{province}", headers=scoped).status_code == 403
    assert client.delete(f"/api/v1/maintenance/{theirs}", headers=scoped).status_code == 404
    assert {province, theirs} <= {w.id for w in state.store.maintenance()}
    assert client.delete(f"/api/v1/maintenance/{wid}", headers=scoped).status_code == 200
    assert client.delete(f"/api/v1/maintenance/{wid}", headers=scoped).status_code == 404
    assert wid not in [w.id for w in state.store.maintenance()]
    actions = [(e.action, e.target) for e in state.audit.entries(50)[0]]
    assert ("maintenance.add", f"window {wid}") in [(a, t.split(":")[0]) for a, t in actions]
    assert ("maintenance.delete", f"window {wid}") in [(a, t.split(":")[0]) for a, t in actions]


def test_maintenance_on_the_command_line_is_audited(state: ApiState) -> None:
    from govnet.cli import app as cli

    store = f"sqlite:///{state.store.db.path}"
    runner = CliRunner()
    added = runner.invoke(
        cli,
        [
            "monitor",
            "maintenance",
            "add",
            "*",
            "--start",
            WINDOW["starts"],
            "--end",
            WINDOW["ends"],
            "--reason",
            "nâng cấp",
            "--store",
            store,
        ],
        catch_exceptions=False,
    )
    assert added.exit_code == 0, added.output
    wid = int(added.output.split("maintenance window ")[1].split()[0])
    removed = runner.invoke(
        cli, ["monitor", "maintenance", "delete", str(wid), "--store", store], catch_exceptions=False
    )
    assert removed.exit_code == 0, removed.output
    again = runner.invoke(cli, ["monitor", "maintenance", "delete", str(wid), "--store", store])
    assert again.exit_code != 0 and f"no maintenance window {wid}" in str(again.exception)
    entries = state.audit.entries(10)[0]
    rows = {e.action: e for e in entries if e.target.startswith(f"window {wid}:")}
    assert set(rows) == {"maintenance.add", "maintenance.delete"}
    assert all(r.token_name == "cli" and r.address.startswith("local:") for r in rows.values())
    assert "nâng cấp" in rows["maintenance.add"].target
