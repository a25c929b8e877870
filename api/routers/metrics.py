"""``/metrics`` (Prometheus) and ``/healthz`` (no auth)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from govnet.api.deps import ERRORS, Noc, State, forbid_scoped
from govnet.monitor.metrics import CONTENT_TYPE, exposition
from govnet.monitor.spool import healthz_body

router = APIRouter(tags=["operations"], responses=ERRORS)


@router.get("/healthz", summary="Liveness (no auth)")
def healthz(state: State) -> Any:
    """The API answers and its store can be read; ``degraded`` (still 200) with the reason when the
    store cannot be written (a full disk): the monitor cannot record, what it sees is kept in
    memory (``store.pending_rows``) and written when the store works again.

    District scope: none (no token); the answer names no device, site or district.
    """
    state.store.last_change_id()
    return healthz_body(state.store_probe.health())


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
    body = exposition(state.store, state.network, state.store_probe.health())
    return Response(body, media_type=CONTENT_TYPE)
