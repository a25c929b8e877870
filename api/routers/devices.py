"""``/devices`` and ``/links``: what the poller sees (NOC), and one of each for the console's pages."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from govnet.api.deps import DEVICE, ERRORS, SLUG, Noc, Paging, State, forbid_site, not_found
from govnet.api.status import Snapshot, device_item, link_item

router = APIRouter(tags=["network"], responses=ERRORS)

DAY = 86400.0


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


@router.get("/devices/{device}", summary="One device: interfaces, optical levels, WiFi clients, alerts")
def get_device(state: State, caller: Noc, device: Annotated[str, Path(pattern=DEVICE)]) -> Any:
    """What the NOC console's device page shows: the device's state, each interface with its
    rates, optical receive level and link, its WiFi clients, the agencies/BTS/hotspots it serves,
    its alerts, the maintenance windows covering it and its last changes (24 h).

    District scope: 403 for a device of another district (of another commune, for a commune-scoped
    token); links and peers outside the scope are not named.
    """
    if device not in state.network.devices:
        raise not_found(f"device '{device}'", "/api/v1/devices")
    forbid_site(
        caller, state.scope(caller), state.network.devices[device].site, state.network.district_of(device)
    )
    now = time.time()
    snap = Snapshot.read(state.network, state.store)
    windows = state.store.maintenance(since=now - DAY, until=now + 7 * DAY)
    changes = state.store.changes(since=now - DAY)
    return state.console.device_page(snap, state.scope(caller), device, windows, changes, now)


@router.get("/links/{link_id:path}", summary="One link: both ends, utilisation, optical levels, alerts")
def get_link(
    state: State,
    caller: Noc,
    link_id: Annotated[
        str, Path(min_length=3, max_length=260, description="The link's id, ``a--b`` (see /links).")
    ],
) -> Any:
    """What the NOC console's link page shows: the link's state and load, each end's interface
    (status, traffic, optical receive level), its alerts and its last changes (24 h).

    District scope: a link without both ends in the token's district is 404 (as in the list).
    """
    mine = state.scope(caller)
    if link_id not in state.network.links_by_id or not (mine.everything or link_id in mine.links):
        raise not_found(f"link '{link_id}'", "/api/v1/links")
    now = time.time()
    snap = Snapshot.read(state.network, state.store)
    windows = state.store.maintenance(since=now - DAY, until=now + 7 * DAY)
    changes = state.store.changes(kind="link", name=link_id, since=now - DAY)
    return state.console.link_page(snap, mine, link_id, windows, changes, now)
