"""``/maintenance``: declared maintenance windows (``govnet monitor maintenance add``)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query

from govnet.api.deps import ERRORS, Noc, Paging, State

router = APIRouter(prefix="/maintenance", tags=["incidents"], responses=ERRORS)

DAY = 86400.0


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
