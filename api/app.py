"""The FastAPI app: ``/api/v1`` routers, errors as JSON, CORS, and the NOC page at ``/``.

Every error body has the same shape, ``{"error": {"status", "message", "hint"}}`` (plus
``details`` for validation errors), so the IOC's client needs one parser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse

from govnet.api.deps import ApiState
from govnet.api.routers import (
    agencies,
    devices,
    districts,
    events,
    history,
    incidents,
    metrics,
    provision,
    session,
    sla,
    summary,
    topology,
)
from govnet.api.webhooks import register_webhooks
from govnet.errors import GovnetError

PREFIX = "/api/v1"
STATIC = Path(__file__).parent / "static"


def _error(status: int, message: str, hint: str | None, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"error": {"status": status, "message": message, "hint": hint, **extra}}, status_code=status
    )


def create_app(state: ApiState) -> FastAPI:
    """The app over one inventory and one store."""
    app = FastAPI(
        title="govnet status API",
        version="1",
        summary="Connectivity of the province's agencies, BTS sites and hotspots, for the IOC and the NOC.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.govnet = state
    if state.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=state.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "If-None-Match", "Last-Event-ID"],
            expose_headers=["ETag", "Last-Modified"],
        )

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, dict) else {"message": str(exc.detail), "hint": None}
        response = _error(exc.status_code, str(detail.get("message")), detail.get("hint"))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = details[0] if details else {"where": "?", "problem": "invalid"}
        return _error(
            422,
            f"{first['where']}: {first['problem']}",
            "see details, and the OpenAPI document",
            details=details,
        )

    @app.exception_handler(GovnetError)
    async def govnet_error(_request: Request, exc: GovnetError) -> JSONResponse:
        return _error(400, exc.message, exc.hint)

    for module in (
        summary,
        agencies,
        districts,
        devices,
        history,
        incidents,
        topology,
        sla,
        events,
        metrics,
        session,
        provision,
    ):
        app.include_router(module.router, prefix=PREFIX)
    register_webhooks(app)

    @app.get("/", include_in_schema=False)
    def noc_page() -> FileResponse:
        return FileResponse(STATIC / "noc.html", media_type="text/html")

    @app.get("/noc.js", include_in_schema=False)
    def noc_script() -> FileResponse:
        return FileResponse(STATIC / "noc.js", media_type="text/javascript")

    return app
