"""``/alerts``: threshold alerts (utilisation, errors, optical power) for the console's alert list."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query

from govnet.api.deps import ERRORS, Noc, Paging, State
from govnet.api.status import Snapshot

router = APIRouter(prefix="/alerts", tags=["incidents"], responses=ERRORS)


@router.get("", summary="Threshold alerts: firing first, the worst first")
def list_alerts(
    state: State,
    caller: Noc,
    paging: Paging,
    firing: Annotated[bool, Query(description="Only alerts firing now (false: cleared ones too).")] = True,
) -> Any:
    """Alerts with their rule, severity, the device/link/port they concern, since when they are in
    their state, the last value, and the maintenance windows covering them now (ids).

    District scope: a district-scoped token gets the alerts on its district's devices and on the
    links with both ends in it (filtered).
    """
    now = time.time()
    snap = Snapshot.read(state.network, state.store, ("alert",))
    windows = state.store.maintenance(since=now, until=now + 1)
    return paging.apply(state.console.alerts(snap, state.scope(caller), windows, now, firing))
