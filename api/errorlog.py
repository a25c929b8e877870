"""Every 5xx answer logged once, with the request's method, path and client (ASGI middleware).

An exception no route handled is logged at ERROR with its traceback and answered with the API's
usual error body (500), so neither Starlette nor uvicorn logs it a second time; a 5xx a route
answered on purpose (503: the store cannot be read) is logged at WARNING. It wraps the app at the
ASGI level, so streamed answers (the ``/events`` stream) pass through untouched.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("govnet.api")


class ServerErrorLog:
    """Logs 5xx answers and turns an unhandled exception into a logged 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        def context(status: int) -> dict[str, Any]:
            client = scope.get("client")
            return {
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "client": client[0] if client else None,
            }

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if int(message["status"]) >= 500:
                    log.warning("request answered with a server error", extra=context(int(message["status"])))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            log.error("request failed", exc_info=True, extra=context(500))
            if started:  # part of the answer is out: only the server can end it now
                raise
            body = {
                "error": {"status": 500, "message": "internal error", "hint": "the server's log says why"}
            }
            await JSONResponse(body, status_code=500)(scope, receive, send)
