"""The monthly availability (SLA) report through the notification channels.

Channels that take ``report`` events (in their ``events``, or through a route that lists
``report``) get last month's report: e-mail with the report attached as PDF and CSV, a webhook the
report's summary as JSON (type ``report.sla``, documented in the OpenAPI document), Telegram and
apprise a short text. ``govnet monitor run --channels FILE`` queues it in the outbox once per month
and channel, on the first sweep on or after the 1st of the month (midnight in the channels file's
time zone), within the first :data:`SEND_WITHIN_DAYS` days: the outbox row, whose ``webhook-id``
is made from the month and the channel, is the record, so a restart does not queue it twice, and
the outbox delivers it with retries like any message. ``govnet report sla --send`` sends one now.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from govnet.inventory.network import Network
from govnet.inventory.text import shown
from govnet.monitor.notify.channels import Channels, EmailChannel
from govnet.monitor.notify.events import Event, iso
from govnet.monitor.notify.outbox import Outbox, Pending
from govnet.monitor.notify.routing import channels_for, effective_routes
from govnet.monitor.slaformats import MEDIA_TYPES
from govnet.monitor.slarender import render as render_report
from govnet.monitor.slareport import SlaReport, build_report, report_period
from govnet.monitor.store import Store

REPORT_TYPE = "report.sla"
#: A monitor that was down for the whole first week does not send a stale report by itself.
SEND_WITHIN_DAYS = 7
#: How many of the least available agencies a message names.
WORST = 5
#: What an e-mail carries.
ATTACHED = ("pdf", "csv")

_WORDS = {
    "vi": {
        "subject": "Báo cáo khả dụng tháng {label}: {province}",
        "total": "Khả dụng toàn tỉnh: {value} ({monitored}/{agencies} cơ quan được giám sát)",
        "worst": "Thấp nhất",
        "none": "không có số liệu",
        "attached": "Báo cáo đầy đủ (PDF, CSV) đính kèm.",
        "maintenance": "Thời gian bảo trì đã được loại trừ.",
    },
    "en": {
        "subject": "Availability report {label}: {province}",
        "total": "Province availability: {value} ({monitored}/{agencies} agencies monitored)",
        "worst": "Lowest",
        "none": "no data",
        "attached": "The full report (PDF, CSV) is attached.",
        "maintenance": "Maintenance windows are excluded.",
    },
}


def previous_month(now: float, zone: ZoneInfo) -> tuple[str, bool]:
    """Last month's label (``2026-11``) at ``now``, and whether ``now`` is within the sending days.

    >>> z = ZoneInfo("Asia/Ho_Chi_Minh")
    >>> previous_month(datetime(2026, 12, 1, 0, 5, tzinfo=z).timestamp(), z)
    ('2026-11', True)
    >>> previous_month(datetime(2027, 1, 9, tzinfo=z).timestamp(), z)
    ('2026-12', False)
    """
    local = datetime.fromtimestamp(now, zone)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}", local.day <= SEND_WITHIN_DAYS


def _percent(value: float | None, words: dict[str, str]) -> str:
    return words["none"] if value is None else f"{value * 100:.3f} %"


def report_event(report: SlaReport, at: float, noc_url: str | None) -> Event:
    """The event a report is sent as (its webhook body is :class:`ReportWebhook`'s shape)."""
    total = report.total
    ranked = sorted(
        (r for r in report.agencies if r.availability is not None), key=lambda r: r.availability or 0
    )
    data = {
        "report": {
            "period": report.period.label,
            "start": iso(report.period.start),
            "end": iso(report.period.end),
            "province": report.province,
            "availability": total.availability,
            "agencies": total.agencies,
            "monitored_agencies": total.monitored_agencies,
            "lowest": [{"id": r.id, "name": r.name, "availability": r.availability} for r in ranked[:WORST]],
        },
        "noc_url": noc_url,
    }
    return Event(
        type=REPORT_TYPE, kind="report", at=at, subject=f"report:sla:{report.period.label}", data=data
    )


def report_payload(report: SlaReport, event: Event, language: str, email: bool) -> dict[str, Any]:
    """What one channel sends: subject, plain text, the webhook body, and for e-mail the files."""
    words = _WORDS.get(language, _WORDS["vi"])
    facts = event.data["report"]
    subject = words["subject"].format(label=facts["period"], province=shown(report.province, 80))
    lines = [
        subject,
        words["total"].format(
            value=_percent(facts["availability"], words),
            monitored=facts["monitored_agencies"],
            agencies=facts["agencies"],
        ),
        words["maintenance"],
    ]
    if facts["lowest"]:
        lines.append(f"{words['worst']}:")
        lines += [
            f"  - {shown(r['name'], 80)}: {_percent(r['availability'], words)}" for r in facts["lowest"]
        ]
    if email:
        lines.append(words["attached"])
    if event.data.get("noc_url"):
        lines.append(str(event.data["noc_url"]))
    payload: dict[str, Any] = {
        "subject": f"[govnet] {subject}",
        "text": "\n".join(lines),
        "body": event.body(),
    }
    if email:
        payload["attachments"] = [
            {
                "filename": f"sla-{facts['period']}.{fmt}",
                "media_type": MEDIA_TYPES[fmt],
                "data": base64.b64encode(render_report(report, fmt)).decode("ascii"),
            }
            for fmt in ATTACHED
        ]
    return payload


def report_channels(channels: Channels, only: str | None = None) -> list[str]:
    """The channels that take reports (or ``only``, whatever its events)."""
    if only is not None:
        return [only] if only in channels.channels else []
    probe = Event(type=REPORT_TYPE, kind="report", at=0.0, subject="report:sla")
    return [name for name, _route in channels_for(effective_routes(channels), probe)]


def message_id(label: str, channel: str) -> str:
    """The ``webhook-id`` of one month's report to one channel: the same on every try and restart."""
    return f"msg_report-sla-{label}-{channel}"


def queue_monthly(channels: Channels, outbox: Outbox, network: Network, store: Store, now: float) -> int:
    """Queue last month's report for every channel that takes reports and has not had it; returns
    how many were queued (0 outside the first days of a month, or when all were queued before)."""
    label, due = previous_month(now, channels.zone)
    names = report_channels(channels)
    if not due or not names:
        return 0
    queued = outbox.message_ids([message_id(label, n) for n in names])
    todo = [n for n in names if message_id(label, n) not in queued]
    if not todo:
        return 0
    report = build_report(network, store, report_period(label, str(channels.zone), now))
    event = report_event(report, now, channels.noc_url)
    pending = [
        Pending(
            message_id(label, name),
            name,
            REPORT_TYPE,
            event.subject,
            None,
            now,
            report_payload(
                report,
                event,
                channels.language_of(name),
                isinstance(channels.channels[name].config, EmailChannel),
            ),
            now,
        )
        for name in todo
    ]
    return outbox.add(pending)
