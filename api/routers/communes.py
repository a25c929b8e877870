"""``/communes``: communes and wards (the lower tier of local government) with their agencies."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Path

from govnet.api.deps import ERRORS, SLUG, ApiState, Ioc, State, forbid_commune, not_found
from govnet.api.status import Snapshot, agency_item

router = APIRouter(prefix="/communes", tags=["status"], responses=ERRORS)


async def _agencies(state: ApiState) -> dict[str, list[dict[str, Any]]]:
    """Each commune's agencies with their status (one store read per store version)."""

    def compute() -> dict[str, list[dict[str, Any]]]:
        snap = Snapshot.read(state.network, state.store, ("endpoint",), detail=False)
        out: dict[str, list[dict[str, Any]]] = {c: [] for c in state.communes}
        for agency_id in sorted(state.network.agencies):
            commune = state.commune_of_site.get(state.network.agencies[agency_id].site)
            if commune is not None:
                out[commune].append(agency_item(snap, agency_id))
        return out

    result: dict[str, list[dict[str, Any]]] = await state.memo(("communes",), compute)
    return result


def _counts(items: list[dict[str, Any]]) -> dict[str, int]:
    by_status = Counter(i["status"] for i in items)
    return {"total": len(items), **{s: by_status.get(s, 0) for s in ("online", "offline", "unknown")}}


@router.get("", summary="Communes and wards with their agencies' status")
async def list_communes(state: State, caller: Ioc) -> Any:
    """Every commune or ward the inventory's sites name (id, name, district, agency counts).

    District scope: a district-scoped token gets its district's communes only (filtered); a
    commune-scoped token its own commune.

    ``monitor``: whether the statuses are current, as in ``/summary`` (api/liveness.py).
    """
    agencies = await _agencies(state)
    return {
        "items": [
            {**c.as_dict(), "agencies": _counts(agencies[c.id])}
            for c in state.communes.values()
            if caller.sees_commune(c.id, c.district)
        ],
        "monitor": state.watch.status().body(),
    }


@router.get("/{commune_id}", summary="One commune or ward: its agencies")
async def get_commune(
    state: State,
    caller: Ioc,
    commune_id: Annotated[str, Path(pattern=SLUG, description="The commune's id (see /communes).")],
) -> Any:
    """One commune or ward with its agencies and their status.

    District scope: a commune of another district is 403 for a district-scoped token; another
    commune is 403 for a commune-scoped token.

    ``monitor``: whether the statuses are current, as in ``/summary`` (api/liveness.py).
    """
    commune = state.communes.get(commune_id)
    if commune is None:
        raise not_found(f"commune '{commune_id}'", "/api/v1/communes")
    forbid_commune(caller, commune.id, commune.district)
    items = (await _agencies(state))[commune_id]
    monitor = state.watch.status().body()
    return {**commune.as_dict(), "agencies": _counts(items), "agency_list": items, "monitor": monitor}
