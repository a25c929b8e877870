"""``/metrics`` (Prometheus) and ``/healthz`` (no auth)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse

from govnet.api.deps import ERRORS, Noc, State, forbid_scoped
from govnet.api.liveness import SCHEMA as MONITOR_SCHEMA
from govnet.api.liveness import exposition as monitor_exposition
from govnet.monitor.metrics import CONTENT_TYPE, exposition
from govnet.monitor.spool import healthz_body

router = APIRouter(tags=["operations"], responses=ERRORS)


#: ``/healthz``'s answer in OpenAPI.
HEALTHZ_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "monitor"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "reason": {"type": "string", "description": "Why degraded: the store, the monitor, or both"},
        "store": {"type": "object", "description": "The store's health, when it refuses writes"},
        "monitor": MONITOR_SCHEMA,
    },
}


@router.get(
    "/healthz",
    summary="Liveness (no auth), with whether the store takes writes and the monitor is watching",
    responses={200: {"content": {"application/json": {"schema": HEALTHZ_SCHEMA}}}},
)
def healthz(state: State) -> Any:
    """The API answers and its store can be read; ``degraded`` (still 200: the API itself is
    alive, restarting it would not help) with the reason when the store cannot be written (a full
    disk: the monitor cannot record, what it sees is kept in memory, ``store.pending_rows``, and
    written when the store works again), or when the monitor is not watching: ``monitor.state``
    ``stopped``, ``silent`` (no heartbeat for over 30 s: it died without a word) or ``unknown``
    (never ran), and the states served are the last known (api/liveness.py).

    District scope: none (no token); the answer names no device, site or district.
    """
    state.store.last_change_id()
    body = healthz_body(state.store_probe.health())
    monitor = state.watch.status()
    body["monitor"] = monitor.body()
    if not monitor.current:
        body["status"] = "degraded"
        body["reason"] = "; ".join(r for r in (body.get("reason"), monitor.message()) if r)
    return body


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    summary="Prometheus exposition (snmp_exporter names + govnet_*)",
)
def metrics(state: State, caller: Noc) -> Response:
    """The same body as ``monitor run --metrics-listen``, and ``govnet_monitor_state{state=...}``:
    whether that monitor is running, stopped, silent or never ran (api/liveness.py).

    District scope: 403 for a district-scoped token. A Prometheus scrape is the province's: its
    series (interfaces, links between districts, alerts, incident counts) are not cut per district.
    """
    forbid_scoped(caller, "the Prometheus exposition is the whole province's")
    body = exposition(state.store, state.network, state.store_probe.health())
    body += monitor_exposition(state.watch.status())
    return Response(body, media_type=CONTENT_TYPE)
