"""``/districts/{id}``: one district's summary and agencies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from govnet.api.deps import ERRORS, SLUG, Ioc, State, forbid_whole_district, not_found
from govnet.api.status import Snapshot, agency_item, incident_touches, summary

router = APIRouter(prefix="/districts", tags=["status"], responses=ERRORS)


@router.get("", summary="Districts")
def list_districts(state: State, caller: Ioc) -> Any:
    """Every district.

    District scope: a district-scoped token gets its own district only (filtered); so does a
    commune-scoped token (its commune's district).
    """
    names = state.network.district_names
    return {"items": [{"id": d, "name": n} for d, n in sorted(names.items()) if caller.sees(d)]}


@router.get("/{district_id}", summary="One district: counts and agencies")
def get_district(
    state: State,
    caller: Ioc,
    district_id: Annotated[str, Path(pattern=SLUG, description="The district's id.")],
) -> Any:
    """One district.

    District scope: another district is 403 for a district-scoped token; any district is 403 for
    a commune-scoped token (a district's answer covers its other communes).

    ``monitor``: whether the statuses are current, as in ``/summary`` (api/liveness.py).
    """
    if district_id not in state.network.district_names:
        raise not_found(f"district '{district_id}'", "/api/v1/districts")
    forbid_whole_district(caller, district_id)
    snap = Snapshot.read(state.network, state.store, ("endpoint",), detail=False)
    open_here = [i for i in state.store.incidents(open_only=True) if incident_touches(i.detail, district_id)]
    body = summary(snap, district_id, len(open_here), state.endpoints)
    agencies = [agency_item(snap, a) for a in sorted(state.network.agencies)]
    return {
        "id": district_id,
        "name": state.network.district_names[district_id],
        **{k: body[k] for k in ("agencies", "bts_sites", "hotspots", "incidents_open", "updated_at")},
        "agency_list": [a for a in agencies if a["district"] == district_id],
        "monitor": state.watch.status().body(),
    }
