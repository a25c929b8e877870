"""``/events``: state changes as Server-Sent Events, so the IOC wall updates without polling.

Each change in the store becomes one event (``event: change``, JSON data, ``id`` = the change's
id, so a client reconnecting with ``Last-Event-ID`` misses nothing). A comment line every 15 s
keeps proxies from closing an idle stream. The stream ends as soon as its caller could no longer
open it: the token revoked or expired, or (for the NOC page) the session ended.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from govnet.api.auth import AuthError, Principal
from govnet.api.deps import ERRORS, ApiState, Ioc, State
from govnet.api.sessions import COOKIE

router = APIRouter(tags=["status"], responses=ERRORS)

KEEPALIVE_S = 15.0


def still_allowed(request: Request, state: ApiState, caller: Principal) -> bool:
    """Whether the caller's token is still live (not revoked, not expired) and, when the stream was
    opened with the page's session cookie, that session too (checked before every read)."""
    try:
        state.tokens.lookup(caller.token_id)
    except AuthError:
        return False
    if "authorization" in request.headers:
        return True
    session_id = request.cookies.get(COOKIE)
    return session_id is not None and state.sessions.get(session_id) is not None


@router.get("/events", summary="Live state changes (text/event-stream)", response_class=StreamingResponse)
async def events(
    request: Request,
    state: State,
    caller: Ioc,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
) -> StreamingResponse:
    """Stream changes from now on (or since ``Last-Event-ID``).

    The stream ends when the token is revoked or expires, or the page's session ends.

    District scope: a district-scoped token is sent the changes of its district's devices,
    endpoints, alerts and of the links with both ends in it (filtered); a change that cannot be
    placed in its district is never sent to it.
    """
    store = state.store
    mine = state.scope(caller)
    start = last_event_id if last_event_id is not None else store.last_change_id()

    async def stream() -> AsyncIterator[bytes]:
        last, idle = start, 0.0
        yield b": govnet events\n\n"
        while not await request.is_disconnected():
            batch = await asyncio.to_thread(store.changes_after, last)
            # Checked after the read, not before: a change stored after the token was revoked (or
            # the session ended) is then always in a batch read after it, and never sent.
            if not await asyncio.to_thread(still_allowed, request, state, caller):
                return  # revoked, expired or logged out: the client's reconnection gets the 401
            for change_id, change in batch:
                last = change_id
                if not mine.state_visible(change.kind, change.name):
                    continue
                data = json.dumps({**change.__dict__, "id": change_id}, ensure_ascii=False)
                yield f"id: {change_id}\nevent: change\ndata: {data}\n\n".encode()
            if batch:
                idle = 0.0
                continue
            await asyncio.sleep(state.events_poll_s)
            idle += state.events_poll_s
            if idle >= KEEPALIVE_S:
                idle = 0.0
                yield b": keep-alive\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
