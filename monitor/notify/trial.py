"""``govnet notify test`` and ``govnet report sla --send``: straight away (no outbox)."""

from __future__ import annotations

import asyncio
import time

from govnet.errors import GovnetError
from govnet.monitor.notify.channels import Channels, EmailChannel
from govnet.monitor.notify.events import trial_event
from govnet.monitor.notify.messages import render
from govnet.monitor.notify.monthly import REPORT_TYPE, report_channels, report_event, report_payload
from govnet.monitor.notify.notifier import Delivery
from govnet.monitor.notify.senders import DeliveryError, send
from govnet.monitor.notify.signing import new_message_id
from govnet.monitor.slareport import SlaReport


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


async def send_report(channels: Channels, report: SlaReport, only: str | None = None) -> list[Delivery]:
    """Send ``report`` now (no outbox) to the channels that take reports, or to ``only``."""
    names = report_channels(channels, only)
    if not names:
        raise GovnetError(
            f"no channel of {channels.path} takes reports"
            if only is None
            else f"no channel named '{only[:64]}' in {channels.path}",
            hint="add 'report' to a channel's events (or a route's), or name one with --channel",
        )
    now = time.time()
    event = report_event(report, now, channels.noc_url)

    async def one(name: str) -> Delivery:
        channel = channels.channels[name]
        email = isinstance(channel.config, EmailChannel)
        payload = report_payload(report, event, channels.language_of(name), email)
        message_id = new_message_id()
        try:
            detail = await send(channel, message_id, payload, now)
        except DeliveryError as exc:
            return Delivery(name, message_id, REPORT_TYPE, False, exc.message)
        return Delivery(name, message_id, REPORT_TYPE, True, detail)

    return list(await asyncio.gather(*(one(n) for n in names)))
