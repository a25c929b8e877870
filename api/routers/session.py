"""``/session``: the NOC page trades a token for an HttpOnly cookie (and back)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, SecretStr

from govnet.api.auth import AuthError
from govnet.api.deps import COOKIE, ERRORS, State, log_auth_failure

router = APIRouter(prefix="/session", tags=["session"], responses=ERRORS)


class Login(BaseModel):
    """The token, as ``govnet api token create`` printed it."""

    model_config = ConfigDict(extra="forbid")
    token: SecretStr


@router.post("", summary="Start a browser session from a token")
def login(body: Login, request: Request, response: Response, state: State) -> Any:
    """Check the token and set it as an HttpOnly, SameSite=Strict cookie.

    District scope: the answer is the token's own role and district.
    """
    token = body.token.get_secret_value()
    try:
        caller = state.tokens.verify(token)
    except AuthError as exc:
        log_auth_failure(request, exc.message, token)
        raise HTTPException(401, detail={"message": exc.message, "hint": exc.hint}) from exc
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=12 * 3600)
    return {"role": caller.role.value, "district": caller.district}


@router.delete("", summary="End the browser session")
def logout(response: Response) -> Any:
    """Forget the cookie.

    District scope: nothing is read.
    """
    response.delete_cookie(COOKIE)
    return {"status": "logged out"}
