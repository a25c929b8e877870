"""District scope is a ceiling: no answer to a district-scoped token names anything of another district.

The test walks EVERY operation of the OpenAPI document (so a route added later is covered, or the
test fails saying it does not know how to call it), with a token of each role scoped to one
district, asking about another district's objects by id, by filter and by query parameter, and
searches every answer for the other districts' device names, site ids, agency/endpoint ids,
link ids and district ids. ``/events`` is checked on a live server with real changes.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from govnet.api.auth import Role
from govnet.api.deps import ApiState
from govnet.api.scope import Scope
from govnet.inventory.communes import communes
from govnet.topology.graph import endpoints_by_device
from tests.test_api import World, world  # noqa: F401 - the shared module fixture


@dataclass(frozen=True)
class Names:
    """What one district's token may see, and what it must never see."""

    district: str
    own: dict[str, set[str]]  # kind -> ids
    foreign: dict[str, set[str]]

    def leaks(self, text: str, asked: str = "") -> list[str]:
        """Foreign names in ``text`` (as whole names; the request's own words excepted)."""
        words = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9._:-]*", text))
        # Link ids carry ':' and '--'; split them too, so a device named inside a link id is seen.
        parts = {p for w in words for p in re.split(r"[:]|--", w) if p}
        found = []
        for kind, names in self.foreign.items():
            for name in names:
                if (name in words or name in parts) and name not in asked:
                    found.append(f"{kind} {name}")
        return sorted(found)


def names_for(world: World, district: str) -> Names:  # noqa: F811
    network = world.network
    own: dict[str, set[str]] = {
        k: set() for k in ("device", "site", "endpoint", "link", "district", "commune")
    }
    foreign: dict[str, set[str]] = {k: set() for k in own}
    scope = Scope(network, district)
    for name in network.devices:
        (own if name in scope.devices else foreign)["device"].add(name)
    for site in network.sites.values():
        (own if site.district == district else foreign)["site"].add(site.id)
    for eps in endpoints_by_device(network).values():
        for ep in eps:
            (own if ep.district == district else foreign)["endpoint"].add(ep.id)
    for agency in network.agencies.values():
        mine = network.sites[agency.site].district == district
        (own if mine else foreign)["endpoint"].add(agency.id)
    for link in network.links:
        (own if link.id in scope.links else foreign)["link"].add(link.id)
    for d in network.district_names:
        (own if d == district else foreign)["district"].add(d)
    for commune in communes(network).values():
        (own if commune.district == district else foreign)["commune"].add(commune.id)
    # A name both sides use (an id reused across kinds) cannot tell a leak apart.
    every_own = set().union(*own.values())
    foreign = {k: v - every_own for k, v in foreign.items()}
    return Names(district, own, foreign)


def other_districts(world: World, district: str) -> list[str]:  # noqa: F811
    """Whom to ask about: the dead hub's district (its incident reaches others) and a neighbour."""
    ids = sorted(world.network.district_names)
    hub_district = world.network.district_of(world.hub)
    neighbour = ids[(ids.index(district) + 1) % len(ids)]
    return sorted({hub_district, neighbour} - {district})


def query_values(name: str, other: Names, own: Names) -> list[str | None]:
    """Values to try for one query parameter (None: left out)."""
    other_district = sorted(other.own["district"])[0]
    known: dict[str, list[str | None]] = {
        "district": [None, other_district, own.district],
        "commune": [None, sorted(other.own["commune"])[0], *sorted(own.own["commune"])[:1]],
        "limit": ["1000"],
        "offset": [None],
        "status": [None],
        "role": [None, "hub", "core"],
        "state": [None, "down"],
        "open": ["false"],
        "period": ["30d", "2026-11"],
        "action": [None, "incident.ack"],
        "format": ["json", "csv", "html"],
        "window": [None, "30d"],
        "firing": [None, "false"],
        "days": [None, "90"],
        "hours": [None, "744"],
        "kind": [None, "link"],
    }
    assert name in known, f"the scope test does not know query parameter '{name}': teach it"
    return known[name]


