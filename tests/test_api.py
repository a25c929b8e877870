"""The status API over a store the real engine filled from fake agents (a hub of the sample died).

Auth (missing, invalid, expired tokens; wrong role; district scope), validation, pagination,
ETag, OpenAPI validity and "no secret in any answer". The live server on the lab is tested in
test_api_lab.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govnet import logs
from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.inventory.models import Role as DeviceRole
from govnet.inventory.network import Network
from govnet.monitor.config import targets_from_inventory
from govnet.monitor.engine import Monitor
from govnet.monitor.fake import FakeScraper
from govnet.monitor.incidents import reachable_from_core
from govnet.monitor.store import open_store


@dataclass
class World:
    network: Network
    client: TestClient
    tokens: TokenStore
    hub: str
    cut_agencies: set[str]
    behind: set[str]

    def token(
        self, role: Role, district: str | None = None, expires_in: float | None = None
    ) -> dict[str, str]:
        token, _ = self.tokens.create(role, district, expires_in)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("api-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        network = load_inventory(sample_dir())
    store = open_store(str(home / "monitor.db"))
    agents = FakeScraper(network)
    now = [5_000_000.0]
    monitor = Monitor(network, store, agents, targets_from_inventory(network), clock=lambda: now[0])
    asyncio.run(monitor.tick())
    hub = max(
        (d.name for d in network.devices_with_role(DeviceRole.HUB)),
        key=lambda h: len(network.links_by_device[h]),
    )
    agents.kill(hub)
    now[0] += 130
    asyncio.run(monitor.tick())
    asyncio.run(monitor.tick())  # its confirmation poll fails too: unreachable
    behind = reachable_from_core(network, set(), set()) - reachable_from_core(network, set(), {hub})
    cut = {a.id for a in network.agencies.values() if a.cpe in behind}
    tokens = TokenStore(home / "tokens.json")
    client = TestClient(create_app(ApiState(network, store, tokens, cors_origins=["https://ioc.example"])))
    yield World(network, client, tokens, hub, cut, behind)
    store.close()


def error_of(answer: Any) -> dict[str, Any]:
    body = answer.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return dict(body["error"])


def test_summary_counts_the_agencies_cut_off_by_the_dead_hub(world: World) -> None:
    answer = world.client.get("/api/v1/summary", headers=world.token(Role.IOC))
    assert answer.status_code == 200
    body = answer.json()
    assert body["agencies"]["total"] == len(world.network.agencies)
    assert body["agencies"]["offline"] == len(world.cut_agencies) > 0
    assert body["agencies"]["online"] == body["agencies"]["total"] - len(world.cut_agencies)
    assert body["incidents_open"] == 1
    assert sum(d["agencies"]["total"] for d in body["districts"]) == body["agencies"]["total"]
    # ETag: the same state answers 304 to a conditional request.
    again = world.client.get(
        "/api/v1/summary", headers={**world.token(Role.IOC), "If-None-Match": answer.headers["etag"]}
    )
    assert again.status_code == 304 and "last-modified" in answer.headers


def test_agency_detail_has_path_to_core_and_status(world: World) -> None:
    agency = sorted(world.cut_agencies)[0]
    body = world.client.get(f"/api/v1/agencies/{agency}", headers=world.token(Role.IOC)).json()
    assert body["status"] == "offline"
    hops = [h["device"] for h in body["path_to_core"]]
    assert hops[0].startswith("core") and hops[-1] == body["cpe"] and world.hub in hops
    assert body["last_change"]["to"] == "down"
    assert set(body["availability"]) == {"24h", "30d"}


def test_missing_invalid_and_expired_tokens_are_401_with_a_json_body(world: World) -> None:
    for headers, word in (
        ({}, "missing"),
        ({"Authorization": "Basic abc"}, "Bearer"),
        ({"Authorization": "Bearer nonsense"}, "malformed"),
        ({"Authorization": "Bearer gvn_deadbeef_not-a-real-secret"}, "unknown"),
        (world.token(Role.NOC, expires_in=-1), "expired"),
    ):
        answer = world.client.get("/api/v1/summary", headers=headers)
        assert answer.status_code == 401, headers
        assert word in error_of(answer)["message"]
        assert answer.headers["www-authenticate"] == "Bearer"


def test_a_revoked_token_stops_working(world: World) -> None:
    token, record = world.tokens.create(Role.NOC)
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/summary", headers=headers).status_code == 200
    assert world.tokens.revoke(record.id)
    assert world.client.get("/api/v1/summary", headers=headers).status_code == 401


def test_wrong_role_is_403(world: World) -> None:
    ioc = world.token(Role.IOC)
    for path in ("/api/v1/devices", "/api/v1/links", "/api/v1/incidents", "/api/v1/metrics"):
        answer = world.client.get(path, headers=ioc)
        assert answer.status_code == 403, path
        assert "needs role 'noc'" in error_of(answer)["hint"]
    assert world.client.post("/api/v1/incidents/1/ack", headers=ioc).status_code == 403
    assert world.client.get("/api/v1/devices", headers=world.token(Role.ENGINEER)).status_code == 200


def test_district_scope_limits_what_a_token_sees(world: World) -> None:
    hub_district = world.network.district_of(world.hub)
    other = next(d for d in world.network.district_names if d != hub_district)
    scoped = world.token(Role.NOC, district=other)
    summary = world.client.get("/api/v1/summary", headers=scoped).json()
    assert [d["id"] for d in summary["districts"]] == [other]
    assert summary["agencies"]["offline"] == 0
    assert world.client.get(f"/api/v1/districts/{hub_district}", headers=scoped).status_code == 403
    assert world.client.get(f"/api/v1/districts/{other}", headers=scoped).status_code == 200
    cut = sorted(world.cut_agencies)[0]
    assert world.client.get(f"/api/v1/agencies/{cut}", headers=scoped).status_code == 403
    listed = world.client.get("/api/v1/agencies?limit=1000", headers=scoped).json()["items"]
    assert listed and {a["district"] for a in listed} == {other}
    # The dead hub's incident is not this district's business.
    assert world.client.get("/api/v1/incidents", headers=scoped).json()["total"] == 0


def test_bad_ids_and_parameters_are_422_saying_what_is_wrong(world: World) -> None:
    headers = world.token(Role.NOC)
    for path, where in (
        ("/api/v1/agencies/NOT_A_SLUG!", "agency_id"),
        ("/api/v1/sla?period=7days", "period"),
        ("/api/v1/agencies?limit=0", "limit"),
        ("/api/v1/agencies?status=sleeping", "status"),
        ("/api/v1/incidents/0", "incident_id"),
        ("/api/v1/incidents/99999999999999999999999", "incident_id"),
    ):
        answer = world.client.get(path, headers=headers)
        assert answer.status_code == 422, path
        error = error_of(answer)
        assert where in error["message"] and error["details"], path
    assert world.client.get("/api/v1/agencies/no-such-agency", headers=headers).status_code == 404


def test_pagination(world: World) -> None:
    headers = world.token(Role.IOC)
    page = world.client.get("/api/v1/agencies?limit=10&offset=5", headers=headers).json()
    everything = world.client.get("/api/v1/agencies?limit=1000", headers=headers).json()
    assert page["total"] == everything["total"] == len(world.network.agencies)
    assert page["items"] == everything["items"][5:15]
    offline = world.client.get("/api/v1/agencies?status=offline&limit=1000", headers=headers).json()
    assert {a["id"] for a in offline["items"]} == world.cut_agencies


def test_incident_ack_and_links(world: World) -> None:
    noc = world.token(Role.NOC)
    (incident,) = world.client.get("/api/v1/incidents", headers=noc).json()["items"]
    assert incident["root_cause"] == world.hub and incident["blast_radius"]["agencies"] == len(
        world.cut_agencies
    )
    acked = world.client.post(f"/api/v1/incidents/{incident['id']}/ack", headers=noc).json()
    assert acked["acknowledged_by"].startswith("token:")
    links = world.client.get("/api/v1/links?state=down&limit=1000", headers=noc).json()["items"]
    assert links and all(world.hub in (lk["a"].split(":")[0], lk["b"].split(":")[0]) for lk in links)


def test_geojson_marks_the_cut_off_sites_down(world: World) -> None:
    doc = world.client.get("/api/v1/topology/geojson", headers=world.token(Role.IOC)).json()
    assert doc["type"] == "FeatureCollection"
    sites = {
        f["properties"]["id"]: f["properties"]["status"]
        for f in doc["features"]
        if f["geometry"]["type"] == "Point"
    }
    cut_sites = {world.network.devices[d].site for d in world.behind | {world.hub}}
    assert {s for s, status in sites.items() if status == "down"} == cut_sites


def test_healthz_needs_no_token_and_cors_allows_the_ioc(world: World) -> None:
    health = world.client.get("/api/v1/healthz")
    assert health.status_code == 200
    # The world's monitor ran on a fake clock (in 1970) and never said it stopped: silent, so the
    # answer is degraded for the monitor alone (the store takes writes: no "store" part).
    body = health.json()
    assert body["status"] == "degraded" and "store" not in body, body
    assert body["monitor"]["state"] == "silent" and body["reason"] == body["monitor"]["message"], body
    answer = world.client.get(
        "/api/v1/summary", headers={**world.token(Role.IOC), "Origin": "https://ioc.example"}
    )
    assert answer.headers["access-control-allow-origin"] == "https://ioc.example"
    other = world.client.get(
        "/api/v1/summary", headers={**world.token(Role.IOC), "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers


def test_openapi_document_is_valid_3_1(world: World) -> None:
    from openapi_spec_validator import validate

    doc = world.client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_no_answer_contains_a_secret(world: World, tmp_path: Path) -> None:
    secrets = {s for s in world.network.secrets.plain_values() if len(s) >= 6}
    assert secrets
    log_file = tmp_path / "api.log"  # and the API's log, at DEBUG (govnet.logs)
    logs.configure(logs.LogSettings("debug", "json", log_file))
    engineer = world.token(Role.ENGINEER)
    paths = [
        "/api/v1/summary",
        "/api/v1/agencies?limit=1000",
        "/api/v1/devices?limit=1000",
        "/api/v1/links?limit=1000",
        "/api/v1/incidents?open=false",
        "/api/v1/topology/spof",
        "/api/v1/topology/geojson",
        "/api/v1/sla?period=30d",
        "/api/v1/metrics",
        "/api/v1/openapi.json",
        f"/api/v1/agencies/{sorted(world.cut_agencies)[0]}",
    ]
    for path in paths:
        text = world.client.get(path, headers=engineer).text
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{path} leaks a secret"
    wrong = engineer["Authorization"][:-6] + "AAAAAA"  # a known token id with a wrong secret
    assert world.client.get(paths[0], headers={"Authorization": wrong}).status_code == 401
    logged = log_file.read_text(encoding="utf-8")
    assert "authentication failed" in logged
    assert not [s for s in secrets if s in logged] and wrong.split("_", 2)[2] not in logged
    assert engineer["Authorization"].split("_", 2)[2] not in logged
    # The token file keeps hashes only.
    token, _ = world.tokens.create(Role.IOC)
    assert token.split("_", 2)[2] not in world.tokens.path.read_text(encoding="utf-8")
    assert json.loads(world.tokens.path.read_text(encoding="utf-8"))["tokens"]


def test_provisioning_dry_run_is_for_engineers_and_checks_its_filters(world: World) -> None:
    url = "/api/v1/provision/dry-run"
    assert world.client.post(url, json={"filter": []}, headers=world.token(Role.NOC)).status_code == 403
    bad = world.client.post(url, json={"filter": ["colour=red"]}, headers=world.token(Role.ENGINEER))
    assert bad.status_code == 400 and "filter" in error_of(bad)["message"]
    extra = world.client.post(url, json={"filter": [], "commit": True}, headers=world.token(Role.ENGINEER))
    assert extra.status_code == 422  # there is no way to ask the API to change a device
    none = world.client.post(url, json={"filter": ["name=no-such-*"]}, headers=world.token(Role.ENGINEER))
    assert none.status_code == 200 and none.json()["devices"] == [] and none.json()["dry_run"] is True
