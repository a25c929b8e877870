"""``/topology``: single points of failure and the GeoJSON map for the IOC."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ERRORS, Ioc, State
from topology.export import geojson

router = APIRouter(prefix="/topology", tags=["topology"], responses=ERRORS)


@router.get("/spof", summary="Failures ranked by what they cut off")
def spof(state: State, caller: Ioc, limit: Annotated[int, Query(ge=1, le=1000)] = 20) -> Any:
    """The heaviest single failures (nodes, links, ducts)."""
    ranking = state.spof.ranking(limit)
    return {"items": [i.as_dict() for i in ranking], "articulation_points": state.spof.articulation_points}


@router.get("/geojson", summary="Sites and links with live status (RFC 7946)")
def get_geojson(state: State, caller: Ioc) -> Any:
    """A FeatureCollection coloured by the current state, [lon, lat] order."""
    rows = state.store.current()
    # A site is down on the map when its device does not answer or has lost the core.
    devices = {r.name: "up" if r.state == "up" else "down" for r in rows if r.kind == "device"}
    for r in rows:
        if r.kind == "endpoint" and r.state == "down" and r.detail and r.detail.get("device"):
            devices[str(r.detail["device"])] = "down"
    links = {r.name: r.state for r in rows if r.kind == "link"}
    doc = geojson(state.spof, devices, links)
    if caller.district is not None:
        doc["features"] = [
            f for f in doc["features"] if f["properties"].get("district") in (None, caller.district)
        ]
    return doc
