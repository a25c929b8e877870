"""``/changes``: the event log, every state change of devices, links, endpoints and alerts, newest first.

``/events`` streams the changes as they happen; this lists the ones before (the console's log).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from govnet.api.console import change_item
from govnet.api.deps import ERRORS, Noc, Paging, State

router = APIRouter(prefix="/changes", tags=["status"], responses=ERRORS)


@router.get("", summary="The event log: state changes, newest first")
def list_changes(
    state: State,
    caller: Noc,
    paging: Paging,
    hours: Annotated[int, Query(ge=1, le=24 * 31, description="How far back.")] = 24,
    kind: Annotated[Literal["device", "link", "endpoint", "alert"] | None, Query()] = None,
) -> Any:
    """Changes (``at``, ``kind``, ``name``, ``old``, ``new``, ``source``) within ``hours``.

    District scope: a district-scoped token gets the changes of its district's devices,
    endpoints, alerts and of the links with both ends in it (filtered), as on ``/events``.
    """
    mine = state.scope(caller)
    found = state.store.changes(kind=kind, since=time.time() - hours * 3600.0)
    items = [change_item(c) for c in reversed(found) if mine.state_visible(c.kind, c.name)]
    return paging.apply(items)
