"""``/summary``: the province at a glance, with ETag/Last-Modified so the IOC can poll cheaply."""

from __future__ import annotations

import hashlib
import json
from email.utils import formatdate
from typing import Any

from fastapi import APIRouter, Request, Response

from api.deps import ERRORS, Ioc, State
from api.status import Snapshot, summary

router = APIRouter(tags=["status"], responses=ERRORS)


@router.get(
    "/summary",
    responses={304: {"description": "Not modified since the ETag given"}},
    summary="Agencies, BTS sites and hotspots online, by district; open incidents",
)
def get_summary(request: Request, response: Response, state: State, caller: Ioc) -> Any:
    """Counts for the whole province (or the caller's district)."""
    snap = Snapshot.read(state.network, state.store)
    body = summary(snap, caller.district, len(state.store.incidents(open_only=True)))
    etag = '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if body["updated_at"] is not None:
        headers["Last-Modified"] = formatdate(body["updated_at"], usegmt=True)
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return body
