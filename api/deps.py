"""What every route shares: the app's state, the caller (from the bearer token), pagination."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, status
from pydantic import BaseModel

from govnet.api.audit import AuditLog
from govnet.api.auth import Principal, Role, TokenStore
from govnet.api.authn import authenticate
from govnet.api.boundary import load_boundary
from govnet.api.console import Console
from govnet.api.health import StoreProbe
from govnet.api.limits import DryRunSlots, FailedAuth, StreamSlots
from govnet.api.liveness import MonitorWatch
from govnet.api.scope import Scope
from govnet.api.sessions import Sessions
from govnet.api.status import Paths, all_endpoints
from govnet.api.tiles import Tiles
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
    #: Failed authentications per client address, and their lockouts (limits.py).
    failed_auth: FailedAuth = field(default_factory=FailedAuth)
    #: Engineer dry runs allowed at once.
    dry_runs: DryRunSlots = field(default_factory=DryRunSlots)
    #: ``/events`` streams open at once, per token and in all (limits.py).
    streams: StreamSlots = field(default_factory=StreamSlots)
    #: VictoriaMetrics, when interface series are kept there (``serve --series``).
    series: VictoriaMetrics | None = None
    #: The map's optional base layer (``serve --boundary``): a GeoJSON file of the province's
    #: boundaries, checked and served by govnet itself (the page never loads anything from elsewhere).
    boundary: Path | None = None
    #: The map's optional tile layer (``serve --tiles``): a directory served here, or a tile URL.
    tiles: Tiles | None = None

    #: Seconds a store version read is reused: answers built from the store may lag it by this much
    #: (the monitor writes once per poll cycle, seconds apart); 0 reads it on every request.
    version_ttl_s: float = 0.25
    _version: tuple[float, Any] = (float("-inf"), None)

    def version(self) -> Any:
        """The store's version (:meth:`Store.version`), read at most once per :attr:`version_ttl_s`."""
        now = time.monotonic()
        if now - self._version[0] >= self.version_ttl_s:
            self._version = (now, self.store.version())
        return self._version[1]

    def changed(self) -> None:
        """This process wrote to the store: the next answer reads the version again."""
        self._version = (float("-inf"), None)

    #: Answers computed for one store version (see :meth:`memo`): done, or being computed.
    _memo: dict[tuple[Any, ...], asyncio.Future[Any]] = field(default_factory=dict, repr=False)

    def memo(self, key: tuple[Any, ...], compute: Callable[[], Any], version: Any = None) -> Awaitable[Any]:
        """``compute()`` once per (store version, key): between two changes every caller shares it.

        Runs on the event loop: the version is one cheap indexed read (reused for
        :attr:`version_ttl_s`), and a hit costs a dict lookup. A miss runs ``compute`` in a worker
        thread (it reads the store and builds the answer, which may take milliseconds) and every
        request arriving meanwhile awaits the same computation instead of starting its own.
        ``version``: the store version already read (to build two answers from one version).
        """
        full = (self.version() if version is None else version, *key)
        found = self._memo.get(full)
        if found is not None and found.done():
            if not found.cancelled() and found.exception() is None:
                return found
        elif found is not None and found.get_loop() is asyncio.get_running_loop():
            return asyncio.shield(found)
        if len(self._memo) > 256:
            self._memo = {k: f for k, f in self._memo.items() if not f.done()}
        found = asyncio.ensure_future(asyncio.to_thread(compute))
        self._memo[full] = found
        return asyncio.shield(found)

    #: One :class:`Scope` per district and commune asked about (the inventory does not change).
    _scopes: dict[tuple[str | None, str | None], Scope] = field(default_factory=dict, repr=False)

    def scope(self, caller: Principal) -> Scope:
        """What ``caller``'s token may see."""
        key = (caller.district, caller.commune)
        if key not in self._scopes:
            self._scopes[key] = Scope(self.network, caller.district, caller.commune)
        return self._scopes[key]

    @cached_property
    def sessions(self) -> Sessions:
        """The NOC page's server-side sessions (sessions.py)."""
        return Sessions(self.store)

    @cached_property
    def audit(self) -> AuditLog:
        """Who did what (audit.py)."""
        return AuditLog(self.store)

    @cached_property
    def communes(self) -> dict[str, Commune]:
        """The inventory's communes and wards, by id (see inventory/communes.py)."""
        return communes(self.network)

    @cached_property
    def commune_of_site(self) -> dict[str, str]:
        """Site id → commune id."""
        return {site: c.id for c in self.communes.values() for site in c.sites}

    @cached_property
    def boundary_layer(self) -> dict[str, Any] | None:
        """The :attr:`boundary` file, checked (boundary.py), read once."""
        return load_boundary(self.boundary) if self.boundary is not None else None

    @cached_property
    def console(self) -> Console:
        """The NOC console's pages (console.py)."""
        return Console(self.network)

    @cached_property
    def store_probe(self) -> StoreProbe:
        """Whether the store takes writes (see api/health.py)."""
        return StoreProbe(self.store)

    @cached_property
    def watch(self) -> MonitorWatch:
        """Whether the monitor is running, stopped or silent (see api/liveness.py)."""
        return MonitorWatch(self.store)

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


