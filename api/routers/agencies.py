"""``/agencies``: every agency's connectivity, and one agency's path to the core."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from govnet.api.deps import ERRORS, SLUG, Ioc, Paging, State, forbid_district, not_found
from govnet.api.status import Snapshot, agency_item, path_to_core

router = APIRouter(prefix="/agencies", tags=["status"], responses=ERRORS)


@router.get("", summary="Agencies with their connectivity status")
def list_agencies(
    state: State,
    caller: Ioc,
    paging: Paging,
    district: Annotated[str | None, Query(pattern=SLUG, description="Only this district.")] = None,
    commune: Annotated[str | None, Query(pattern=SLUG, description="Only this commune or ward (id).")] = None,
    status: Annotated[
        Literal["online", "offline", "unknown"] | None, Query(description="Only this status.")
    ] = None,
) -> Any:
    """Agencies, filtered and paginated.

    District scope: a district-scoped token gets its district's agencies only (filtered);
    ``district=`` naming another district, or ``commune=`` a commune of another district, is 403.
    """
    if district is not None:
        forbid_district(caller, district)
    if commune is not None:
        if commune not in state.communes:
            raise not_found(f"commune '{commune}'", "/api/v1/communes")
        forbid_district(caller, state.communes[commune].district)

    def compute() -> list[dict[str, Any]]:
        snap = Snapshot.read(state.network, state.store, ("endpoint",), detail=False)
        items = [agency_item(snap, a) for a in sorted(state.network.agencies)]
        return [{**i, "commune_id": state.commune_of_site.get(i["site"])} for i in items]

    items: list[dict[str, Any]] = state.memo(("agencies",), compute)
    items = [
        i
        for i in items
        if caller.sees(i["district"])
        and district in (None, i["district"])
        and commune in (None, i["commune_id"])
        and status in (None, i["status"])
    ]
    return paging.apply(items)


@router.get("/{agency_id}", summary="One agency: status, path to the core, last change, availability")
def get_agency(
    state: State,
    caller: Ioc,
    agency_id: Annotated[str, Path(pattern=SLUG, description="The agency's id in the inventory.")],
) -> Any:
    """One agency in detail.

    District scope: an agency of another district is 403 for a district-scoped token; in the path
    to the core, the hops outside the token's district are folded into one ``outside-scope`` hop
    (with their count and whether they are all up), and a link to another district is named
    ``outside-scope``.
    """
    from govnet.monitor.sla import availability

    if agency_id not in state.network.agencies:
        raise not_found(f"agency '{agency_id}'", "/api/v1/agencies")
    # Path to the core needs device and link states, not their JSON details.
    snap = Snapshot.read(state.network, state.store, ("endpoint", "device", "link"), detail=False)
    item = agency_item(snap, agency_id)
    forbid_district(caller, item["district"])
    key = f"agency:{agency_id}"
    changes = state.store.changes(kind="endpoint", name=key)
    last = changes[-1] if changes else None
    avail = {}
    for period, seconds in (("24h", 86400), ("30d", 30 * 86400)):
        (mine,) = availability(state.network, state.store, seconds, only=key)
        avail[period] = mine.availability
    return {
        **item,
        "path_to_core": state.scope(caller).path(path_to_core(snap, state.paths, item["cpe"])),
        "last_change": None if last is None else {"at": last.at, "from": last.old, "to": last.new},
        "availability": avail,
    }