def path_values(
    name: str,
    world: World,  # noqa: F811
    other: Names,
    own: Names,
    incident_ids: list[int],
) -> list[tuple[str, bool]]:
    """Real ids of another district and of the token's own: (value, belongs to another district)."""
    if name == "incident_id":  # store ids: whether one reaches the district is the route's to say
        return [(str(i), False) for i in incident_ids]
    if name == "window_id":  # every maintenance window: whether it is the district's is the route's to say
        state: ApiState = world.client.app.state.govnet  # type: ignore[attr-defined]
        return [(str(w.id), False) for w in state.store.maintenance()]
    if name in {"z", "x", "y"}:  # a map tile: public geography, the same for every token
        return [("3", False)]
    if name == "interface":  # one of another district's devices' and one of the token's own
        devices = sorted(other.own["device"])[:1] + sorted(own.own["device"])[:1]
        return [(world.network.devices[d].interfaces[0], False) for d in devices]
    agencies = world.network.agencies
    pick = {
        "device": lambda n: sorted(n.own["device"])[:2],
        "agency_id": lambda n: sorted(a for a in n.own["endpoint"] if a in agencies)[:2],
        "district_id": lambda n: sorted(n.own["district"]),
        "commune_id": lambda n: sorted(n.own["commune"])[:2],
        "link_id": lambda n: sorted(n.own["link"])[:2],
        "site_id": lambda n: sorted(n.own["site"])[:2],
    }
    assert name in pick, f"the scope test does not know path parameter '{name}': teach it"
    return [(v, True) for v in pick[name](other)] + [(v, False) for v in pick[name](own)]


def bodies(path: str, schema: dict[str, Any], other: Names, own: Names, token: str) -> list[dict[str, Any]]:
    """Request bodies for the operations that take one."""
    props = set(schema.get("properties", {}))
    if "filter" in props:  # the provisioning dry run: other districts by district, name, site
        other_district = sorted(other.own["district"])[0]
        device = sorted(other.own["device"])[0]
        site = sorted(other.own["site"])[0]
        return [
            {"filter": [f"district={other_district}"]},
            {"filter": [f"district={own.district},{other_district}"]},
            {"filter": ["district=*"]},
            {"filter": [f"name={device}"]},
            {"filter": [f"site={site}"]},
            {"filter": [f"name={device}", f"district={other_district}"]},
        ]
    if "token" in props:
        return [{"token": token}]
    if "target" in props:  # a maintenance window: another district's objects, the province, its own
        starts = datetime.now(UTC) + timedelta(days=1)
        times = {"starts": starts.isoformat(), "ends": (starts + timedelta(hours=2)).isoformat()}
        targets = [
            "*",
            f"district:{sorted(other.own['district'])[0]}",
            f"device:{sorted(other.own['device'])[0]}",
            f"commune:{sorted(other.own['commune'])[0]}",
            f"device:{sorted(own.own['device'])[0]}",
        ]
        return [{"target": t, "reason": "scope test", **times} for t in targets]
    raise AssertionError(f"the scope test does not know the body of {path}: teach it")


