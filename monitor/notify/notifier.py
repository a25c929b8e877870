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

The outbox and the store are read and written through SQLAlchemy, synchronously: inside ``run``
(and for each tick's report, :meth:`Notifier.submit`) every such call goes to one worker thread
of the notifier's own, never the event loop, so a slow disk or a lock held in the database stalls
the notifications, not the polls beside them. One worker keeps the order of everything: a tick's
messages are written before the next tick's, and a delivery is recorded before the channel's next
message is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

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
T = TypeVar("T")

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
        #: The one thread that does the notifier's store and outbox I/O (see the module's docstring).
        self._worker: ThreadPoolExecutor | None = None
        #: The event loop ``run`` (or the last awaited call) runs on: where ``wake`` is set.
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ off the event loop
    def _executor(self) -> ThreadPoolExecutor:
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="govnet-notify-store")
        return self._worker

    async def _io(self, call: Callable[..., T], *args: object) -> T:
        """``call(*args)`` on the notifier's worker thread, in order with everything queued before."""
        self._loop = asyncio.get_running_loop()
        return await self._loop.run_in_executor(self._executor(), functools.partial(call, *args))

    def submit(self, report: CycleReport) -> Future[None]:
        """:meth:`on_report` on the worker thread, without waiting (for the monitor's tick, which
        runs on the event loop); reports are written in the order they are submitted."""
        with contextlib.suppress(RuntimeError):  # called outside a loop: nothing to wake but the Event
            self._loop = asyncio.get_running_loop()
        return self._executor().submit(self._report, report)

    def _report(self, report: CycleReport) -> None:
        try:
            self.on_report(report)
        except Exception:  # a report that cannot be turned into messages must not stop the next
            log.exception("notifications: the messages of a tick could not be written")

    def _wake(self) -> None:
        """Wake ``run``: from its own loop directly, from the worker thread through the loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self.wake.set()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.wake.set()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
                loop.call_soon_threadsafe(self.wake.set)

    def close(self) -> None:
        """Let the worker thread end once what is queued is done (it is made again when needed)."""
        if self._worker is not None:
            self._worker.shutdown(wait=False)
            self._worker = None

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
        try:
            for row in rows:
                pending += self._for_incident(row, None, now, windows)
        except OutboxError as exc:  # the outbox cannot be read now: the next sweep tries again
            log.warning("notifications: cannot read the outbox: %s", exc.message)
            return 0
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
        self._wake()
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
            heads = await self._io(self.outbox.heads, now)
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
        await self._io(self._record, row, ok, gone, error)
        result = Delivery(row.channel, row.message_id, row.event_type, ok, detail if ok else error)
        if self.on_delivery is not None:
            self.on_delivery(result)
        return result

    def _record(self, row: OutboxRow, ok: bool, gone: bool, error: str) -> None:
        """An attempt's outcome into the outbox (on the worker thread)."""
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
        """Deliver and sweep until ``stop`` is set (the store's I/O on the worker thread); what
        was submitted before the stop is written before it returns."""
        self._loop = asyncio.get_running_loop()
        last_sweep = last_prune = last_monthly = 0.0
        try:
            while not stop.is_set():
                self.wake.clear()
                now = self.clock()
                if now - last_sweep >= SWEEP_EVERY_S:
                    await self._io(self.sweep, now)
                    last_sweep = now
                if now - last_monthly >= MONTHLY_EVERY_S:
                    await asyncio.to_thread(self.monthly, now)  # builds a report: off the event loop
                    # (delivered by deliver_due just below, like any message in the outbox)
                    last_monthly = now
                if now - last_prune >= PRUNE_EVERY_S:
                    await self._io(self._prune, now)
                    last_prune = now
                delivered = await self.deliver_due()
                if any(d.ok for d in delivered):
                    continue  # the next message of that channel may go at once
                due = await self._io(self._next_due)
                pause = SWEEP_EVERY_S if due is None else min(SWEEP_EVERY_S, max(0.0, due - self.clock()))
                await aio.first_of(self.wake, stop, timeout=pause)
            await self._io(_nothing)  # the reports submitted before the stop are written
        finally:
            self.close()

    def _prune(self, now: float) -> None:
        try:
            self.outbox.prune(now - KEEP_DELIVERED_S)
        except OutboxError as exc:
            log.warning("notifications: cannot prune the outbox: %s", exc.message)

    def _next_due(self) -> float | None:
        try:
            return self.outbox.next_due()
        except OutboxError:
            return None


def _nothing() -> None:
    """A call whose completion says that everything queued before it on the worker is done."""


def build_notifier(
    channels: Channels,
    store: Store,
    network: Network,
    on_delivery: Callable[[Delivery], None] | None = None,
) -> Notifier:
    """The notifier ``govnet monitor run --channels FILE`` runs: its outbox in the store's database."""
    inner = store.inner if isinstance(store, SpoolingStore) else store
    return Notifier(channels, Outbox(inner.db), store, network, on_delivery=on_delivery)
