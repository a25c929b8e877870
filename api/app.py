"""The FastAPI app: ``/api/v1`` routers, errors as JSON, CORS, and the NOC page at ``/``.

Every error body has the same shape, ``{"error": {"status", "message", "hint"}}`` (plus
``details`` for validation errors), so the IOC's client needs one parser: FastAPI's and
Starlette's own errors (an unknown path, a wrong method, a body that is not UTF-8 JSON, a body
over :data:`MAX_BODY` bytes) included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from starlette.exceptions import HTTPException

from govnet.api.auth import TokenFileError
from govnet.api.deps import ApiState
from govnet.api.docs import add_docs
from govnet.api.errorlog import ServerErrorLog
from govnet.api.headers import SecurityHeaders
from govnet.api.hotpath import HotRoutes
from govnet.api.limits import BodyLimit
from govnet.api.openapi import document_security
from govnet.api.routers import (
    agencies,
    alerts,
    audit,
    basemap,
    changes,
    communes,
    devices,
    districts,
    events,
    history,
    incidents,
    maintenance,
    metrics,
    notifications,
    provision,
    reports,
    session,
    sites,
    sla,
    summary,
    topology,
)
from govnet.api.webhooks import register_webhooks
from govnet.errors import GovnetError
from govnet.monitor.store import StoreError

log = logging.getLogger("govnet.api")

PREFIX = "/api/v1"
STATIC = Path(__file__).parent / "static"
#: Request bodies above this many bytes are answered 413 (a dry run's filters or a token fit in far less).
MAX_BODY = 64 * 1024


def _error(status: int, message: str, hint: str | None, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"error": {"status": status, "message": message, "hint": hint, **extra}}, status_code=status
    )


#: Hints for the errors FastAPI and Starlette raise themselves (their message is kept).
_HINTS = {
    400: "send a JSON body in UTF-8, as the OpenAPI document describes",
    404: "see the OpenAPI document at /api/v1/docs",
    405: "see the OpenAPI document for this path's methods",
    413: f"request bodies are limited to {MAX_BODY} bytes",
}


async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
    """An ``HTTPException`` (ours, FastAPI's or Starlette's) in the one error shape."""
    detail: Any = exc.detail
    if not isinstance(detail, dict):
        detail = {"message": str(detail), "hint": _HINTS.get(exc.status_code)}
    response = _error(exc.status_code, str(detail.get("message")), detail.get("hint"))
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


#: The page's assets by suffix: each file of static/ is served at /NAME (no other path).
ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def _asset(path: Path) -> Callable[[], FileResponse]:
    def serve_asset() -> FileResponse:
        return FileResponse(path, media_type=ASSET_TYPES[path.suffix])

    serve_asset.__name__ = f"asset_{path.stem}"
    return serve_asset


def create_app(state: ApiState) -> FastAPI:
    """The app over one inventory and one store."""
    app = FastAPI(
        title="govnet status API",
        version="1",
        summary="Connectivity of the province's agencies, BTS sites and hotspots, for the IOC and the NOC.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,  # served by docs.py from this origin, not from a CDN
        redoc_url=None,
    )
    app.state.govnet = state
    # Innermost first: the hot routes get the CORS, body-limit and security headers of every answer.
    hot = {f"{PREFIX}/summary": summary.get_summary, f"{PREFIX}/agencies": agencies.fast_list_agencies}
    app.add_middleware(HotRoutes, routes=hot, on_error=http_error)
    app.add_middleware(ServerErrorLog)
    if state.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=state.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "If-None-Match", "Last-Event-ID"],
            expose_headers=["ETag", "Last-Modified"],
        )
    app.add_middleware(BodyLimit, limit=MAX_BODY)
    tile_origin = state.tiles.origin if state.tiles is not None else None
    app.add_middleware(SecurityHeaders, api_prefix=PREFIX, img_origins=(tile_origin,) if tile_origin else ())

    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]

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

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        # The server's trouble, not the caller's: 503, and the store's URL and its driver's words
        # go to the log only (/healthz answers anyone).
        log.warning("the store cannot be used", extra={"path": request.url.path, "error": exc.message})
        return _error(
            503,
            "the monitor's store cannot be used now",
            "try again later; the server's log names the store and the cause",
        )

    @app.exception_handler(TokenFileError)
    async def token_file_error(request: Request, exc: TokenFileError) -> JSONResponse:
        # As for the store: the file is the server's, and where it lies is not the caller's business.
        log.error("the token file cannot be read", extra={"path": request.url.path, "error": exc.message})
        return _error(
            503,
            "the API cannot check tokens now",
            "try again later; the server's log names the token file and what is wrong with it",
        )

    modules = (
        summary,
        agencies,
        districts,
        communes,
        devices,
        sites,
        history,
        incidents,
        alerts,
        maintenance,
        changes,
        topology,
        basemap,
        sla,
        reports,
        events,
        metrics,
        notifications,
        session,
        provision,
        audit,
    )
    for module in modules:
        app.include_router(module.router, prefix=PREFIX)
    register_webhooks(app)

    @app.get("/", include_in_schema=False)
    def noc_page() -> FileResponse:
        return FileResponse(STATIC / "noc.html", media_type="text/html")

    for asset in sorted(STATIC.iterdir()):
        if asset.suffix in ASSET_TYPES:
            app.add_api_route(f"/{asset.name}", _asset(asset), methods=["GET"], include_in_schema=False)

    add_docs(app, f"{PREFIX}/docs", f"{PREFIX}/openapi.json")
    document_security(app, [(PREFIX, module.router) for module in modules])
    return app
