"""``/metrics`` (Prometheus) and ``/healthz`` (no auth)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from api.deps import ERRORS, Noc, State, forbid_scoped
from monitor.metrics import CONTENT_TYPE, exposition

router = APIRouter(tags=["operations"], responses=ERRORS)


@router.get("/healthz", summary="Liveness (no auth)")
def healthz(state: State) -> Any:
    """The API answers and its store can be read.

    District scope: none (no token); the answer names no device, site or district.
    """
    state.store.last_change_id()
    return {"status": "ok"}


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    summary="Prometheus exposition (snmp_exporter names + govnet_*)",
)
def metrics(state: State, caller: Noc) -> Response:
    """The same body as ``monitor run --metrics-listen``.

    District scope: 403 for a district-scoped token. A Prometheus scrape is the province's: its
    series (interfaces, links between districts, alerts, incident counts) are not cut per district.
    """
    forbid_scoped(caller, "the Prometheus exposition is the whole province's")
    return Response(exposition(state.store, state.network), media_type=CONTENT_TYPE)
