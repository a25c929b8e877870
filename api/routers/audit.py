"""``/audit``: the audit log, for the admin role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from govnet.api.auth import Principal, Role
from govnet.api.deps import ERRORS, Paging, State, forbid_scoped, require

router = APIRouter(tags=["operations"], responses=ERRORS)

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


@router.get("/audit", summary="Who did what, when, from where (admin)")
def audit(
    state: State,
    caller: Admin,
    paging: Paging,
    action: Annotated[
        str | None, Query(pattern=r"^[a-z][a-z.-]{0,40}$", description="Only this action.")
    ] = None,
) -> Any:
    """The audit log, newest first: acknowledgements, dry runs, sessions, tokens created and revoked.

    District scope: 403 for a district-scoped token (the log is the province's).
    """
    forbid_scoped(caller, "the audit log is the whole province's")
    entries, total = state.audit.entries(paging.limit, paging.offset, action)
    return {
        "items": [e.as_dict() for e in entries],
        "total": total,
        "limit": paging.limit,
        "offset": paging.offset,
    }
