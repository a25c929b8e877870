"""The most polled GET routes, dispatched without FastAPI's router (a pure ASGI middleware).

``/summary`` and ``/agencies`` are what every IOC wall and NOC screen polls; between two store
changes their answers are bytes from a cache (deps.ApiState.memo) and the work per request is the
caller's check. FastAPI's routing, parameter solving and response wrapping would then cost more
than the request itself. Their endpoints take nothing but the request (they authenticate the
caller themselves, see deps.authorized; ``/agencies`` reads its query when it is plainly valid and
otherwise leaves the request to FastAPI's validation), so this middleware calls the very same
functions directly: same auth, same cache, same answer. It sits inside the CORS, body-limit and
security-header middlewares, so the answers carry the same headers. Errors raised as
``HTTPException`` are rendered by the app's own handler; anything else goes through the full app,
which handles it as always. The routes stay declared in FastAPI (OpenAPI, and the full path for
what the hot path leaves).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import Request, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

#: The endpoint, or a variant answering None when the request should take the full path.
Endpoint = Callable[[Request], Awaitable[Response | None]]
ErrorHandler = Callable[[Request, HTTPException], Awaitable[Response]]


class HotRoutes:
    """``GET path`` → ``endpoint(request)`` for the paths given; everything else to the app."""

    def __init__(self, app: ASGIApp, routes: Mapping[str, Endpoint], on_error: ErrorHandler) -> None:
        self.app = app
        self.routes = dict(routes)
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if endpoint is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except HTTPException as exc:
            response = await self.on_error(request, exc)
        except Exception:  # not ours to render: the full app handles it as for any route
            response = None
        if response is None:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


class Prerendered(Response):
    """A 200 answer whose body and header list were built once (per store version) and are reused
    as they are: no header encoding per request. A real :class:`Response` for FastAPI."""

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> None:
        # Response.__init__ would re-encode the headers; these are final.
        self.status_code = 200
        self.body = body
        self.raw_headers = raw_headers
        self.background = None


def raw_headers(body: bytes, headers: Mapping[str, str], media_type: str) -> list[tuple[bytes, bytes]]:
    """The ASGI header list of a :class:`Prerendered` answer."""
    return [
        (b"content-length", str(len(body)).encode("latin-1")),
        (b"content-type", media_type.encode("latin-1")),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()),
    ]
