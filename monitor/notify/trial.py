"""``govnet notify test``: one test message through each channel, straight away (no outbox)."""

from __future__ import annotations

import asyncio
import time

from govnet.errors import GovnetError
from govnet.monitor.notify.channels import Channels
from govnet.monitor.notify.events import trial_event
from govnet.monitor.notify.messages import render
from govnet.monitor.notify.notifier import Delivery
from govnet.monitor.notify.senders import DeliveryError, send
from govnet.monitor.notify.signing import new_message_id


async def send_trial(channels: Channels, only: str | None = None) -> list[Delivery]:
    """Send a test message through every channel (or the one named ``only``); report each."""
    if only is not None and only not in channels.channels:
        raise GovnetError(
            f"no channel named '{only[:64]}' in {channels.path}",
            hint="one of: " + ", ".join(channels.channels),
        )
    names = [only] if only is not None else list(channels.channels)

    async def one(name: str) -> Delivery:
        now = time.time()
        event = trial_event(now, name, channels.noc_url)
        message = render(event, channels.language_of(name), channels.zone)
        payload = {"subject": message.subject, "text": message.text, "body": event.body()}
        message_id = new_message_id()
        try:
            detail = await send(channels.channels[name], message_id, payload, now)
        except DeliveryError as exc:
            return Delivery(name, message_id, "test", False, exc.message)
        return Delivery(name, message_id, "test", True, detail)

    return list(await asyncio.gather(*(one(n) for n in names)))
