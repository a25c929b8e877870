"""What every route shares: the app's state, the caller (from the bearer token), pagination."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, status
from pydantic import BaseModel

from govnet.api.auth import AuthError, Principal, Role, TokenStore
from govnet.api.health import StoreProbe
from govnet.api.scope import Scope
from govnet.api.status import Paths, all_endpoints
from govnet.inventory.communes import Commune, communes
from govnet.inventory.network import Network
from govnet.monitor.series import VictoriaMetrics
from govnet.monitor.store import Store
from govnet.topology.graph import Endpoint
from govnet.topology.report import SpofReport, inventory_report


@dataclass
class ApiState:
    """Loaded once per app: the inventory, the store, the tokens, derived topology."""

    network: Network
    store: Store
    tokens: TokenStore
    cors_origins: list[str] = field(default_factory=list)
    #: Seconds between store reads on the /events stream.
    events_poll_s: float = 1.0
    #: VictoriaMetrics, when interface series are kept there (``serve --series``).
    series: VictoriaMetrics | None = None

    #: Answers computed for one store version (see :meth:`memo`).
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    def memo(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """``compute()`` once per (store version, key): between two changes every caller shares it."""
        full = (self.store.version(), *key)
        if full not in self._memo:
            if len(self._memo) > 256:
                self._memo.clear()
            self._memo[full] = compute()
        return self._memo[full]

    #: One :class:`Scope` per district asked about (the inventory does not change under the app).
    _scopes: dict[str | None, Scope] = field(default_factory=dict, repr=False)

    def scope(self, caller: Principal) -> Scope:
        """What ``caller``'s token may see."""
        if caller.district not in self._scopes:
            self._scopes[caller.district] = Scope(self.network, caller.district)
        return self._scopes[caller.district]

    @cached_property
    def communes(self) -> dict[str, Commune]:
        """The inventory's communes and wards, by id (see inventory/communes.py)."""
        return communes(self.network)

    @cached_property
    def commune_of_site(self) -> dict[str, str]:
        """Site id → commune id."""
        return {site: c.id for c in self.communes.values() for site in c.sites}

    @cached_property
    def store_probe(self) -> StoreProbe:
        """Whether the store takes writes (see api/health.py)."""
        return StoreProbe(self.store)

    @cached_property
    def endpoints(self) -> list[tuple[str, Endpoint]]:
        """(device, endpoint) of the inventory, computed once."""
        return all_endpoints(self.network)

    @cached_property
    def paths(self) -> Paths:
        """Shortest paths to the core."""
        return Paths(self.network)

    @cached_property
    def spof(self) -> SpofReport:
        """The inventory's failure-impact report."""
        return inventory_report(self.network)


def get_state(request: Request) -> ApiState:
    """The app's :class:`ApiState`."""
    state: ApiState = request.app.state.govnet
    return state


State = Annotated[ApiState, Depends(get_state)]


def _unauthorised(message: str, hint: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail={"message": message, "hint": hint},
        headers={"WWW-Authenticate": "Bearer"},
    )


#: The NOC page's session cookie (HttpOnly): EventSource cannot send an Authorization header,
#: and a token in a query string would end up in access logs.
COOKIE = "govnet_token"


def principal(request: Request, state: State) -> Principal:
    """The caller, from ``Authorization: Bearer …`` or the page's cookie (401: missing, unknown, expired)."""
    header = request.headers.get("authorization", "")
    if not header and request.cookies.get(COOKIE):
        header = f"Bearer {request.cookies[COOKIE]}"
    scheme, _, token = header.partition(" ")
    if not header:
        raise _unauthorised("missing bearer token", "send 'Authorization: Bearer <token>'")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorised(
            "the Authorization header is not 'Bearer <token>'", "send 'Authorization: Bearer <token>'"
        )
    try:
        return state.tokens.verify(token.strip())
    except AuthError as exc:
        raise _unauthorised(exc.message, exc.hint or "") from exc


def require(role: Role) -> Callable[..., Principal]:
    """A dependency that lets through callers whose role includes ``role`` (403 otherwise)."""

    def check(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        if not caller.role.includes(role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail={
                    "message": f"the '{caller.role}' role may not do this",
                    "hint": f"needs role '{role}'",
                },
            )
        return caller

    return check


Ioc = Annotated[Principal, Depends(require(Role.IOC))]
Noc = Annotated[Principal, Depends(require(Role.NOC))]
Engineer = Annotated[Principal, Depends(require(Role.ENGINEER))]


def not_found(what: str, listing: str) -> HTTPException:
    """A 404 naming what is missing and where the valid ones are listed."""
    return HTTPException(
        status.HTTP_404_NOT_FOUND, detail={"message": f"no {what}", "hint": f"see {listing}"}
    )


def forbid_district(caller: Principal, district: str) -> None:
    """403 when a district-scoped caller asks about another district."""
    if not caller.sees(district):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail={
                "message": f"this token is limited to district '{caller.district}'",
                "hint": "ask for a token without a district scope",
            },
        )


def forbid_scoped(caller: Principal, why: str) -> None:
    """403 for any district-scoped caller: the answer is province-wide and a cut one would mislead."""
    if caller.district is not None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail={
                "message": f"this token is limited to district '{caller.district}': {why}",
                "hint": "ask for a token without a district scope",
            },
        )


@dataclass(frozen=True)
class Page:
    """``?limit=&offset=``."""

    limit: int
    offset: int

    def apply(self, items: list[Any]) -> dict[str, Any]:
        """The page's items with the total, the way every list endpoint answers."""
        return {
            "items": items[self.offset : self.offset + self.limit],
            "total": len(items),
            "limit": self.limit,
            "offset": self.offset,
        }


def page(
    limit: Annotated[int, Query(ge=1, le=1000, description="Items per page.")] = 100,
    offset: Annotated[int, Query(ge=0, description="Items to skip.")] = 0,
) -> Page:
    """Pagination parameters."""
    return Page(limit, offset)


Paging = Annotated[Page, Depends(page)]

#: Identifiers in paths: the inventory's slugs and device names.
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
DEVICE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"
PERIOD = r"^[1-9][0-9]{0,4}[mhdw]$"


class ErrorDetail(BaseModel):
    """What went wrong and how to fix it."""

    status: int
    message: str
    hint: str | None = None
    details: list[dict[str, str]] | None = None


class ErrorBody(BaseModel):
    """Every error answer."""

    error: ErrorDetail


#: The error answers every authenticated route may give, documented in OpenAPI.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A request govnet cannot carry out (the hint says why)"},
    401: {"model": ErrorBody, "description": "Missing, malformed, unknown or expired token"},
    403: {"model": ErrorBody, "description": "Wrong role, or outside the token's district"},
    404: {"model": ErrorBody, "description": "No such object"},
    422: {"model": ErrorBody, "description": "A bad id or parameter (the message says which)"},
}
