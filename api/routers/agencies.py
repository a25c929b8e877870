"""``/agencies``: every agency's connectivity, and one agency's path to the core."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from govnet.api.auth import Role
from govnet.api.deps import (
    ERRORS,
    SLUG,
    Ioc,
    Page,
    State,
    authorized,
    forbid_commune,
    forbid_district,
    needs,
    not_found,
    state_of,
)
from govnet.api.liveness import SCHEMA as MONITOR_SCHEMA
from govnet.api.rendered import Rendered, answer, prerender
from govnet.api.status import Snapshot, agency_item, path_to_core
from govnet.monitor.sla import availability

router = APIRouter(prefix="/agencies", tags=["status"], responses=ERRORS)


#: The list's shape in OpenAPI (its items left open; ``monitor`` in full).
PAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["items", "total", "limit", "offset", "monitor"],
    "properties": {
        "items": {"type": "array", "items": {"type": "object"}},
        "total": {"type": "integer"},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
        "monitor": MONITOR_SCHEMA,
    },
}


@router.get(
    "",
    summary="Agencies with their connectivity status",
    openapi_extra=needs(Role.IOC),
    responses={200: {"content": {"application/json": {"schema": PAGE_SCHEMA}}}},
)
async def list_agencies(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000, description="Items per page.")] = 100,
    offset: Annotated[int, Query(ge=0, description="Items to skip.")] = 0,
    district: Annotated[str | None, Query(pattern=SLUG, description="Only this district.")] = None,
    commune: Annotated[str | None, Query(pattern=SLUG, description="Only this commune or ward (id).")] = None,
    status: Annotated[
        Literal["online", "offline", "unknown"] | None, Query(description="Only this status.")
    ] = None,
) -> Any:
    """Agencies, filtered and paginated (built once per store version, in a worker thread).

    District scope: a district-scoped token gets its district's agencies only (filtered);
    ``district=`` naming another district, or ``commune=`` a commune of another district, is 403.
    A commune-scoped token gets its commune's agencies only; ``commune=`` naming another commune
    is 403.

    ``monitor``: whether the statuses are current, as in ``/summary`` (api/liveness.py).
    """
    return await agencies_page(request, Page(limit, offset), district, status, commune)


async def agencies_page(
    request: Request, paging: Page, district: str | None, status: str | None, commune: str | None = None
) -> Response:
    """One page of agencies, for :func:`list_agencies` and :func:`fast_list_agencies`."""
    state, caller = state_of(request), authorized(request, Role.IOC)
    monitor = state.watch.status()
    ceiling = state.scope(caller)
    if district is not None:
        forbid_district(caller, district)
    if commune is not None:
        if commune not in state.communes:
            raise not_found(f"commune '{commune}'", "/api/v1/communes")
        forbid_commune(caller, commune, state.communes[commune].district)

    def compute() -> list[dict[str, Any]]:
        snap = Snapshot.read(state.network, state.store, ("endpoint",), detail=False)
        items = [agency_item(snap, a) for a in sorted(state.network.agencies)]
        return [{**i, "commune_id": state.commune_of_site.get(i["site"])} for i in items]

    def render(items: list[dict[str, Any]]) -> Rendered:
        mine = [
            i
            for i in items
            if (ceiling.everything or f"agency:{i['id']}" in ceiling.endpoints)
            and district in (None, i["district"])
            and commune in (None, i["commune_id"])
            and status in (None, i["status"])
        ]
        page = {**paging.apply(mine), "monitor": monitor.body()}
        body = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
        return prerender(body, {})

    # The whole list once per store version; each page (per scope and filters) rendered to bytes
    # once per store version too (plain and gzip, rendered.py), so that the IOC polling the same
    # page costs a lookup.
    version = state.version()
    items: list[dict[str, Any]] = await state.memo(("agencies",), compute, version)
    scope = (caller.district, caller.commune)
    key = ("agencies-page", scope, district, commune, status, paging.limit, paging.offset, monitor.key())
    rendered: Rendered = await state.memo(key, lambda: render(items), version)
    return answer(request, rendered)


_SLUG = re.compile(SLUG)
_STATUSES = frozenset({"online", "offline", "unknown"})


async def fast_list_agencies(request: Request) -> Response | None:
    """:func:`list_agencies` for the hot path (hotpath.py), when the query is plainly valid.

    Only the four documented parameters, each at most once, with values that FastAPI would accept
    unchanged (digits in range, a slug, one of the statuses); anything else answers None and goes
    through FastAPI, which validates it and says what is wrong.
    """
    raw = request.scope["query_string"]
    values: dict[str, str] = {}
    if raw:
        for pair in raw.decode("latin-1").split("&"):
            name, sep, value = pair.partition("=")
            if not sep or name in values or "%" in value or "+" in value:
                return None
            values[name] = value
    if not values.keys() <= {"limit", "offset", "district", "status"}:
        return None
    limit, offset = values.get("limit", "100"), values.get("offset", "0")
    if not (limit.isdigit() and offset.isdigit() and 1 <= int(limit) <= 1000 and len(offset) < 19):
        return None
    district, status = values.get("district"), values.get("status")
    if (district is not None and not _SLUG.match(district)) or status not in (None, *_STATUSES):
        return None
    return await agencies_page(request, Page(int(limit), int(offset)), district, status)


@router.get("/{agency_id}", summary="One agency: status, path to the core, last change, availability")
def get_agency(
    state: State,
    caller: Ioc,
    agency_id: Annotated[str, Path(pattern=SLUG, description="The agency's id in the inventory.")],
) -> Any:
    """One agency in detail.

    District scope: an agency of another district (of another commune, for a commune-scoped
    token) is 403 for a district-scoped token; in the path
    to the core, the hops outside the token's district are folded into one ``outside-scope`` hop
    (with their count and whether they are all up), and a link to another district is named
    ``outside-scope``.
    """
    if agency_id not in state.network.agencies:
        raise not_found(f"agency '{agency_id}'", "/api/v1/agencies")
    # Path to the core needs device and link states, not their JSON details.
    snap = Snapshot.read(state.network, state.store, ("endpoint", "device", "link"), detail=False)
    item = agency_item(snap, agency_id)
    forbid_district(caller, item["district"])
    if not state.scope(caller).everything and f"agency:{agency_id}" not in state.scope(caller).endpoints:
        forbid_commune(caller, str(state.commune_of_site.get(item["site"], "")), item["district"])
    key = f"agency:{agency_id}"
    changes = state.store.changes(kind="endpoint", name=key)
    last = changes[-1] if changes else None
    avail = {}
    for period, seconds in (("24h", 86400), ("30d", 30 * 86400)):
        (mine,) = availability(state.network, state.store, seconds, only=key)
        avail[period] = mine.availability
    return {
        **item,
        "path_to_core": state.scope(caller).path(path_to_core(snap, state.paths, item["cpe"])),
        "last_change": None if last is None else {"at": last.at, "from": last.old, "to": last.new},
        "availability": avail,
    }
