"""``/map``: what the console's map draws under the sites (the province box, an optional boundary layer)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from govnet.api.deps import ERRORS, Ioc, State, not_found

router = APIRouter(prefix="/map", tags=["topology"], responses=ERRORS)


@router.get("", summary="The map's settings: the province's box and whether a boundary layer is served")
def get_map(state: State, caller: Ioc) -> Any:
    """``bbox`` [min lon, min lat, max lon, max lat] of the province and ``boundary``: the path of
    the boundary layer, or null when the server was started without ``--boundary``.

    District scope: the same for every token (the box and the boundaries are public geography).
    """
    box = state.network.province.bbox
    return {
        "province": state.network.province.name,
        "bbox": [box.min_lon, box.min_lat, box.max_lon, box.max_lat],
        "boundary": "/api/v1/map/boundary" if state.boundary_layer is not None else None,
    }


@router.get("/boundary", summary="The boundary layer (GeoJSON), when the server was given one")
def get_boundary(state: State, caller: Ioc) -> Any:
    """The ``--boundary`` file as checked at start: polygons and lines, each with a ``name``.

    District scope: the same for every token.
    """
    if state.boundary_layer is None:
        raise not_found("boundary layer", "govnet serve --boundary FILE")
    return state.boundary_layer
