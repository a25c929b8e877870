"""Which channels an event goes to: routes, quiet hours and maintenance windows.

A route matches an event of one of its ``events`` kinds whose severity is at least
``min_severity`` and that touches one of its ``districts``/``communes``/``service_levels`` (each
filter only when given). A file without routes sends each channel the kinds of events it names
(``events``, default ``[incident]``). An active maintenance window whose target is ``*`` or names
one of the event's devices, districts or endpoints silences it. Quiet hours hold a message below
their ``except_severity`` in the outbox until they end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from govnet.monitor.notify.channels import Channels, QuietHours, Route
from govnet.monitor.notify.events import SEVERITY_RANK, Event
from govnet.monitor.store import Window


def effective_routes(channels: Channels) -> list[Route]:
    """The file's routes, or one route per channel for the kinds of events it names."""
    if channels.routes:
        return channels.routes
    return [Route(channels=[name], events=list(ch.config.events)) for name, ch in channels.channels.items()]


def matches(route: Route, event: Event) -> bool:
    """Whether ``route`` takes ``event`` (kind, severity, district, commune, service level)."""
    if event.kind not in route.events:
        return False
    if SEVERITY_RANK[event.severity] < SEVERITY_RANK[route.min_severity]:
        return False
    if route.districts is not None and not set(route.districts) & event.districts:
        return False
    if route.communes is not None and not set(route.communes) & event.communes:
        return False
    levels = {level.value for level in route.service_levels or []}
    return route.service_levels is None or bool(levels & event.service_levels)


def silenced(event: Event, windows: Iterable[Window], now: float) -> Window | None:
    """The active maintenance window that silences ``event``, if any."""
    for window in windows:
        if window.starts <= now < window.ends and (window.target == "*" or window.target in event.targets):
            return window
    return None


def quiet_until(quiet: QuietHours | None, severity: str, now: float, zone: ZoneInfo) -> float | None:
    """When the quiet hours around ``now`` end, if ``now`` is inside them and ``severity`` is held.

    >>> from govnet.monitor.notify.channels import QuietHours
    >>> q = QuietHours(start="22:00", end="06:00")
    >>> z = ZoneInfo("UTC")
    >>> quiet_until(q, "major", datetime(2026, 12, 1, 23, 0, tzinfo=z).timestamp(), z) == datetime(
    ...     2026, 12, 2, 6, 0, tzinfo=z).timestamp()
    True
    >>> quiet_until(q, "critical", datetime(2026, 12, 1, 23, 0, tzinfo=z).timestamp(), z) is None
    True
    >>> quiet_until(q, "major", datetime(2026, 12, 1, 12, 0, tzinfo=z).timestamp(), z) is None
    True
    """
    if quiet is None or SEVERITY_RANK[severity] >= SEVERITY_RANK[quiet.except_severity]:
        return None
    local = datetime.fromtimestamp(now, zone)
    clock = local.time()
    if not _inside(clock, quiet.start, quiet.end):
        return None
    end = datetime.combine(local.date(), quiet.end, zone)
    if end <= local:
        end += timedelta(days=1)
    return end.timestamp()


def _inside(clock: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def channels_for(routes: Sequence[Route], event: Event) -> list[tuple[str, Route]]:
    """Each channel that takes ``event`` once, with the first route that sends it there."""
    seen: dict[str, Route] = {}
    for route in routes:
        if matches(route, event):
            for name in route.channels:
                seen.setdefault(name, route)
    return list(seen.items())
