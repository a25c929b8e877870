"""``/events``: state changes as Server-Sent Events, so the IOC wall updates without polling.

Each change in the store becomes one event (``event: change``, JSON data, ``id`` = the change's
id, so a client reconnecting with ``Last-Event-ID`` misses nothing). A comment line every 15 s
keeps proxies from closing an idle stream. The stream ends as soon as its caller could no longer
open it: the token revoked or expired, or (for the NOC page) the session ended.

Whether the monitor is watching (api/liveness.py) is sent as ``event: monitor`` (JSON data: the
``monitor`` object of ``/summary``, no ``id``) when the stream opens and whenever it changes, so a
wall learns within a couple of seconds that the monitor stopped or went silent.

Streams are capped per token and in all (limits.py :class:`StreamSlots`): one more is 429 with
``Retry-After``; a stream gives its slot back when it ends, however it ends.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, status
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from govnet.api.auth import AuthError, Principal
from govnet.api.deps import ERRORS, ApiState, Ioc, State
from govnet.api.limits import StreamsFullError, StreamSlot
from govnet.api.liveness import MonitorStatus
from govnet.api.sessions import COOKIE

router = APIRouter(tags=["status"], responses=ERRORS)

KEEPALIVE_S = 15.0
#: The ``Retry-After`` of a refused stream: streams end when their clients go, so soon.
RETRY_AFTER_S = 30


class SlotStream(StreamingResponse):
    """A stream that gives its slot back when it ends, however it ends (finished, the client
    gone, cancelled by the server's shutdown, an error): the ``finally`` of the response itself,
    not of its body's generator, which never runs its ``finally`` if it never started."""

    def __init__(self, content: AsyncIterator[bytes], slot: StreamSlot) -> None:
        super().__init__(content, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()


def streams_full(full: StreamsFullError) -> HTTPException:
    """The 429 of a stream over the cap, saying which cap and what to do."""
    if full.scope == "token":
        message = f"this token already has {full.limit} /events streams open (its limit)"
        hint = (
            "close a page or client that streams with this token, share one stream between screens, "
            "or give each wall its own token; the limit is govnet serve --events-per-token"
        )
    else:
        message = f"the server already has {full.limit} /events streams open (its limit)"
        hint = f"retry after {RETRY_AFTER_S} s, or raise govnet serve --events-max"
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail={"message": message, "hint": hint},
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def monitor_event(monitor: MonitorStatus) -> bytes:
    """The ``event: monitor`` of a stream."""
    return f"event: monitor\ndata: {json.dumps(monitor.body(), ensure_ascii=False)}\n\n".encode()


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


@router.get(
    "/events",
    summary="Live state changes, and the monitor's state (text/event-stream)",
    response_class=StreamingResponse,
)
async def events(
    request: Request,
    state: State,
    caller: Ioc,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
) -> StreamingResponse:
    """Stream changes from now on (or since ``Last-Event-ID``).

    The stream ends when the token is revoked or expires, or the page's session ends.
    ``event: monitor`` says whether the monitor is watching, at the start and on every change.
    429 with ``Retry-After`` when this token, or the server, has as many streams open as allowed.

    District scope: a district-scoped token is sent the changes of its district's devices,
    endpoints, alerts and of the links with both ends in it (filtered); a change that cannot be
    placed in its district is never sent to it.
    """
    store = state.store
    mine = state.scope(caller)
    start = last_event_id if last_event_id is not None else store.last_change_id()
    try:
        slot = state.streams.take(caller.token_id)
    except StreamsFullError as full:
        raise streams_full(full) from None

    async def stream() -> AsyncIterator[bytes]:
        last, idle = start, 0.0
        yield b": govnet events\n\n"
        watching = state.watch.status()
        yield monitor_event(watching)
        while not await request.is_disconnected():
            batch = await asyncio.to_thread(store.changes_after, last)
            # Checked after the read, not before: a change stored after the token was revoked (or
            # the session ended) is then always in a batch read after it, and never sent.
            if not await asyncio.to_thread(still_allowed, request, state, caller):
                return  # revoked, expired or logged out: the client's reconnection gets the 401
            now_watching = state.watch.status()
            if now_watching.key() != watching.key():
                watching = now_watching
                yield monitor_event(watching)
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

    return SlotStream(stream(), slot)
