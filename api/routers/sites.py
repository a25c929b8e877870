"""``/sites/{site}``: one site of the map, with its devices (the console's site page)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from govnet.api.deps import ERRORS, SLUG, Noc, State, forbid_site, not_found
from govnet.api.status import Snapshot

router = APIRouter(prefix="/sites", tags=["network"], responses=ERRORS)


@router.get("/{site_id}", summary="One site: where it is, its commune and its devices")
def get_site(
    state: State, caller: Noc, site_id: Annotated[str, Path(pattern=SLUG, description="The site's id.")]
) -> Any:
    """A site with its coordinates, district, commune and devices (each with its state).

    District scope: 403 for a site of another district (of another commune, for a commune-scoped
    token).
    """
    site = state.network.sites.get(site_id)
    if site is None:
        raise not_found(f"site '{site_id}'", "/api/v1/topology/geojson")
    forbid_site(caller, state.scope(caller), site_id, site.district)
    snap = Snapshot.read(state.network, state.store, ("device",))
    return state.console.site_page(snap, state.scope(caller), site_id)
