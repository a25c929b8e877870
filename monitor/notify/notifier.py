"""The notifier: turns what the monitor saw into outbox rows, and delivers the outbox.

The monitor hands it each tick's :class:`govnet.monitor.engine.CycleReport` (``on_report``):
incidents opened, changed and closed, endpoint state changes. For each, the routes decide which
channels get a message; the message is rendered in the channel's language and written to the
outbox (:mod:`govnet.monitor.notify.outbox`) before anything is sent. ``sweep`` runs every few
seconds over the open incidents: reminders every ``remind_every`` and one escalation after
``escalate_after`` while nobody has acknowledged, and the opening message for a channel that was
held back by a maintenance window that has since ended. A closing message goes exactly to the
channels that were told of the opening. ``run`` delivers: per channel the oldest message first,
retrying with back-off.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from govnet import aio
from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.monitor.engine import CycleReport
from govnet.monitor.notify.channels import Channels, Route
from govnet.monitor.notify.events import SEVERITY_RANK, Event, endpoint_event, endpoint_index, incident_event
from govnet.monitor.notify.messages import render
from govnet.monitor.notify.monthly import queue_monthly
from govnet.monitor.notify.outbox import Outbox, OutboxError, OutboxRow, Pending
from govnet.monitor.notify.routing import channels_for, effective_routes, quiet_until, silenced
from govnet.monitor.notify.senders import DeliveryError, ReceiverGoneError, send
from govnet.monitor.notify.signing import new_message_id
from govnet.monitor.spool import SpoolingStore
from govnet.monitor.store import IncidentRow, Store, StoreError, Window

log = logging.getLogger("govnet.monitor.notify")

OPENED = "incident.opened"
#: How often open incidents are looked at for reminders and escalations.
SWEEP_EVERY_S = 1.0
#: Delivered messages are kept this long (the record of who was told what), then pruned hourly.
KEEP_DELIVERED_S = 30 * 86400.0
PRUNE_EVERY_S = 3600.0
#: How often the notifier looks whether last month's report is due.
MONTHLY_EVERY_S = 60.0


@dataclass(frozen=True)
class Delivery:
    """One attempt's outcome (for logs, ``notify test`` and tests)."""

    channel: str
    message_id: str
    event_type: str
    ok: bool
    detail: str


def most_severe_first(pending: list[Pending]) -> list[Pending]:
    """What happened in one tick, critical first (gold agencies before the rest); otherwise as it came."""

    def rank(p: Pending) -> int:
        data = p.payload["body"]["data"]
        facts = data.get("incident") or {}
        if "endpoint" in data:
            return 2 if data["endpoint"].get("service_level") == "gold" else 1
        return SEVERITY_RANK.get(str(facts.get("severity")), 0)

    return sorted(pending, key=lambda p: -rank(p))


