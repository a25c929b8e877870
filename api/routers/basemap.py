"""``/map``: what the console's map draws under the sites (the province box, optional boundary
and tile layers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse

from govnet.api.deps import ERRORS, Ioc, State, not_found

router = APIRouter(prefix="/map", tags=["topology"], responses=ERRORS)

PREFIX = "/api/v1"


@router.get("", summary="The map's settings: the province's box, the boundary and tile layers if any")
def get_map(state: State, caller: Ioc) -> Any:
    """``bbox`` [min lon, min lat, max lon, max lat] of the province; ``boundary``: the path of the
    boundary layer, or null when the server was started without ``--boundary``; ``tiles``: the
    XYZ template of the tile layer (``{z}/{x}/{y}``, Web Mercator), or null without ``--tiles``.

    District scope: the same for every token (the box and the layers are public geography).
    """
    box = state.network.province.bbox
    return {
        "province": state.network.province.name,
        "bbox": [box.min_lon, box.min_lat, box.max_lon, box.max_lat],
        "boundary": f"{PREFIX}/map/boundary" if state.boundary_layer is not None else None,
        "tiles": state.tiles.url(PREFIX) if state.tiles is not None else None,
    }


@router.get("/boundary", summary="The boundary layer (GeoJSON), when the server was given one")
def get_boundary(state: State, caller: Ioc) -> Any:
    """The ``--boundary`` file as checked at start: polygons and lines, each with a ``name``.

    District scope: the same for every token.
    """
    if state.boundary_layer is None:
        raise not_found("boundary layer", "govnet serve --boundary FILE")
    return state.boundary_layer


@router.get(
    "/tiles/{z}/{x}/{y}.png",
    summary="One map tile of the --tiles directory",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}, "description": "The tile"}},
)
def get_tile(
    state: State,
    caller: Ioc,
    z: Annotated[int, Path(ge=0, le=22)],
    x: Annotated[int, Path(ge=0, lt=2**22)],
    y: Annotated[int, Path(ge=0, lt=2**22)],
) -> FileResponse:
    """A PNG tile (XYZ scheme) of the directory given to ``govnet serve --tiles DIR``.

    District scope: the same for every token.
    """
    found = state.tiles.file(z, x, y) if state.tiles is not None and x < 2**z and y < 2**z else None
    if found is None:
        raise not_found(f"tile {z}/{x}/{y}", "govnet serve --tiles DIR")
    return FileResponse(found, media_type="image/png", headers={"Cache-Control": "max-age=86400"})
