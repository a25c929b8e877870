"""The OpenAPI document's security: the bearer scheme (and the page's session cookie), applied per
operation, with the role each operation needs in its description.

The role is read from the route's own auth dependency (``deps.require``), or for the few routes
that call ``deps.authorized`` themselves from the ``x-govnet-role`` their ``deps.needs`` set, so
the document cannot drift from what the code enforces. Operations without one (``/healthz``,
``POST /session``) are declared open (``security: []``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from govnet.api.auth import Role
from govnet.api.deps import ROLE_EXTENSION
from govnet.api.sessions import COOKIE

SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "gvn_<id>_<secret>",
        "description": "A token from 'govnet api token create' (stored hashed, shown once).",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": COOKIE,
        "description": "The NOC page's session (POST /api/v1/session); state-changing requests "
        "also need the session's CSRF secret in X-CSRF-Token.",
    },
}


def required_role(dependant: Dependant) -> Role | None:
    """The role the route's auth dependency asks for (None: no authentication)."""
    for dep in dependant.dependencies:
        role = getattr(dep.call, "required_role", None)
        if isinstance(role, Role):
            return role
        found = required_role(dep)
        if found is not None:
            return found
    return None


def document_security(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the schemes and apply them per operation."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        doc.setdefault("components", {})["securitySchemes"] = SCHEMES
        for route in app.routes:
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            role = required_role(route.dependant)
            for method in route.methods or ():
                operation = doc["paths"].get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                if ROLE_EXTENSION in operation:
                    role = Role(operation.pop(ROLE_EXTENSION))
                if role is None:
                    operation["security"] = []
                    continue
                operation["security"] = [{"bearer": []}, {"session": []}]
                above = [r.value for r in Role if r.includes(role) and r is not role]
                needs = f"**Role:** `{role.value}`" + (f" (or {', '.join(above)})." if above else ".")
                operation["description"] = f"{needs}\n\n{operation.get('description', '')}".rstrip()
        app.openapi_schema = doc
        return doc

    app.openapi = build  # type: ignore[method-assign]
