"""``/metrics`` (Prometheus) and ``/healthz`` (no auth)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from api.deps import ERRORS, Noc, State
from monitor.metrics import CONTENT_TYPE, exposition

router = APIRouter(tags=["operations"], responses=ERRORS)


@router.get("/healthz", summary="Liveness (no auth)")
def healthz(state: State) -> Any:
    """The API answers and its store can be read."""
    state.store.last_change_id()
    return {"status": "ok"}


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    summary="Prometheus exposition (snmp_exporter names + govnet_*)",
)
def metrics(state: State, caller: Noc) -> Response:
    """The same body as ``monitor run --metrics-listen``."""
    return Response(exposition(state.store, state.network), media_type=CONTENT_TYPE)
