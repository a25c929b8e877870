"""The monthly availability report: per agency, per commune, per district and for the province.

Built from :func:`govnet.monitor.sla.availability_between` over a calendar month in the province's
time zone (``--period 2026-11``) or the last N days (``--period 30d``). Maintenance windows are
excluded; what was not monitored (the monitor stopped, an endpoint's state unknown) is stated
beside what was. A group's availability is weighted by time: 1 − (down time of its agencies) /
(monitored time of its agencies), so an agency watched for one hour weighs an hour, not a month.
The formats (CSV, HTML, JSON, PDF) are in :mod:`govnet.monitor.slaformats` and
:mod:`govnet.monitor.slapdf`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from govnet.errors import GovnetError
from govnet.inventory.communes import commune_of_site
from govnet.inventory.network import Network
from govnet.monitor.sla import Availability, availability_between, parse_period
from govnet.monitor.store import Store

#: The province's clock: months begin at midnight there.
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
#: Shown for an agency whose site names no commune.
NO_COMMUNE = "—"

_MONTH = re.compile(r"^(\d{4})-(\d{2})\Z")


class PeriodNotBegunError(GovnetError):
    """A month that has not begun: nothing to report yet."""


@dataclass(frozen=True)
class Period:
    """[start, end) in UNIX seconds, its label and whether it is over."""

    label: str
    start: float
    end: float
    tz: str
    complete: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (times also as ISO 8601 in the report's time zone)."""
        zone = ZoneInfo(self.tz)
        return {
            "label": self.label,
            "start": datetime.fromtimestamp(self.start, zone).isoformat(),
            "end": datetime.fromtimestamp(self.end, zone).isoformat(),
            "tz": self.tz,
            "complete": self.complete,
        }


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise GovnetError(
            f"unknown time zone '{tz[:64]}'", hint="an IANA name, e.g. Asia/Ho_Chi_Minh"
        ) from exc


def report_period(text: str, tz: str = DEFAULT_TZ, now: float | None = None) -> Period:
    """``2026-11`` (a calendar month in ``tz``) or ``30d``/``12h`` (ending now).

    >>> p = report_period("2026-11", now=2e9)
    >>> p.as_dict()["start"], p.as_dict()["end"], p.complete
    ('2026-11-01T00:00:00+07:00', '2026-12-01T00:00:00+07:00', True)
    >>> report_period("2026-13")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    govnet.errors.GovnetError: bad period '2026-13' (fix: a month as YYYY-MM (2026-11) or a span: ...)
    """
    clock = time.time() if now is None else now
    zone = _zone(tz)
    match = _MONTH.match(text.strip())
    hint = "a month as YYYY-MM (2026-11) or a span: 90m, 12h, 30d, 2w"
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < 1970:
            raise GovnetError(f"bad period '{text[:32]}'", hint=hint)
        first = datetime(year, month, 1, tzinfo=zone).timestamp()
        after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone).timestamp()
        if first >= clock:
            raise PeriodNotBegunError(
                f"the period {text} has not begun", hint="ask for this month or an earlier one"
            )
        return Period(f"{year:04d}-{month:02d}", first, min(after, clock), tz, after <= clock)
    try:
        seconds = parse_period(text)
    except GovnetError as exc:
        raise GovnetError(f"bad period '{text[:32]}'", hint=hint) from exc
    return Period(text.strip(), clock - seconds, clock, tz, False)


@dataclass(frozen=True)
class Row:
    """One line of the report: an agency, or a group of them (commune, district, province)."""

    level: str  # province | district | commune | agency
    id: str
    name: str
    district: str
    commune: str
    agencies: int
    monitored_agencies: int
    availability: float | None
    monitored_s: float
    down_s: float
    maintenance_s: float
    unmonitored_s: float
    service_level: str = ""
    type: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "level": self.level,
            "id": self.id,
            "name": self.name,
            "district": self.district,
            "commune": self.commune,
            "agencies": self.agencies,
            "monitored_agencies": self.monitored_agencies,
            "availability": self.availability,
            "monitored_s": round(self.monitored_s, 3),
            "down_s": round(self.down_s, 3),
            "maintenance_s": round(self.maintenance_s, 3),
            "unmonitored_s": round(self.unmonitored_s, 3),
            "service_level": self.service_level,
            "type": self.type,
        }


