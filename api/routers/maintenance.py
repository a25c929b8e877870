"""``/maintenance``: declared maintenance windows (excluded from availability, notifications silenced).

Declaring and removing a window changes what the SLA report says and who is told of an outage:
both are for the engineer role and both are recorded in the audit log (who, which window, its
target and span, from where). The NOC reads the windows (the console shows them); a scoped token
reads the windows over its own objects and the province-wide ones, and changes only its own.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from govnet.api.auth import Principal
from govnet.api.authn import client_address
from govnet.api.deps import ERRORS, ApiState, Engineer, Noc, Paging, State, not_found
from govnet.monitor.store import Window

router = APIRouter(prefix="/maintenance", tags=["incidents"], responses=ERRORS)

#: A window's target: everything, one device, district, commune or endpoint (``endpoint:KIND:ID``).
TARGET = (
    r"^(\*|device:[A-Za-z0-9][A-Za-z0-9._-]{0,62}|(district|commune):[a-z0-9][a-z0-9-]{0,62}"
    r"|endpoint:(agency|bts|wifi):[a-z0-9][a-z0-9-]{0,62})$"
)
DAY = 86400.0
#: Windows are declared for hours or days: a year at most.
LONGEST_S = 366 * 86400


class NewWindow(BaseModel):
    """A maintenance window to declare."""

    model_config = ConfigDict(extra="forbid")
    target: str = Field(
        pattern=TARGET,
        description="*, device:NAME, district:ID, commune:ID or endpoint:KIND:ID",
        examples=["device:hub-dong-xoai"],
    )
    starts: AwareDatetime = Field(description="ISO 8601 with a time zone.")
    ends: AwareDatetime = Field(description="ISO 8601 with a time zone; after starts.")
    reason: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")


def _as_dict(window: Window) -> dict[str, Any]:
    return {
        "id": window.id,
        "target": window.target,
        "starts": window.starts,
        "ends": window.ends,
        "reason": window.reason,
    }


def _visible(state: ApiState, caller: Principal, target: str) -> bool:
    district_of = {c.id: c.district for c in state.communes.values()}
    return state.scope(caller).target_visible(target, district_of)


def _check_target(state: ApiState, caller: Principal, target: str) -> None:
    """404 for a target the inventory does not have, 403 for one outside the caller's scope."""
    kind, _, name = target.partition(":")
    if kind == "device":
        known = name in state.network.devices
    elif kind == "district":
        known = name in state.network.district_names
    elif kind == "commune":
        known = name in state.communes
    elif kind == "endpoint":
        known = name in {f"{e.kind}:{e.id}" for _d, e in state.endpoints}
    else:
        known = True  # "*"
    if not known:
        raise not_found(f"{kind} '{name}' in the inventory", "/api/v1/devices, /districts, /communes")
    _forbid_change(state, caller, target)


def _forbid_change(state: ApiState, caller: Principal, target: str) -> None:
    """403 unless the target lies wholly inside the caller's scope."""
    if not _visible(state, caller, target):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail={
                "message": f"this token may not change maintenance for '{target}'",
                "hint": "a scoped token declares windows for its own devices, endpoints, communes, district",
            },
        )


def _span(window: Window) -> str:
    ends = (datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%MZ") for t in (window.starts, window.ends))
    return " – ".join(ends)


@router.get("", summary="Maintenance windows: on now and coming")
def list_maintenance(
    state: State,
    caller: Noc,
    paging: Paging,
    days: Annotated[int, Query(ge=0, le=90, description="Also windows ended this many days ago.")] = 0,
) -> Any:
    """Windows that are on now or start later (and those that ended within ``days``), soonest
    first, each with ``active`` (on now).

    District scope: a district-scoped token gets the windows whose target is in its district (a
    device, commune, endpoint or the district itself) and the province-wide ones (``*``).
    """
    now = time.time()
    mine = state.scope(caller)
    windows = state.store.maintenance(since=now - days * DAY)
    return paging.apply(
        [state.console.maintenance_item(w, now) for w in windows if state.console.window_visible(mine, w)]
    )


@router.post("", status_code=201, summary="Declare a maintenance window (engineer; audited)")
async def declare(body: NewWindow, request: Request, state: State, caller: Engineer) -> Any:
    """Declare a window over a target; recorded in the audit log.

    District scope: a district-scoped token may only name its own district, or a device,
    endpoint or commune in it (403 otherwise, ``*`` included).
    """
    _check_target(state, caller, body.target)
    starts, ends = body.starts.timestamp(), body.ends.timestamp()
    if not starts < ends <= starts + LONGEST_S:
        raise HTTPException(
            422,
            detail={"message": "ends: must be after starts, within a year", "hint": "check the two times"},
        )
    window_id = await asyncio.to_thread(state.store.add_maintenance, body.target, starts, ends, body.reason)
    window = Window(window_id, body.target, starts, ends, body.reason)
    state.changed()
    target = f"window {window_id}: {body.target} {_span(window)} ({body.reason})"
    await asyncio.to_thread(
        state.audit.record, caller, "maintenance.add", target, client_address(request), "ok"
    )
    return _as_dict(window)


@router.delete("/{window_id}", summary="Remove a maintenance window (engineer; audited)")
async def remove(
    request: Request,
    state: State,
    caller: Engineer,
    window_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="The window's id.")],
) -> Any:
    """Remove a window (past, current or future); recorded in the audit log.

    District scope: a window the token does not see (see the list) is 404, as if absent; one it
    sees but whose target is not wholly its own (``*``, another commune's) is 403.
    """
    windows = {w.id: w for w in await asyncio.to_thread(state.store.maintenance)}
    found = windows.get(window_id)
    if found is None or not state.console.window_visible(state.scope(caller), found):
        raise not_found(f"maintenance window {window_id}", "/api/v1/maintenance")
    _forbid_change(state, caller, found.target)  # a window it sees but may not change: 403
    removed = await asyncio.to_thread(state.store.delete_maintenance, window_id)
    if removed is None:  # removed meanwhile by someone else
        raise not_found(f"maintenance window {window_id}", "/api/v1/maintenance")
    state.changed()
    target = f"window {window_id}: {removed.target} {_span(removed)} ({removed.reason})"
    await asyncio.to_thread(
        state.audit.record, caller, "maintenance.delete", target, client_address(request), "ok"
    )
    return _as_dict(removed)