async def get_state(request: Request) -> ApiState:
    """The app's :class:`ApiState`."""
    state: ApiState = request.app.state.govnet
    return state


State = Annotated[ApiState, Depends(get_state)]


def authorized(request: Request, role: Role) -> Principal:
    """The caller if its role includes ``role``: 401/429 (authn.py), 403 for a lesser role.

    Runs on the event loop: the token check is a file stat, a hash and a constant-time compare
    (see authn.py), so a threadpool hop would cost more than the check.
    """
    state: ApiState = request.app.state.govnet
    caller = authenticate(request, state.tokens, state.failed_auth, state.sessions)
    if not caller.role.includes(role):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail={
                "message": f"the '{caller.role}' role may not do this",
                "hint": f"needs role '{role}'",
            },
        )
    return caller


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through callers whose role includes ``role`` (see :func:`authorized`)."""

    async def check(request: Request) -> Principal:
        return authorized(request, role)

    check.required_role = role  # type: ignore[attr-defined]  # read by openapi.py
    return check


def needs(role: Role) -> dict[str, Any]:
    """``openapi_extra`` of a route that calls :func:`authorized` itself instead of depending on
    :func:`require` (the hottest routes: a dependency costs more than the work they do on a hit).
    openapi.py turns it into the operation's security and role."""
    return {ROLE_EXTENSION: role.value}


#: The OpenAPI extension :func:`needs` sets (openapi.py removes it from the document).
ROLE_EXTENSION = "x-govnet-role"


def state_of(request: Request) -> ApiState:
    """The app's :class:`ApiState`, without a dependency."""
    state: ApiState = request.app.state.govnet
    return state


Ioc = Annotated[Principal, Depends(require(Role.IOC))]
Noc = Annotated[Principal, Depends(require(Role.NOC))]
Engineer = Annotated[Principal, Depends(require(Role.ENGINEER))]


def not_found(what: str, listing: str) -> HTTPException:
    """A 404 naming what is missing and where the valid ones are listed."""
    return HTTPException(
        status.HTTP_404_NOT_FOUND, detail={"message": f"no {what}", "hint": f"see {listing}"}
    )


def _limited(caller: Principal, why: str = "") -> HTTPException:
    return HTTPException(
        status.HTTP_403_FORBIDDEN,
        detail={
            "message": f"this token is limited to {caller.scope_name}{': ' + why if why else ''}",
            "hint": "ask for a token with a wider scope",
        },
    )


def forbid_district(caller: Principal, district: str) -> None:
    """403 when a district-scoped caller asks about another district."""
    if not caller.sees(district):
        raise _limited(caller)


def forbid_site(caller: Principal, scope: Scope, site_id: str, district: str) -> None:
    """403 when the caller's scope (district, or commune within it) does not hold the site."""
    forbid_district(caller, district)
    if not scope.everything and site_id not in scope.sites:
        raise _limited(caller)


def forbid_whole_district(caller: Principal, district: str) -> None:
    """403 unless the caller may see all of ``district`` (a commune scope may not)."""
    forbid_district(caller, district)
    if caller.commune is not None:
        raise _limited(caller, "a district's answer covers its other communes")


def forbid_commune(caller: Principal, commune: str, district: str) -> None:
    """403 when a scoped caller asks about a commune outside its scope."""
    if not caller.sees_commune(commune, district):
        raise _limited(caller)


def forbid_scoped(caller: Principal, why: str) -> None:
    """403 for any scoped caller: the answer is province-wide and a cut one would mislead."""
    if caller.district is not None:
        raise _limited(caller, why)


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


async def page(
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
    413: {"model": ErrorBody, "description": "A request body over the size limit (64 KiB)"},
    422: {"model": ErrorBody, "description": "A bad id or parameter (the message says which)"},
    429: {
        "model": ErrorBody,
        "description": "Locked out after failed authentications, too many dry runs at once, or "
        "too many /events streams open (see the Retry-After header)",
    },
    503: {"model": ErrorBody, "description": "The monitor's store cannot be used now (the log says why)"},
}
