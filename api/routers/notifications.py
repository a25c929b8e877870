"""``/notifications``: the notification channels as the outbox knows them (noc)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from govnet.api.deps import ERRORS, Noc, State, forbid_scoped
from govnet.monitor.notify.outbox import Outbox

router = APIRouter(tags=["operations"], responses=ERRORS)


@router.get("/notifications", summary="Notification channels: enabled, waiting, delivered, given up (noc)")
async def notifications(state: State, caller: Noc) -> Any:
    """Each channel the outbox has written to: whether it is enabled (a webhook receiver that
    answered 410 Gone disables its channel, with the reason and since when), how many messages
    wait, were delivered or were given up, the last delivery and the last error (no secret).

    District scope: 403 for a scoped token (the channels are the province's).
    """
    forbid_scoped(caller, "the notification channels are the whole province's")
    outbox = Outbox(getattr(state.store, "inner", state.store).db)
    counts, off = await asyncio.gather(asyncio.to_thread(outbox.counts), asyncio.to_thread(outbox.disabled))
    empty = {"waiting": 0, "delivered": 0, "given_up": 0, "last_delivered": None, "last_error": None}
    return {
        "items": [
            {
                "channel": name,
                "enabled": name not in off,
                "disabled": None if name not in off else off[name].__dict__,
                **counts.get(name, empty),
            }
            for name in sorted(set(counts) | set(off))
        ]
    }
