"""``/session``: the NOC page trades a token, once, for a server-side session (sessions.py).

Login and logout write to the store (the session, the audit log): they run in a worker thread,
not on the event loop; they are rare.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, SecretStr

from govnet.api.auth import Principal, Role
from govnet.api.authn import check_token, client_address, log_failure
from govnet.api.deps import ERRORS, State, require
from govnet.api.sessions import COOKIE

router = APIRouter(prefix="/session", tags=["session"], responses=ERRORS)

#: Any valid caller (every role includes ``ioc``).
Caller = Annotated[Principal, Depends(require(Role.IOC))]


class Login(BaseModel):
    """The token, as ``govnet api token create`` printed it."""

    model_config = ConfigDict(extra="forbid")
    token: SecretStr


def _answer(caller: Principal, csrf: str | None) -> dict[str, Any]:
    return {"role": caller.role.value, "district": caller.district, "commune": caller.commune, "csrf": csrf}


@router.post("", summary="Start a browser session from a token (no token needed before)")
def login(body: Login, request: Request, response: Response, state: State) -> Any:
    """Check the token (failed attempts count towards the lockout) and start a session.

    The cookie holds a random session id, never the token: ``HttpOnly``, ``SameSite=Strict``,
    ``Secure`` when served over HTTPS, for the session's absolute lifetime. The answer carries the
    session's CSRF secret, to send in ``X-CSRF-Token`` on state-changing requests.

    District scope: the answer is the token's own role and district.
    """
    address = client_address(request)
    try:
        caller = check_token(body.token.get_secret_value(), state.tokens, state.failed_auth, address)
    except HTTPException as exc:
        log_failure(request, exc, body.token.get_secret_value())
        raise
    session_id, session = state.sessions.start(caller.token_id)
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=int(state.sessions.absolute_s),
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    state.audit.record(caller, "session.start", "", address, "ok")
    return _answer(caller, session.csrf)


@router.get("", summary="The current caller (and the session's CSRF secret)")
async def whoami(request: Request, state: State, caller: Caller) -> Any:
    """Who the token or session stands for; ``csrf`` is the session's secret (null with a token).

    District scope: the answer is the caller's own role and district.
    """
    session_id = request.cookies.get(COOKIE)
    session = (
        state.sessions.get(session_id) if session_id and "authorization" not in request.headers else None
    )
    return _answer(caller, session.csrf if session else None)


@router.delete("", summary="End the browser session (needs its CSRF secret)")
def logout(request: Request, response: Response, state: State, caller: Caller) -> Any:
    """End the session and forget the cookie.

    District scope: nothing is read.
    """
    session_id = request.cookies.get(COOKIE)
    if session_id:
        state.sessions.end(session_id)
    response.delete_cookie(
        COOKIE, path="/", secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )
    state.audit.record(caller, "session.end", "", client_address(request), "ok")
    return {"status": "logged out"}
