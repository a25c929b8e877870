"""``/devices`` and ``/links``: what the poller sees (NOC)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from govnet.api.deps import ERRORS, SLUG, Noc, Paging, State
from govnet.api.status import Snapshot, device_item, link_item

router = APIRouter(tags=["network"], responses=ERRORS)


@router.get("/devices", summary="Devices and whether their agents answer")
def list_devices(
    state: State,
    caller: Noc,
    paging: Paging,
    role: Annotated[str | None, Query(pattern=SLUG, description="Only this role.")] = None,
    status: Annotated[Literal["up", "unreachable", "unknown"] | None, Query()] = None,
) -> Any:
    """Devices, filtered and paginated.

    District scope: a district-scoped token gets its district's devices only (filtered); a
    commune-scoped token its commune's.
    """
    snap = Snapshot.read(state.network, state.store)
    mine = state.scope(caller)
    names = [d for d in sorted(state.network.devices) if mine.everything or d in mine.devices]
    items = [device_item(snap, d) for d in names]
    items = [i for i in items if role in (None, i["role"]) and status in (None, i["status"])]
    return paging.apply(items)


@router.get("/links", summary="Links: state, utilisation, errors, optical level")
def list_links(
    state: State,
    caller: Noc,
    paging: Paging,
    state_filter: Annotated[Literal["up", "down", "unknown"] | None, Query(alias="state")] = None,
) -> Any:
    """Links, filtered and paginated (the worst first: down, then busiest).

    District scope: a district-scoped token gets the links with both ends in its district
    (filtered); links between districts are province infrastructure and not listed. A
    commune-scoped token gets the links with both ends in its commune.
    """
    snap = Snapshot.read(state.network, state.store)
    mine = state.scope(caller)
    items = [link_item(snap, lk.id) for lk in state.network.links if mine.everything or lk.id in mine.links]
    items = [i for i in items if state_filter in (None, i["state"])]
    items.sort(
        key=lambda i: ({"down": 0, "unknown": 1}.get(i["state"], 2), -(i["utilisation_pct"] or 0), i["id"])
    )
    return paging.apply(items)