@dataclass(frozen=True)
class SlaReport:
    """What every format shows."""

    province: str
    period: Period
    generated: float
    scope: str | None  # a district id when the report is cut to one district
    total: Row  # the province's (or the scope district's) line
    districts: list[Row]
    communes: list[Row]
    agencies: list[Row]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "province": self.province,
            "period": self.period.as_dict(),
            "generated": datetime.fromtimestamp(self.generated, ZoneInfo(self.period.tz)).isoformat(),
            "scope": self.scope,
            "total": self.total.as_dict(),
            "districts": [r.as_dict() for r in self.districts],
            "communes": [r.as_dict() for r in self.communes],
            "agencies": [r.as_dict() for r in self.agencies],
        }

    def rows(self) -> list[Row]:
        """Every line, the total first, then districts, communes and agencies."""
        return [self.total, *self.districts, *self.communes, *self.agencies]


def _group(level: str, ident: str, name: str, district: str, commune: str, items: Sequence[Row]) -> Row:
    monitored = sum(r.monitored_s for r in items)
    down = sum(r.down_s for r in items)
    return Row(
        level=level,
        id=ident,
        name=name,
        district=district,
        commune=commune,
        agencies=len(items),
        monitored_agencies=sum(1 for r in items if r.availability is not None),
        availability=None if monitored <= 0 else max(0.0, 1 - down / monitored),
        monitored_s=monitored,
        down_s=down,
        maintenance_s=sum(r.maintenance_s for r in items),
        unmonitored_s=sum(r.unmonitored_s for r in items),
    )


def _agency_rows(network: Network, items: Iterable[Availability]) -> list[Row]:
    names = network.district_names
    rows = []
    for item in items:
        if item.kind != "agency":
            continue
        agency = network.agencies[item.id]
        rows.append(
            Row(
                level="agency",
                id=item.id,
                name=item.name,
                district=names.get(item.district, item.district),
                commune=item.commune or NO_COMMUNE,
                agencies=1,
                monitored_agencies=int(item.availability is not None),
                availability=item.availability,
                monitored_s=item.monitored_s,
                down_s=item.down_s,
                maintenance_s=item.maintenance_s,
                unmonitored_s=item.unmonitored_s,
                service_level=agency.service_level.value,
                type=agency.type.value,
            )
        )
    return sorted(rows, key=lambda r: (r.district, r.commune, r.name, r.id))


def build_report(
    network: Network,
    store: Store,
    period: Period,
    district: str | None = None,
    now: float | None = None,
    commune: str | None = None,
) -> SlaReport:
    """The report over ``period``, for the province, only ``district`` (an id) or only ``commune``
    (a commune id of ``district``, see inventory/communes.py)."""
    if district is not None and district not in network.district_names:
        raise GovnetError(
            f"no district '{district[:64]}'", hint=f"one of: {', '.join(sorted(network.district_names))}"
        )
    items = availability_between(network, store, period.start, period.end)
    district_of = {a.id: network.sites[a.site].district for a in network.agencies.values()}
    agencies = [r for r in _agency_rows(network, items) if district in (None, district_of[r.id])]
    names = network.district_names
    site_commune = commune_of_site(network)
    if commune is not None:
        agencies = [r for r in agencies if site_commune.get(network.agencies[r.id].site) == commune]
    by_district: dict[str, list[Row]] = {}
    # (district, commune id) → rows; agencies whose site names no commune: one group per district.
    by_commune: dict[tuple[str, str], list[Row]] = {}
    for row in agencies:
        here = district_of[row.id]
        by_district.setdefault(here, []).append(row)
        ident = site_commune.get(network.agencies[row.id].site, f"{here}/-")
        by_commune.setdefault((here, ident), []).append(row)
    districts = [
        _group("district", d, names[d], names[d], "", rows) for d, rows in sorted(by_district.items())
    ]
    communes = [
        _group("commune", c, rows[0].commune, names[d], rows[0].commune, rows)
        for (d, c), rows in sorted(by_commune.items(), key=lambda kv: (names[kv[0][0]], kv[1][0].commune))
    ]
    if district is None:
        total = _group("province", network.province.code, network.province.name, "", "", agencies)
    elif commune is not None and communes:
        total = communes[0]
        districts = []  # a district line here would be the commune's agencies under its name
    else:
        total = _group("district", district, names[district], names[district], "", agencies)
    return SlaReport(
        province=network.province.name,
        period=period,
        generated=time.time() if now is None else now,
        scope=district,
        total=total,
        districts=districts,
        communes=communes,
        agencies=agencies,
    )
