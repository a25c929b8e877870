"""``/summary``: the province at a glance, with ETag/Last-Modified so the IOC can poll cheaply."""

from __future__ import annotations

import json
from email.utils import formatdate
from typing import Any

from fastapi import APIRouter, Request, Response

from govnet.api.auth import Role
from govnet.api.deps import ERRORS, authorized, needs, state_of
from govnet.api.liveness import SCHEMA as MONITOR_SCHEMA
from govnet.api.rendered import Rendered, answer, prerender
from govnet.api.status import Snapshot, summary

router = APIRouter(tags=["status"], responses=ERRORS)

ROLE = Role.IOC

#: The answer's shape in OpenAPI (the counts' objects left open; ``monitor`` in full).
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["province", "agencies", "bts_sites", "hotspots", "districts", "incidents_open",
                 "updated_at", "monitor"],
    "properties": {
        "province": {"type": "string"},
        "scope": {"type": ["string", "null"]},
        "commune": {"type": ["string", "null"]},
        "agencies": {"type": "object"},
        "bts_sites": {"type": "object"},
        "hotspots": {"type": "object"},
        "districts": {"type": "array", "items": {"type": "object"}},
        "incidents_open": {"type": "integer"},
        "updated_at": {"type": ["number", "null"], "description": "When any state last changed"},
        "monitor": MONITOR_SCHEMA,
    },
}  # fmt: skip


@router.get(
    "/summary",
    responses={
        200: {"content": {"application/json": {"schema": SUMMARY_SCHEMA}}},
        304: {"description": "Not modified since the ETag given"},
    },
    response_class=Response,
    summary="Agencies, BTS sites and hotspots online, by district; open incidents",
    openapi_extra=needs(ROLE),
)
async def get_summary(request: Request) -> Response:
    """Counts for the whole province (or the caller's district).

    Rendered once per store version and scope (JSON bytes, plain and gzip, ETag, Last-Modified;
    see rendered.py), in a worker thread: the IOC's wall and the NOC poll this, and between two
    changes they all get the same bytes without leaving the event loop.

    District scope: a district-scoped token gets its district's counts only (filtered), and
    ``incidents_open`` counts the open incidents whose blast radius reaches the district. A
    commune-scoped token gets its commune's counts (under its district's line) and the incidents
    reaching the commune.

    ``monitor`` says whether the monitor is watching (api/liveness.py): unless its ``state`` is
    ``running`` (``current`` true), the counts are the last known, from a monitor that stopped
    (``stopped``), went quiet without a word (``silent``: no heartbeat for over 30 s) or never ran
    (``unknown``), since ``since``. The cached answer changes with it within a second.
    """
    # No dependencies: this is the most polled route, and each dependency costs more than a hit.
    state, caller = state_of(request), authorized(request, ROLE)
    monitor = state.watch.status()

    def compute() -> Rendered:
        snap = Snapshot.read(state.network, state.store, ("endpoint",), detail=False)
        mine = state.scope(caller)
        open_here = [i for i in state.store.incidents(open_only=True) if mine.incident_touches(i.detail)]
        only = mine.endpoints if caller.commune is not None else None
        body = summary(snap, caller.district, len(open_here), state.endpoints, only, caller.commune)
        body["monitor"] = monitor.body()
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Cache-Control": "no-cache"}
        if body["updated_at"] is not None:
            headers["Last-Modified"] = formatdate(body["updated_at"], usegmt=True)
        return prerender(raw, headers, etag=True)

    key = ("summary", caller.district, caller.commune, monitor.key())
    rendered: Rendered = await state.memo(key, compute)
    return answer(request, rendered)
