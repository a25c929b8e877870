"""``/incidents``: root cause and blast radius; the NOC acknowledges them.

A district-scoped token sees the incidents whose blast radius reaches its district.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from govnet.api.auth import Principal
from govnet.api.authn import client_address
from govnet.api.deps import ERRORS, ApiState, Noc, Paging, State, not_found
from govnet.monitor.store import IncidentRow

router = APIRouter(prefix="/incidents", tags=["incidents"], responses=ERRORS)

#: Incident ids are the store's 64-bit identity column.
IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The incident's id.")]


@router.get("", summary="Incidents, newest first")
def list_incidents(
    state: State,
    caller: Noc,
    paging: Paging,
    open_only: Annotated[bool, Query(alias="open", description="Only open incidents.")] = True,
) -> Any:
    """Incidents with their blast radius.

    District scope: a district-scoped token gets the incidents whose blast radius reaches its
    district, cut to it (filtered): only its district's endpoints, devices and links; a root cause
    in another district reads ``outside-scope`` (``root_cause_in_scope`` false). A commune-scoped
    token likewise: the incidents reaching its commune, cut to it.

    ``maintenance``: the ids of the maintenance windows on now that cover the root cause (see
    ``/maintenance``).
    """
    rows = state.store.incidents(open_only=open_only, limit=100_000)
    mine = state.scope(caller)
    now = time.time()
    windows = state.store.maintenance(since=now, until=now + 1)
    items = [r.as_dict() for r in rows if mine.incident_touches(r.detail)]
    return paging.apply(
        [
            {**mine.incident(i), "maintenance": state.console.incident_maintenance(i, windows, now)}
            for i in items
        ]
    )


def _found(state: ApiState, caller: Principal, incident_id: int) -> IncidentRow:
    row = state.store.incident(incident_id)
    if row is None or not state.scope(caller).incident_touches(row.detail):
        raise not_found(f"incident {incident_id}", "/api/v1/incidents")
    return row


@router.get("/{incident_id}", summary="One incident")
def get_incident(state: State, caller: Noc, incident_id: IncidentId) -> Any:
    """One incident by id.

    District scope: 404 when its blast radius does not reach the token's district, otherwise cut
    to the district as in the list.
    """
    return state.scope(caller).incident(_found(state, caller, incident_id).as_dict())


@router.post("/{incident_id}/ack", summary="Acknowledge an incident (noc, engineer)")
def acknowledge(request: Request, state: State, caller: Noc, incident_id: IncidentId) -> Any:
    """Mark the incident acknowledged by the caller's token, ``token:ID (note)`` (recorded in the
    audit log).

    District scope: as for one incident (404 outside the district, the answer cut to it).
    """
    _found(state, caller, incident_id)
    who = f"token:{caller.token_id}" + (f" ({caller.name})" if caller.name else "")
    state.store.acknowledge(incident_id, who, time.time())
    state.changed()
    state.audit.record(caller, "incident.ack", f"incident {incident_id}", client_address(request), "ok")
    return state.scope(caller).incident(_found(state, caller, incident_id).as_dict())
