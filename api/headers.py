"""Security headers on every answer (a pure ASGI middleware: no per-request task or copy).

* ``Content-Security-Policy``: the NOC page loads its script, style and data from this origin
  only, runs no inline script, and may not be framed; API answers get ``default-src 'none'``.
  The OpenAPI explorer at ``/api/v1/docs`` (docs.py) is served from this origin too, scripts and
  styles included: its policy differs from the page's only by ``data:`` images (the icons inside
  Swagger UI's stylesheet).
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``.
* ``Strict-Transport-Security`` when the request came over HTTPS.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The NOC page and its assets.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: JSON, event streams, metrics: nothing to run.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
#: The OpenAPI explorer (docs.py): Swagger UI from this origin; its icons are ``data:`` images.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """Adds the headers above to every HTTP answer."""

    def __init__(self, app: ASGIApp, api_prefix: str, img_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.api_prefix = api_prefix
        self.docs = f"{api_prefix}/docs"
        # A tile server's images on the map (``serve --tiles URL``): images only, from there only.
        self.page_csp = PAGE_CSP.replace("img-src 'self'", " ".join(("img-src 'self'", *img_origins)))

    def _csp(self, path: str) -> bytes:
        if path.startswith(self.docs):
            return DOCS_CSP.encode()
        if path.startswith(self.api_prefix):
            return API_CSP.encode()
        return self.page_csp.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*_COMMON, (b"content-security-policy", self._csp(scope["path"]))]
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