class Notifier:
    """Routes events into the outbox and delivers it."""

    def __init__(
        self,
        channels: Channels,
        outbox: Outbox,
        store: Store,
        network: Network,
        clock: Callable[[], float] = time.time,
        on_delivery: Callable[[Delivery], None] | None = None,
    ) -> None:
        self.channels = channels
        self.outbox = outbox
        self.store = store
        self.network = network
        self.clock = clock
        self.on_delivery = on_delivery
        self.routes = effective_routes(channels)
        self.wake = asyncio.Event()
        self._index = endpoint_index(network)

    # ------------------------------------------------------------------ events in
    def on_report(self, report: CycleReport) -> None:
        """Write the messages one tick of the monitor calls for."""
        pending: list[Pending] = []
        for type_, ids in (
            (OPENED, report.opened),
            ("incident.updated", report.updated),
            ("incident.closed", report.closed),
        ):
            for incident_id in ids:
                row = self._incident(incident_id)
                if row is not None:
                    pending += self._for_incident(row, type_, report.at)
        for change in report.changes:
            if change.kind == "endpoint" and change.old is not None and change.old != change.new:
                event = endpoint_event(
                    self.network, self._index, change.name, change.new, change.at, self.channels.noc_url
                )
                pending += self._routed(event, report.at)
        self._write(most_severe_first(pending))

    def sweep(self, now: float | None = None) -> int:
        """Reminders, escalations and late openings for the open incidents; returns messages written."""
        now = self.clock() if now is None else now
        try:
            rows = self.store.incidents(open_only=True)
        except StoreError as exc:
            log.warning("notifications: cannot read open incidents: %s", exc.message)
            return 0
        pending: list[Pending] = []
        windows = self._windows(now) if rows else []
        for row in rows:
            pending += self._for_incident(row, None, now, windows)
        return self._write(pending)

    def _incident(self, incident_id: int) -> IncidentRow | None:
        try:
            return self.store.incident(incident_id)
        except StoreError as exc:
            log.warning("notifications: cannot read incident %s: %s", incident_id, exc.message)
            return None

    def _write(self, pending: list[Pending]) -> int:
        if not pending:
            return 0
        try:
            off = self.outbox.disabled()
            pending = [p for p in pending if p.channel not in off]  # their receivers are gone
            written = self.outbox.add(pending)
        except OutboxError as exc:
            log.error("notifications: %d message(s) not written to the outbox: %s", len(pending), exc.message)
            return 0
        self.wake.set()
        return written

    def _pending(self, event: Event, channel: str, created: float, not_before: float) -> Pending:
        message = render(event, self.channels.language_of(channel), self.channels.zone)
        payload = {"subject": message.subject, "text": message.text, "body": event.body()}
        return Pending(
            new_message_id(),
            channel,
            event.type,
            event.subject,
            event.incident_id,
            created,
            payload,
            not_before,
        )

    def _routed(self, event: Event, now: float) -> list[Pending]:
        windows = self._windows(now)
        if silenced(event, windows, now) is not None:
            return []
        out = []
        for channel, route in channels_for(self.routes, event):
            held = quiet_until(route.quiet_hours, event.severity, now, self.channels.zone)
            out.append(self._pending(event, channel, now, held or now))
        return out

    def _windows(self, now: float) -> list[Window]:
        try:
            return list(self.store.maintenance(now, now + 1e-6))
        except StoreError as exc:
            log.warning("notifications: cannot read maintenance windows: %s", exc.message)
            return []

    def _told(self, incident_id: int, channel: str) -> bool:
        return self.outbox.last_sent(incident_id, channel, [OPENED]) is not None

    def _for_incident(
        self, row: IncidentRow, type_: str | None, now: float, windows: list[Window] | None = None
    ) -> list[Pending]:
        """Messages about one incident: ``type_`` is what just happened, None for a sweep."""
        if type_ == "incident.closed":
            event = incident_event(self.network, row, type_, row.closed or now, self.channels.noc_url)
            return [
                self._pending(event, channel, now, now)
                for channel in self.channels.channels
                if self._told(row.id, channel)
            ]
        opened = incident_event(self.network, row, OPENED, row.opened, self.channels.noc_url)
        if windows is None:
            windows = self._windows(now)
        if silenced(opened, windows, now) is not None:
            return []
        acked = row.acknowledged_at is not None
        out: list[Pending] = []
        escalate: dict[str, Route] = {}
        for channel, route in channels_for(self.routes, opened):
            held = quiet_until(route.quiet_hours, opened.severity, now, self.channels.zone)
            if not self._told(row.id, channel):
                out.append(self._pending(opened, channel, now, held or now))
                continue
            if type_ == "incident.updated":
                event = incident_event(self.network, row, type_, now, self.channels.noc_url)
                out.append(self._pending(event, channel, now, held or now))
            elif type_ is None and not acked and route.remind_every is not None and held is None:
                last = self.outbox.last_sent(row.id, channel, [OPENED, "incident.reminder"]) or row.opened
                if now - last >= route.remind_every:
                    event = incident_event(self.network, row, "incident.reminder", now, self.channels.noc_url)
                    out.append(self._pending(event, channel, now, now))
            if route.escalate_after is not None and not acked and now - row.opened >= route.escalate_after:
                for target in route.escalate_to:
                    escalate.setdefault(target, route)
        for target in escalate:
            if self.outbox.last_sent(row.id, target, ["incident.escalated"]) is None:
                event = incident_event(self.network, row, "incident.escalated", now, self.channels.noc_url)
                out.append(self._pending(event, target, now, now))
        return out

    # ------------------------------------------------------------------ delivery
    async def deliver_due(self) -> list[Delivery]:
        """Try every channel's oldest due message once (channels in parallel)."""
        now = self.clock()
        try:
            heads = self.outbox.heads(now)
        except OutboxError as exc:
            log.error("notifications: cannot read the outbox: %s", exc.message)
            return []
        results = await asyncio.gather(*(self._deliver(row) for row in heads))
        return list(results)

    async def _deliver(self, row: OutboxRow) -> Delivery:
        channel = self.channels.channels.get(row.channel)
        detail = ""
        gone = False
        if channel is None:
            error = f"channel '{row.channel}' is no longer in {self.channels.path}"
            ok = False
        else:
            try:
                detail = await send(channel, row.message_id, row.payload, self.clock())
                ok, error = True, ""
            except ReceiverGoneError as exc:
                ok, error, gone = False, exc.message, True
            except DeliveryError as exc:
                ok, error = False, exc.message
        at = self.clock()
        try:
            if ok:
                self.outbox.delivered(row.id, at)
            elif gone:
                dropped = self.outbox.give_up(row, at, error)
                log.error(
                    "notification channel %s disabled: %s (message %s and %d waiting not sent; "
                    "'govnet notify enable --channel %s' switches it on again)",
                    row.channel,
                    error,
                    row.message_id,
                    max(0, dropped - 1),
                    row.channel,
                )
            else:
                due = self.outbox.failed(
                    row, at, error, self.channels.retry.first, self.channels.retry.maximum
                )
                log.warning(
                    "notification %s to %s failed (attempt %d): %s; next try in %.0f s",
                    row.message_id,
                    row.channel,
                    row.attempts + 1,
                    error,
                    due - at,
                )
        except OutboxError as exc:
            log.error("notifications: cannot record a delivery: %s", exc.message)
        result = Delivery(row.channel, row.message_id, row.event_type, ok, detail if ok else error)
        if self.on_delivery is not None:
            self.on_delivery(result)
        return result

    def monthly(self, now: float | None = None) -> int:
        """Queue last month's SLA report for the channels that take reports, once (monthly.py)."""
        now = self.clock() if now is None else now
        try:
            queued = queue_monthly(self.channels, self.outbox, self.network, self.store, now)
        except GovnetError as exc:  # the store away, a period it cannot build: tried again in a minute
            log.warning("notifications: the monthly report was not queued: %s", exc.message)
            return 0
        except Exception:  # a report that cannot be rendered must not stop incident notifications
            log.exception("notifications: the monthly report could not be built")
            return 0
        if queued:
            log.info("notifications: last month's availability report queued for %d channel(s)", queued)
        return queued

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver and sweep until ``stop`` is set."""
        last_sweep = last_prune = last_monthly = 0.0
        while not stop.is_set():
            self.wake.clear()
            now = self.clock()
            if now - last_sweep >= SWEEP_EVERY_S:
                self.sweep(now)
                last_sweep = now
            if now - last_monthly >= MONTHLY_EVERY_S:
                await asyncio.to_thread(self.monthly, now)  # builds a report: off the event loop
                # (delivered by deliver_due just below, like any message in the outbox)
                last_monthly = now
            if now - last_prune >= PRUNE_EVERY_S:
                try:
                    self.outbox.prune(now - KEEP_DELIVERED_S)
                except OutboxError as exc:
                    log.warning("notifications: cannot prune the outbox: %s", exc.message)
                last_prune = now
            delivered = await self.deliver_due()
            if any(d.ok for d in delivered):
                continue  # the next message of that channel may go at once
            try:
                due = self.outbox.next_due()
            except OutboxError:
                due = None
            pause = SWEEP_EVERY_S if due is None else min(SWEEP_EVERY_S, max(0.0, due - self.clock()))
            await aio.first_of(self.wake, stop, timeout=pause)


def build_notifier(
    channels: Channels,
    store: Store,
    network: Network,
    on_delivery: Callable[[Delivery], None] | None = None,
) -> Notifier:
    """The notifier ``govnet monitor run --channels FILE`` runs: its outbox in the store's database."""
    inner = store.inner if isinstance(store, SpoolingStore) else store
    return Notifier(channels, Outbox(inner.db), store, network, on_delivery=on_delivery)
