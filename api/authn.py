"""Who is calling: a bearer token, or the NOC page's session cookie; failed attempts rate-limited.

Runs on the event loop for every authenticated request: a lockout check (a dict lookup), the
token file's stat, a SHA-256 and a constant-time compare (auth.py); with a session cookie, one
read of the session's row by its primary key (sessions.py).
"""

from __future__ import annotations

import logging

from fastapi import HTTPException, Request, status

from govnet.api.auth import AuthError, Principal, TokenStore
from govnet.api.limits import FailedAuth
from govnet.api.sessions import COOKIE, CSRF_HEADER, Sessions

#: Methods that change nothing: no CSRF secret needed with a session.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

BEARER_HINT = "send 'Authorization: Bearer <token>'"
#: The 429 of a locked-out address (limits.py: per address, never per token id alone).
LOCKED_OUT = "too many failed authentications from this address"

log = logging.getLogger("govnet.api")


def log_failure(request: Request, exc: HTTPException, token: str | None) -> None:
    """One WARNING line per refused authentication: why, the token's id (never the token), the
    client and the path."""
    detail = exc.detail if isinstance(exc.detail, dict) else {"message": str(exc.detail)}
    log.warning(
        "authentication failed",
        extra={
            "reason": str(detail.get("message")),
            "status": exc.status_code,
            "token_id": token_id_of(token) if token else None,
            "client": client_address(request),
            "path": request.url.path,
        },
    )


def unauthorised(message: str, hint: str) -> HTTPException:
    """A 401 saying why and what to send."""
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail={"message": message, "hint": hint},
        headers={"WWW-Authenticate": "Bearer"},
    )


def too_many(retry_after: int, what: str) -> HTTPException:
    """A 429 with ``Retry-After``."""
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail={"message": what, "hint": f"retry after {retry_after} s"},
        headers={"Retry-After": str(retry_after)},
    )


def client_address(request: Request) -> str:
    """The peer's address (uvicorn's, after its proxy-headers handling)."""
    return request.client.host if request.client else "unknown"


def token_id_of(token: str) -> str | None:
    """The id part of ``gvn_<id>_<secret>`` (not secret), None when the token is malformed."""
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    return token_id if prefix == "gvn" and token_id and secret and len(token_id) <= 64 else None


def check_token(token: str, tokens: TokenStore, limiter: FailedAuth, address: str) -> Principal:
    """The caller a token stands for; 429 while its address is locked out, 401 when wrong."""
    token_id = token_id_of(token)
    locked = limiter.retry_after(address)
    if locked is not None:
        raise too_many(locked, LOCKED_OUT)
    try:
        return tokens.verify(token)
    except AuthError as exc:
        started = limiter.failed(address, token_id)
        if started is not None:
            raise too_many(started, LOCKED_OUT) from exc
        raise unauthorised(exc.message, exc.hint or "") from exc


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header (None without the header; 401 when malformed)."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorised("the Authorization header is not 'Bearer <token>'", BEARER_HINT)
    return token.strip()


def forbidden(message: str, hint: str) -> HTTPException:
    """A 403 saying why."""
    return HTTPException(status.HTTP_403_FORBIDDEN, detail={"message": message, "hint": hint})


def authenticate(request: Request, tokens: TokenStore, limiter: FailedAuth, sessions: Sessions) -> Principal:
    """The caller, from ``Authorization: Bearer …`` or the page's session cookie.

    401: missing, malformed, unknown, expired or revoked; 429: locked out after failed attempts;
    403: a state-changing request with a session but without its CSRF secret. Each refusal is
    logged (:func:`log_failure`).
    """
    try:
        return _authenticate(request, tokens, limiter, sessions)
    except HTTPException as exc:
        if exc.status_code in (401, 429):
            header = request.headers.get("authorization", "")
            log_failure(request, exc, header.partition(" ")[2].strip() or None)
        raise


def _authenticate(request: Request, tokens: TokenStore, limiter: FailedAuth, sessions: Sessions) -> Principal:
    token = bearer(request)
    if token is not None:
        return check_token(token, tokens, limiter, client_address(request))
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        raise unauthorised("missing bearer token", BEARER_HINT)
    address = client_address(request)
    locked = limiter.retry_after(address)
    if locked is not None:
        raise too_many(locked, LOCKED_OUT)
    session = sessions.get(session_id)
    if session is None:
        limiter.failed(address, None)
        raise unauthorised("no such session (expired or ended)", "log in again on the NOC page")
    try:
        caller = tokens.lookup(session.token_id)
    except AuthError as exc:
        sessions.end_token(session.token_id)
        raise unauthorised(exc.message, exc.hint or "") from exc
    if request.method not in SAFE_METHODS and not session.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise forbidden(
            "a state-changing request with a session needs its CSRF secret",
            f"send the 'csrf' of GET /api/v1/session in the '{CSRF_HEADER}' header",
        )
    return caller
