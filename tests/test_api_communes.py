"""Communes and wards as a grouping of their own (issue #16 item 4): ``/communes``,
``/communes/{id}``, ``/agencies?commune=``, over the store the real engine filled (a hub died)."""

from __future__ import annotations

from govnet.api.auth import Role
from govnet.inventory.communes import commune_id, communes
from tests.test_api import World, world  # noqa: F401 - the shared module fixture


def test_the_sample_carries_communes_and_a_repeated_name_is_two_communes(world: World) -> None:  # noqa: F811
    found = communes(world.network)
    assert len(found) > 50
    named = {s.commune for s in world.network.sites.values() if s.commune}
    assert {c.name for c in found.values()} == named
    # "Tân Tiến" is a commune of Bù Đốp and another of Đồng Phú: two ids.
    twins = [c for c in found.values() if c.name == "Tân Tiến"]
    assert sorted(c.id for c in twins) == ["tan-tien-bu-dop", "tan-tien-dong-phu"]
    assert all(c.district in c.id for c in twins)
    assert commune_id("Phú Nghĩa") in found and found["phu-nghia"].district == "bu-gia-map"
    every_site = [s for c in found.values() for s in c.sites]
    assert (
        len(every_site) == len(set(every_site)) == sum(1 for s in world.network.sites.values() if s.commune)
    )


def test_every_agency_of_the_sample_names_its_commune_and_district(world: World) -> None:  # noqa: F811
    network = world.network
    found = communes(network)
    of_site = {s: c for c in found.values() for s in c.sites}
    for agency in network.agencies.values():
        site = network.sites[agency.site]
        assert site.commune and site.district, agency.id  # provincial bodies included
        assert of_site[agency.site].district == site.district
    # The provincial departments (in the capital's data centre ward) are counted in a commune too.
    counted = client_total(world)
    assert counted == len(network.agencies)


def client_total(world: World) -> int:  # noqa: F811
    items = world.client.get("/api/v1/communes", headers=world.token(Role.IOC)).json()["items"]
    return sum(int(c["agencies"]["total"]) for c in items)


def test_communes_list_their_agencies_and_the_outage(world: World) -> None:  # noqa: F811
    network, auth = world.network, world.token(Role.IOC)
    answer = world.client.get("/api/v1/communes", headers=auth)
    assert answer.status_code == 200
    items = {c["id"]: c for c in answer.json()["items"]}
    assert set(items) == set(communes(network))
    with_commune = [a for a in network.agencies.values() if network.sites[a.site].commune]
    assert sum(c["agencies"]["total"] for c in items.values()) == len(with_commune)
    offline = sum(c["agencies"]["offline"] for c in items.values())
    cut_with_commune = {a.id for a in with_commune if a.id in world.cut_agencies}
    assert offline == len(cut_with_commune) > 0

    # One commune with a cut agency: its list, and the same through /agencies?commune=.
    site_commune = {s: c.id for c in communes(network).values() for s in c.sites}
    hit = site_commune[network.agencies[sorted(cut_with_commune)[0]].site]
    one = world.client.get(f"/api/v1/communes/{hit}", headers=auth).json()
    expected = {a.id for a in with_commune if site_commune[a.site] == hit}
    assert {a["id"] for a in one["agency_list"]} == expected
    assert one["agencies"]["offline"] >= 1 and all(a["commune"] == one["name"] for a in one["agency_list"])
    listed = world.client.get("/api/v1/agencies", params={"commune": hit, "limit": 1000}, headers=auth).json()
    assert {a["id"] for a in listed["items"]} == expected
    assert all(a["commune_id"] == hit for a in listed["items"])
    # The district filter still works beside it.
    district = one["district"]
    both = world.client.get(
        "/api/v1/agencies", params={"commune": hit, "district": district, "limit": 1000}, headers=auth
    ).json()
    assert {a["id"] for a in both["items"]} == expected

    for url, params in (("/api/v1/communes/atlantis", {}), ("/api/v1/agencies", {"commune": "atlantis"})):
        missing = world.client.get(url, params=params, headers=auth)
        assert missing.status_code == 404 and "/api/v1/communes" in missing.text
    assert (
        world.client.get("/api/v1/agencies", params={"commune": "Phú Nghĩa"}, headers=auth).status_code == 422
    )


def test_a_district_token_sees_its_communes_only(world: World) -> None:  # noqa: F811
    found = communes(world.network)
    district = found["phu-nghia"].district
    auth = world.token(Role.IOC, district=district)
    items = world.client.get("/api/v1/communes", headers=auth).json()["items"]
    assert {c["id"] for c in items} == {c.id for c in found.values() if c.district == district}
    other = next(c for c in found.values() if c.district != district)
    assert world.client.get(f"/api/v1/communes/{other.id}", headers=auth).status_code == 403
    assert world.client.get("/api/v1/agencies", params={"commune": other.id}, headers=auth).status_code == 403
    assert world.client.get("/api/v1/communes/phu-nghia", headers=auth).status_code == 200


def test_the_map_knows_each_sites_commune(world: World) -> None:  # noqa: F811
    geo = world.client.get("/api/v1/topology/geojson", headers=world.token(Role.IOC)).json()
    sites = {
        f["properties"]["id"]: f["properties"]
        for f in geo["features"]
        if f["properties"]["feature"] == "site"
    }
    found = communes(world.network)
    for commune in found.values():
        for site in commune.sites:
            assert sites[site]["commune_id"] == commune.id and sites[site]["commune"] == commune.name
    assert all(p["commune_id"] is None for p in sites.values() if not p["commune"])
