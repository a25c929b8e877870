"""The OpenAPI explorer (Swagger UI) at ``/api/v1/docs``, served entirely by govnet.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN and starts it with an inline script: the
browser of whoever opens it would call a third party, and the page could not run under a strict
Content-Security-Policy. Here the assets come from the ``swagger-ui-bundle-v2`` package (Swagger
UI 5, which reads OpenAPI 3.1) and are served from this origin, and the page starts Swagger UI
with a script file of its own, so its policy (:data:`govnet.api.headers.DOCS_CSP`) allows scripts,
styles and requests from ``'self'`` only (plus ``data:`` images, the icons inside Swagger UI's
stylesheet). Swagger UI's online validator badge, which would send the document to a public
validator, is switched off. ReDoc (FastAPI's ``/redoc``) is not served.
"""

from __future__ import annotations

from functools import cache
from html import escape

from fastapi import FastAPI, HTTPException, Path
from fastapi.responses import HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

#: The assets the page loads, with their media types.
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
}

#: Starts Swagger UI on the page's ``#swagger-ui`` with the document named by the page.
INIT_JS = """\
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    persistAuthorization: false,
    showExtensions: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout"
  });
});
"""


def _page(title: str, docs: str, openapi: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{docs}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{escape(openapi)}"></div>
<script src="{docs}/swagger-ui-bundle.js"></script>
<script src="{docs}/init.js"></script>
</body>
</html>
"""


def add_docs(app: FastAPI, docs: str, openapi: str) -> None:
    """Serve the explorer at ``docs`` (its assets under ``docs/``) over the document at ``openapi``."""
    page = _page(f"{app.title} — OpenAPI", docs, openapi)
    cached = {"Cache-Control": "public, max-age=3600"}

    @app.get(docs, include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(f"{docs}/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(INIT_JS, media_type="text/javascript", headers=cached)

    @app.get(f"{docs}/{{asset}}", include_in_schema=False)
    def docs_asset(asset: str = Path(pattern=r"^[a-z-]+\.(css|js)$")) -> Response:
        media = ASSETS.get(asset)
        if media is None:
            raise HTTPException(404, detail={"message": f"no asset '{asset}'", "hint": f"open {docs}"})
        return Response(_read(asset), media_type=media, headers=cached)


@cache
def _read(asset: str) -> bytes:
    """One of :data:`ASSETS` (read once: about 1.7 MB in all)."""
    data: bytes = (swagger_ui_path / asset).read_bytes()
    return data
