"""``/reports/sla``: the availability report (the same as ``govnet report sla``) as CSV, HTML,
JSON or PDF."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status

from govnet.api.deps import ERRORS, SLUG, Ioc, State, forbid_whole_district, not_found
from govnet.monitor.slaformats import MEDIA_TYPES
from govnet.monitor.slarender import render
from govnet.monitor.slareport import DEFAULT_TZ, PeriodNotBegunError, build_report, report_period

router = APIRouter(prefix="/reports", tags=["reports"], responses=ERRORS)

#: A month (``2026-11``) or a span ending now (``30d``).
REPORT_PERIOD = r"^((19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])|[1-9][0-9]{0,4}[mhdw])$"
#: The HTML report is a document with inline styles and nothing else: no script, no fetch.
HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


@router.get(
    "/sla",
    summary="Availability report: per agency, commune, district and the province",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media in MEDIA_TYPES.values()},
            "description": "The report in the format asked for.",
        }
    },
)
def sla_report(
    state: State,
    caller: Ioc,
    period: Annotated[str, Query(pattern=REPORT_PERIOD, description="A month (2026-11) or 30d, 12h...")],
    format: Annotated[
        Literal["csv", "html", "json", "pdf"], Query(description="The document's format.")
    ] = "json",
    district: Annotated[str | None, Query(pattern=SLUG, description="Only this district (id).")] = None,
) -> Response:
    """Maintenance windows excluded; time the monitor was not running, or an agency's state was
    unknown, is stated as not monitored. Months begin at midnight in the province's time zone;
    a month that has not begun is 404.

    District scope: a district-scoped token gets its district's report (its agencies, communes and
    district total, no province line); ``district=`` naming another district is 403. A
    commune-scoped token gets its commune's report (its agencies, the commune's line as the total,
    no district or province line); ``district=`` is 403 for it.
    """
    if district is not None:
        if district not in state.network.district_names:
            raise not_found(f"district '{district}'", "/api/v1/districts")
        forbid_whole_district(caller, district)
    scope = district or caller.district
    try:
        the_period = report_period(period, DEFAULT_TZ)
    except PeriodNotBegunError as exc:
        detail = {"message": exc.message, "hint": exc.hint}
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=detail) from exc
    report = build_report(state.network, state.store, the_period, scope, commune=caller.commune)
    body = render(report, format)
    headers = {}
    if format == "html":
        headers["Content-Security-Policy"] = HTML_POLICY
    if format in {"csv", "pdf"}:
        where = caller.commune or scope
        name = f"sla-{report.period.label}{'-' + where if where else ''}.{format}"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)
