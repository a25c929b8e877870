"""``/topology``: single points of failure and the GeoJSON map for the IOC."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from govnet.api.deps import ERRORS, Ioc, State, forbid_scoped
from govnet.topology.export import geojson

router = APIRouter(prefix="/topology", tags=["topology"], responses=ERRORS)


@router.get("/spof", summary="Failures ranked by what they cut off")
def spof(state: State, caller: Ioc, limit: Annotated[int, Query(ge=1, le=1000)] = 20) -> Any:
    """The heaviest single failures (nodes, links, ducts).

    District scope: 403 for a district-scoped token. The ranking is province-wide (a hub's
    weight counts every district it cuts off, articulation points are the whole graph's): cut to
    one district it would rank failures wrongly.
    """
    forbid_scoped(caller, "the single points of failure are ranked over the whole province")
    ranking = state.spof.ranking(limit)
    return {"items": [i.as_dict() for i in ranking], "articulation_points": state.spof.articulation_points}


@router.get("/geojson", summary="Sites and links with live status (RFC 7946)")
def get_geojson(state: State, caller: Ioc) -> Any:
    """A FeatureCollection coloured by the current state, [lon, lat] order.

    District scope: a district-scoped token gets its district's sites and the links with both
    ends in it (filtered); ``bbox`` stays the province's.

    ``monitor`` (a foreign member): whether the states are current, as in ``/summary``.
    """
    rows = state.store.current()
    # A site is down on the map when its device does not answer or has lost the core.
    devices = {r.name: "up" if r.state == "up" else "down" for r in rows if r.kind == "device"}
    for r in rows:
        if r.kind == "endpoint" and r.state == "down" and r.detail and r.detail.get("device"):
            devices[str(r.detail["device"])] = "down"
    links = {r.name: r.state for r in rows if r.kind == "link"}
    doc = geojson(state.spof, devices, links)
    mine = state.scope(caller)
    if not mine.everything:
        doc["features"] = [
            f
            for f in doc["features"]
            if (f["properties"]["feature"] == "site" and f["properties"]["id"] in mine.sites)
            or (f["properties"]["feature"] == "link" and f["properties"]["id"] in mine.links)
        ]
    doc["monitor"] = state.watch.status().body()  # a foreign member (RFC 7946 section 6.1)
    return doc
