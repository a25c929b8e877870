"""``/sla``: availability per agency and district over a period."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from govnet.api.deps import ERRORS, PERIOD, Ioc, State
from govnet.monitor.sla import availability, by_district, parse_period

router = APIRouter(tags=["status"], responses=ERRORS)


@router.get("/sla", summary="Availability over a period, maintenance excluded")
def sla(
    state: State,
    caller: Ioc,
    period: Annotated[str, Query(pattern=PERIOD, description="90m, 24h, 30d or 2w.")] = "30d",
) -> Any:
    """Per agency and per district.

    District scope: a district-scoped token gets its district's endpoints and district only
    (filtered); a commune-scoped token its commune's endpoints (its district's line counts them only).
    """
    mine = state.scope(caller)
    items = [
        a
        for a in availability(state.network, state.store, parse_period(period))
        if mine.everything or f"{a.kind}:{a.id}" in mine.endpoints
    ]
    return {
        "period": period,
        "districts": by_district(items, state.network),
        "endpoints": [a.as_dict() for a in items],
    }
