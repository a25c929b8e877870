"""``/incidents``: root cause and blast radius; the NOC acknowledges them."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from api.auth import Principal
from api.deps import ERRORS, ApiState, Noc, Paging, State
from monitor.store import IncidentRow

router = APIRouter(prefix="/incidents", tags=["incidents"], responses=ERRORS)


def _visible(row: IncidentRow, district: str | None) -> bool:
    if district is None:
        return True
    return any(e.get("district") == district for e in row.detail.get("blast_radius", {}).get("endpoints", []))


@router.get("", summary="Incidents, newest first")
def list_incidents(
    state: State,
    caller: Noc,
    paging: Paging,
    open_only: Annotated[bool, Query(alias="open", description="Only open incidents.")] = True,
) -> Any:
    """Incidents with their blast radius."""
    rows = [
        r for r in state.store.incidents(open_only=open_only, limit=100_000) if _visible(r, caller.district)
    ]
    return paging.apply([r.as_dict() for r in rows])


def _found(state: ApiState, caller: Principal, incident_id: int) -> IncidentRow:
    row = state.store.incident(incident_id)
    if row is None or not _visible(row, caller.district):
        raise HTTPException(
            404, detail={"message": f"no incident {incident_id}", "hint": "see /api/v1/incidents"}
        )
    return row


@router.get("/{incident_id}", summary="One incident")
def get_incident(state: State, caller: Noc, incident_id: Annotated[int, Path(ge=1)]) -> Any:
    """One incident by id."""
    row = state.store.incident(incident_id)
    if row is None or not _visible(row, caller.district):
        raise HTTPException(
            404, detail={"message": f"no incident {incident_id}", "hint": "see /api/v1/incidents"}
        )
    return row.as_dict()


@router.post("/{incident_id}/ack", summary="Acknowledge an incident (noc, engineer)")
def acknowledge(state: State, caller: Noc, incident_id: Annotated[int, Path(ge=1)]) -> Any:
    """Mark the incident acknowledged by the caller's token."""
    row = state.store.incident(incident_id)
    if row is None or not _visible(row, caller.district):
        raise HTTPException(
            404, detail={"message": f"no incident {incident_id}", "hint": "see /api/v1/incidents"}
        )
    state.store.acknowledge(incident_id, f"token:{caller.token_id}", time.time())
    updated = state.store.incident(incident_id)
    assert updated is not None
    return updated.as_dict()
