"""The OpenAPI document's security: the bearer scheme (and the page's session cookie), applied per
operation, with the role each operation needs in its description.

The role is read from the route's own auth dependency (``deps.require``), or for the few routes
that call ``deps.authorized`` themselves from the ``x-govnet-role`` their ``deps.needs`` set, so
the document cannot drift from what the code enforces. Operations without one (``/healthz``,
``POST /session``) are declared open (``security: []``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
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


def _errors_as_json(operation: dict[str, Any]) -> None:
    """Error answers are JSON (``ErrorBody``) even where the route's success is not (``/metrics``)."""
    for status, response in operation.get("responses", {}).items():
        content = response.get("content")
        if status.startswith("4") and content and "application/json" not in content:
            schema = {"$ref": "#/components/schemas/ErrorBody"}
            response["content"] = {"application/json": {"schema": schema}}


def document_security(app: FastAPI, routers: list[tuple[str, APIRouter]]) -> None:
    """Make ``app.openapi()`` declare the schemes and apply them per operation.

    ``routers``: (prefix, router) as included in the app (their routes hold the dependencies).
    """

    done: list[dict[str, Any]] = []

    def build() -> dict[str, Any]:
        # FastAPI's own document (routes, webhooks, tags...), then the security added to it once.
        doc = FastAPI.openapi(app)
        if done and done[0] is doc:
            return doc
        doc.setdefault("components", {})["securitySchemes"] = SCHEMES
        routes = [(prefix, r) for prefix, router in routers for r in router.routes]
        for prefix, route in routes:
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            role = required_role(route.dependant)
            for method in route.methods or ():
                operation = doc["paths"].get(prefix + route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                _errors_as_json(operation)
                if ROLE_EXTENSION in operation:
                    role = Role(operation.pop(ROLE_EXTENSION))
                if role is None:
                    operation["security"] = []
                    continue
                operation["security"] = [{"bearer": []}, {"session": []}]
                above = [r.value for r in Role if r.includes(role) and r is not role]
                needs = f"**Role:** `{role.value}`" + (f" (or {', '.join(above)})." if above else ".")
                operation["description"] = f"{needs}\n\n{operation.get('description', '')}".rstrip()
        missing = [
            (path, method)
            for path, item in doc["paths"].items()
            for method, operation in item.items()
            if "security" not in operation
        ]
        if missing:  # a router included without being passed here: its security would be undocumented
            raise RuntimeError(f"operations without a declared security: {missing}")
        done[:] = [doc]
        return doc

    app.openapi = build  # type: ignore[method-assign]
