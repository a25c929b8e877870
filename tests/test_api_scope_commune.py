"""Commune scope is a ceiling too: a token scoped to a commune or ward sees that commune's sites,
devices, agencies and links and nothing else, not even its own district's other communes.

The same walk as test_api_scope.py (every operation of the OpenAPI document, ids and filters of
another commune of the same district and of a commune of another district), with tokens scoped to
a commune; the answers are searched for every name outside the commune. The command line creates
such tokens from the inventory's commune ids.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from govnet.api.auth import Role
from govnet.api.deps import ApiState
from govnet.api.scope import Scope
from govnet.inventory import sample_dir
from govnet.inventory.communes import Commune, communes
from govnet.topology.graph import endpoints_by_device
from tests.test_api import World, world  # noqa: F401 - the shared module fixture
from tests.test_api_scope import SCOPED_403, Names, call_variants, diffed  # noqa: F401 - fixture


def names_for_commune(world: World, commune: Commune) -> Names:  # noqa: F811
    """What a token of ``commune`` may see (its district's id included), and everything else."""
    network = world.network
    scope = Scope(network, commune.district, commune.id)
    kinds = ("device", "site", "endpoint", "link", "district", "commune")
    own: dict[str, set[str]] = {k: set() for k in kinds}
    foreign: dict[str, set[str]] = {k: set() for k in kinds}
    for name in network.devices:
        (own if name in scope.devices else foreign)["device"].add(name)
    for site in network.sites:
        (own if site in commune.sites else foreign)["site"].add(site)
    for eps in endpoints_by_device(network).values():
        for ep in eps:
            (own if f"{ep.kind}:{ep.id}" in scope.endpoints else foreign)["endpoint"].add(ep.id)
    for link in network.links:
        (own if link.id in scope.links else foreign)["link"].add(link.id)
    for d in network.district_names:
        (own if d == commune.district else foreign)["district"].add(d)
    for c in communes(network).values():
        (own if c.id == commune.id else foreign)["commune"].add(c.id)
    every_own = set().union(*own.values())
    return Names(commune.district, own, {k: v - every_own for k, v in foreign.items()})


def picked(world: World) -> tuple[Commune, Commune, Commune]:  # noqa: F811
    """A commune with an agency the dead hub cut off, another of its district, one of another district."""
    network = world.network
    every = communes(network)
    cut_sites = {network.agencies[a].site for a in world.cut_agencies}
    first = next(c for c in every.values() if set(c.sites) & cut_sites and len(c.sites) > 1)
    sibling = next(c for c in every.values() if c.district == first.district and c.id != first.id)
    far = next(c for c in every.values() if c.district != first.district and len(c.sites) > 1)
    return first, sibling, far


def test_the_commune_scope_holds_its_communes_objects_only(world: World) -> None:  # noqa: F811
    first, sibling, _far = picked(world)
    scope = Scope(world.network, first.district, first.id)
    assert scope.sites == frozenset(first.sites) and scope.devices and scope.endpoints
    assert not scope.devices & Scope(world.network, sibling.district, sibling.id).devices
    assert scope.devices < Scope(world.network, first.district).devices
    # A commune of another district (or an unknown one) holds nothing: deny by default.
    assert not Scope(world.network, sibling.district, "no-such-commune").devices
    assert not Scope(world.network, _far.district, first.id).devices
    # What /events sends it: its own devices' and endpoints' changes, not its sibling's.
    sibling_scope = Scope(world.network, sibling.district, sibling.id)
    own_device, other_device = sorted(scope.devices)[0], sorted(sibling_scope.devices)[0]
    assert scope.state_visible("device", own_device) and not scope.state_visible("device", other_device)
    own_ep, other_ep = sorted(scope.endpoints)[0], sorted(sibling_scope.endpoints)[0]
    assert scope.state_visible("endpoint", own_ep) and not scope.state_visible("endpoint", other_ep)
    assert not scope.state_visible("alert", f"error_rate:{other_device}:eth0")


def test_every_operation_answers_a_commune_token_only_with_its_commune(
    world: World,  # noqa: F811
    diffed: list[str],  # noqa: F811
) -> None:
    state: ApiState = world.client.app.state.govnet  # type: ignore[attr-defined]
    client = TestClient(world.client.app)
    doc = world.client.app.openapi()  # type: ignore[attr-defined]
    incident_ids = [r.id for r in state.store.incidents(open_only=False, limit=1000)]
    first, sibling, far = picked(world)
    own_seen: set[str] = set()
    problems: list[str] = []
    for mine, others in ((first, (sibling, far)), (far, (first,))):
        own = names_for_commune(world, mine)
        for other_commune in others:
            other = names_for_commune(world, other_commune)
            for role in (Role.IOC, Role.ADMIN):
                token, _ = world.tokens.create(role, mine.district, commune=mine.id)
                headers = {"Authorization": f"Bearer {token}"}
                for path, item in doc["paths"].items():
                    for method, op in item.items():
                        if path.endswith("/events"):
                            continue  # streams: test_api_scope.py's live test covers the filter
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
    assert not problems, "\n".join(problems[:40])
    assert len(own_seen) > 5, own_seen  # the answers did carry the commune's own names


def test_commune_answers_are_cut_to_the_commune(world: World) -> None:  # noqa: F811
    first, sibling, _far = picked(world)
    network = world.network
    token, _ = world.tokens.create(Role.NOC, first.district, commune=first.id)
    auth = {"Authorization": f"Bearer {token}"}
    client = world.client
    mine = sorted(a.id for a in network.agencies.values() if a.site in first.sites)
    listed = client.get("/api/v1/agencies?limit=1000", headers=auth).json()["items"]
    assert sorted(a["id"] for a in listed) == mine
    # The district filter is the token's own district, cut to the commune; another commune is 403.
    same = client.get(f"/api/v1/agencies?district={first.district}&limit=1000", headers=auth).json()
    assert sorted(a["id"] for a in same["items"]) == mine
    assert client.get(f"/api/v1/agencies?commune={sibling.id}", headers=auth).status_code == 403
    assert client.get(f"/api/v1/communes/{sibling.id}", headers=auth).status_code == 403
    assert client.get(f"/api/v1/districts/{first.district}", headers=auth).status_code == 403
    summary = client.get("/api/v1/summary", headers=auth).json()
    kinds = {"agencies": "agency", "bts_sites": "bts", "hotspots": "wifi"}
    scope = Scope(network, first.district, first.id)
    for key, kind in kinds.items():
        assert summary[key]["total"] == sum(1 for e in scope.endpoints if e.startswith(f"{kind}:"))
    assert summary["commune"] == first.id and summary["agencies"]["offline"] > 0
    incidents = client.get("/api/v1/incidents?open=false", headers=auth).json()["items"]
    assert incidents and all(i["root_cause"] == "outside-scope" for i in incidents)
    for incident in incidents:
        ids = {e["id"] for e in incident["blast_radius"]["endpoints"]}
        assert ids and ids <= {e.split(":", 1)[1] for e in scope.endpoints}
    report = client.get("/api/v1/reports/sla?period=30d&format=json", headers=auth).json()
    assert sorted(a["id"] for a in report["agencies"]) == mine
    assert report["districts"] == [] and report["total"]["id"] == first.id
    session = client.get("/api/v1/session", headers=auth).json()
    assert (session["district"], session["commune"]) == (first.district, first.id)


def test_the_command_line_creates_commune_tokens_from_the_inventory(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from govnet.cli import app as cli  # the whole command line: only this test needs it

    first, _sibling, far = picked(world)
    monkeypatch.setenv("GOVNET_API_TOKENS", str(world.tokens.path))
    monkeypatch.setenv("GOVNET_INVENTORY", str(sample_dir()))
    store = f"sqlite:///{world.client.app.state.govnet.store.db.path}"  # type: ignore[attr-defined]
    runner = CliRunner()
    made = runner.invoke(
        cli,
        ["api", "token", "create", "--role", "ioc", "--commune", first.id, "--store", store],
        catch_exceptions=False,
    )
    assert made.exit_code == 0, made.output
    token = next(line for line in made.output.splitlines() if line.startswith("gvn_"))
    record = next(r for r in world.tokens.records() if r.id == token.split("_", 2)[1])
    assert (record.district, record.commune) == (first.district, first.id)
    listed = world.client.get("/api/v1/communes", headers={"Authorization": f"Bearer {token}"})
    assert [c["id"] for c in listed.json()["items"]] == [first.id]
    tokens = json.loads(runner.invoke(cli, ["api", "token", "list", "--json"]).output)["tokens"]
    assert any(t["commune"] == first.id for t in tokens)
    for args, said in (
        (["--commune", "no-such-commune"], "no commune 'no-such-commune'"),
        (["--commune", first.id, "--district", far.district], f"is in district '{first.district}'"),
    ):
        bad = runner.invoke(cli, ["api", "token", "create", "--role", "ioc", *args, "--store", store])
        assert bad.exit_code != 0 and said in str(bad.exception), bad.output