@pytest.fixture()
def diffed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The devices the dry run was asked to diff, recorded instead of opening SSH sessions.

    What is under test is which devices a scoped token may get diffed; should that ever be
    wrong again, the test must not open sessions to other districts' routers (nor anywhere).
    """
    import govnet.tasks.rollout as tasks_rollout

    asked: list[str] = []

    def record(network: Any, names: list[str], **_kwargs: Any) -> list[Any]:
        asked.extend(names)
        return []

    monkeypatch.setattr(tasks_rollout, "rollout", record)
    return asked


#: Operations whose answer must be 403 for any district-scoped token (documented in OpenAPI).
SCOPED_403 = {
    ("get", "/api/v1/topology/spof"),
    ("get", "/api/v1/metrics"),
    ("get", "/api/v1/notifications"),
}


def test_every_operation_answers_a_scoped_token_only_with_its_district(
    world: World,  # noqa: F811
    diffed: list[str],
) -> None:
    state: ApiState = world.client.app.state.govnet  # type: ignore[attr-defined]
    client = TestClient(world.client.app)  # its own cookie jar: /session sets one
    doc = world.client.app.openapi()  # type: ignore[attr-defined]
    incident_ids = [r.id for r in state.store.incidents(open_only=False, limit=1000)]
    assert incident_ids, "the world has the dead hub's incident"
    covered: set[tuple[str, str]] = set()
    own_seen: set[str] = set()
    problems: list[str] = []
    for district in sorted(world.network.district_names):  # a token of every district
        own = names_for(world, district)
        for other_district in other_districts(world, district):
            other = names_for(world, other_district)
            for role in Role:
                token, _ = world.tokens.create(role, district)
                headers = {"Authorization": f"Bearer {token}"}
                for path, item in doc["paths"].items():
                    for method, op in item.items():
                        if path.endswith("/events"):
                            continue  # streams: test_events_never_carry_another_districts_changes
                        covered.add((method, path))
                        problems += call_variants(
                            world,
                            diffed,
                            client,
                            method,
                            path,
                            op,
                            other,
                            own,
                            token,
                            headers,
                            incident_ids,
                            own_seen,
                        )
    every = {(m, p) for p, item in doc["paths"].items() for m in item}
    assert every - covered == {("get", "/api/v1/events")}
    assert not problems, "\n".join(problems[:40])
    # Not vacuous: the scoped answers did carry the district's own names.
    assert len(own_seen) > 20, own_seen


def call_variants(
    world: World,  # noqa: F811
    diffed: list[str],
    client: TestClient,
    method: str,
    path: str,
    op: dict[str, Any],
    other: Names,
    own: Names,
    token: str,
    headers: dict[str, str],
    incident_ids: list[int],
    own_seen: set[str],
) -> list[str]:
    params = [p for p in op.get("parameters", []) if p["in"] in {"path", "query"}]
    unknown = [p["name"] for p in op.get("parameters", []) if p["in"] not in {"path", "query"}]
    assert not unknown, f"{method} {path}: the scope test does not fill {unknown}"
    urls: list[tuple[str, dict[str, str], bool]] = [(path, {}, False)]
    for p in params:
        grown = []
        for url, query, asks_other in urls:
            if p["in"] == "path":
                for v, foreign in path_values(p["name"], world, other, own, incident_ids):
                    grown.append((url.replace("{" + p["name"] + "}", v), query, asks_other or foreign))
            else:
                for qv in query_values(p["name"], other, own):
                    q = dict(query) if qv is None else {**query, p["name"]: qv}
                    foreign = qv is not None and (
                        (p["name"] == "district" and qv in other.own["district"] - own.own["district"])
                        or (p["name"] == "commune" and qv in other.own["commune"])
                    )
                    grown.append((url, q, asks_other or foreign))
        urls = grown
    body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    problems = []
    for url, query, asks_other in urls:
        if body_schema is not None:
            ref = body_schema.get("$ref", "")
            schema = (
                client.app.openapi()["components"]["schemas"][ref.rsplit("/", 1)[-1]]  # type: ignore[attr-defined]
                if ref
                else body_schema
            )
            payloads: list[dict[str, Any] | None] = list(bodies(path, schema, other, own, token))
        else:
            payloads = [None]
        for payload in payloads:
            diffed.clear()
            answer = client.request(method.upper(), url, params=query, json=payload, headers=headers)
            foreign_diffed = sorted(d for d in diffed if d not in own.own["device"])
            if foreign_diffed:
                problems.append(f"{method.upper()} {url} {payload}: diffed {foreign_diffed[:5]}")
            where = f"{method.upper()} {url}?{query} {payload or ''} ({own.district} token)"
            assert answer.status_code < 500, f"{where}: {answer.status_code} {answer.text[:300]}"
            asked = url + json.dumps(query) + json.dumps(payload)
            leaked = own.leaks(answer.text, asked)
            if leaked:
                problems.append(f"{where} -> {answer.status_code}: {leaked[:6]}")
            if asks_other and answer.status_code in (200, 201) and "filter" not in (payload or {}):
                problems.append(f"{where} -> 200 for another district's object")
            if (method, path) in SCOPED_403 and answer.status_code != 403:
                problems.append(f"{where} -> {answer.status_code}, documented 403 for scoped tokens")
            if answer.status_code == 200:
                words = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", answer.text))
                own_seen.update(words & set().union(*own.own.values()) - own.own["district"])
    return problems


def test_scoped_dry_run_filter_naming_another_district_is_403(
    world: World,  # noqa: F811
    diffed: list[str],
) -> None:
    network = world.network
    mine, other = sorted(network.district_names)[:2]
    token = world.token(Role.ENGINEER, district=mine)
    url = "/api/v1/provision/dry-run"
    for filters in ([f"district={other}"], ["role=hub", f"district={mine},{other}"], ["district=*"]):
        answer = world.client.post(url, json={"filter": filters}, headers=token)
        assert answer.status_code == 403, (filters, answer.text)
        assert other not in answer.text
    device = next(d for d in sorted(network.devices) if network.district_of(d) == other)
    answer = world.client.post(url, json={"filter": [f"name={device}"]}, headers=token)
    assert answer.status_code == 200 and answer.json()["devices"] == []
    assert diffed == []
    # The ceiling keeps what is inside it: the token's own hub is diffed.
    world.client.post(url, json={"filter": ["role=hub"]}, headers=token)
    assert [network.district_of(d) for d in diffed] == [mine]


def test_every_operation_documents_its_district_scope(world: World) -> None:  # noqa: F811
    doc = world.client.app.openapi()  # type: ignore[attr-defined]
    missing = [
        f"{m.upper()} {p}"
        for p, item in doc["paths"].items()
        for m, op in item.items()
        if "District scope:" not in op.get("description", "")
    ]
    assert not missing, missing
    for method, path in SCOPED_403:
        assert "403" in doc["paths"][path][method]["description"].split("District scope:")[1]


def test_scoped_agency_path_folds_the_hops_outside_the_district(world: World) -> None:  # noqa: F811
    network = world.network
    far = next(
        a
        for a in sorted(network.agencies.values(), key=lambda a: a.id)
        if network.district_of(a.cpe) != network.district_of("core-01")
    )
    district = network.district_of(far.cpe)
    body = world.client.get(
        f"/api/v1/agencies/{far.id}", headers=world.token(Role.IOC, district=district)
    ).json()
    hops = body["path_to_core"]
    assert hops[0]["device"] == "outside-scope" and hops[0]["hops"] >= 1 and hops[0]["status"]
    assert all(network.district_of(h["device"]) == district for h in hops[1:])
    assert hops[-1]["device"] == far.cpe
    full = world.client.get(f"/api/v1/agencies/{far.id}", headers=world.token(Role.IOC)).json()
    assert full["path_to_core"][0]["device"].startswith("core")


@pytest.fixture()
def live(world: World) -> Iterator[str]:  # noqa: F811
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    state: ApiState = world.client.app.state.govnet  # type: ignore[attr-defined]
    old_poll, state.events_poll_s = state.events_poll_s, 0.1
    server = uvicorn.Server(
        uvicorn.Config(world.client.app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 30
    while not server.started and time.monotonic() < end:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        state.events_poll_s = old_poll


def read_events_until(url: str, headers: dict[str, str], sentinel: str, deadline_s: float = 60.0) -> str:
    """The /events text up to the event naming ``sentinel`` (fails after ``deadline_s``)."""
    seen = ""
    end = time.monotonic() + deadline_s
    with (
        httpx.Client(timeout=httpx.Timeout(deadline_s)) as http,
        http.stream("GET", url, headers=headers) as answer,
    ):
        assert answer.status_code == 200, answer.read()
        for line in answer.iter_lines():
            seen += line + "\n"
            if line.startswith("data:") and sentinel in line:
                return seen
            assert time.monotonic() < end, f"no event for {sentinel} within {deadline_s}s:\n{seen}"
    raise AssertionError(f"the stream ended before {sentinel}:\n{seen}")


def test_events_never_carry_another_districts_changes(world: World, live: str) -> None:  # noqa: F811
    network = world.network
    state: ApiState = world.client.app.state.govnet  # type: ignore[attr-defined]
    store = state.store
    district = network.district_of(world.hub)
    own = names_for(world, district)
    other_device = next(d for d in sorted(network.devices) if network.district_of(d) != district)
    other_agency = next(
        a.id for a in sorted(network.agencies.values(), key=lambda a: a.id) if a.id in own.foreign["endpoint"]
    )
    cross_link = next(
        lk
        for lk in network.links
        if district in {network.district_of(lk.a_device), network.district_of(lk.b_device)}
        and lk.id not in Scope(network, district).links
    )
    own_device = sorted(own.own["device"])[0]
    before = {(r.kind, r.name): (r.state, r.detail) for r in store.current()}
    start = store.last_change_id()
    at = time.time()

    def flip(kind: str, name: str, bad: str) -> str:  # a state the row is not in: a real change
        return "up" if before.get((kind, name), ("",))[0] == bad else bad

    foreign_rows = [
        ("device", other_device, flip("device", other_device, "unreachable"), None),
        ("endpoint", f"agency:{other_agency}", flip("endpoint", f"agency:{other_agency}", "down"), None),
        ("link", cross_link.id, flip("link", cross_link.id, "down"), None),
        ("alert", f"util_high:{cross_link.id}", "firing", {"value": 99.0}),
        ("alert", f"error_rate:{other_device}:eth0", "firing", {"value": 5.0}),
    ]
    store.set_states(foreign_rows, at, "scope-test")
    own_row = ("device", own_device, flip("device", own_device, "unreachable"), None)
    store.set_states([own_row], at + 1, "scope-test")
    try:
        headers = {"Last-Event-ID": str(start)}
        url = f"{live}/api/v1/events"
        for role in Role:
            token = world.token(role, district=district)
            text = read_events_until(url, {**token, **headers}, own_device)
            assert f'"name": "{own_device}"' in text
            leaked = own.leaks(text)
            assert not leaked, f"{role} token of {district} was sent {leaked}"
        # The unscoped stream does carry them: the scoped one was filtered, not empty.
        full = read_events_until(url, {**world.token(Role.IOC), **headers}, own_device)
        for _kind, name, _state, _detail in foreign_rows:
            assert f'"name": "{name}"' in full, name
    finally:
        restore = [(k, n, *before.get((k, n), ("ok", None))) for k, n, _s, _d in foreign_rows]
        restore.append(("device", own_device, *before[("device", own_device)]))
        store.set_states(restore, time.time(), "scope-test")
