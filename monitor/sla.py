"""Availability: the share of time each agency (BTS site, hotspot) had a path to the core.

Computed from the store's endpoint state history (written by the monitor on every tick from the
links' real states: a flapping link's held incident does not count as down time), over a
period, excluding declared maintenance windows: time inside a window counts neither as up nor
as down. Only time when the monitor was running with a complete view (see
:mod:`govnet.monitor.coverage`) and the endpoint's state was ``up`` or ``down`` is monitored:
time the monitor was stopped (or dead), before govnet first knew an endpoint's state, or while
its state was unknown is "not monitored", never the last state seen (``monitored_s`` says how
much was monitored, ``unmonitored_s`` how much was not). Districts average their agencies.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from govnet.errors import GovnetError
from govnet.inventory.communes import commune_of_site
from govnet.inventory.network import Network
from govnet.monitor import coverage
from govnet.monitor.store import Store, Window
from govnet.topology.graph import endpoints_by_device

Interval = tuple[float, float]

_PERIOD = re.compile(r"^(\d+)([mhdw])\Z")
_UNIT = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_period(text: str) -> float:
    """``30d``, ``12h``, ``90m``, ``2w`` in seconds.

    >>> parse_period("7d"), parse_period("90m")
    (604800, 5400)
    >>> parse_period("7 days")
    Traceback (most recent call last):
    ...
    govnet.errors.GovnetError: bad period '7 days' (fix: write a number and a unit: 90m, 12h, 30d, 2w)
    """
    match = _PERIOD.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise GovnetError(f"bad period '{text}'", hint="write a number and a unit: 90m, 12h, 30d, 2w")
    return int(match.group(1)) * _UNIT[match.group(2)]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union.

    >>> merge([(5, 8), (0, 2), (1, 3), (8, 9)])
    [(0, 3), (5, 9)]
    """
    out: list[Interval] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif b > a:
            out.append((a, b))
    return out


def length(intervals: Iterable[Interval]) -> float:
    """Total length of a union of intervals.

    >>> length([(0, 2), (1, 4), (10, 11)])
    5
    """
    return sum(b - a for a, b in merge(intervals))


def intersect(xs: Sequence[Interval], ys: Sequence[Interval]) -> list[Interval]:
    """Intersection of two unions of intervals.

    >>> intersect([(0, 10)], [(2, 3), (8, 12)])
    [(2, 3), (8, 10)]
    """
    out = []
    for a, b in merge(xs):
        for c, d in merge(ys):
            lo, hi = max(a, c), min(b, d)
            if hi > lo:
                out.append((lo, hi))
    return merge(out)


@dataclass(frozen=True)
class Availability:
    """One endpoint's availability over the period."""

    kind: str
    id: str
    name: str
    district: str
    availability: float | None  # None: never monitored in the period
    monitored_s: float
    down_s: float
    maintenance_s: float
    unmonitored_s: float = 0.0  # outside maintenance, the monitor stopped or the state unknown
    commune: str | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "district": self.district,
            "availability": self.availability,
            "monitored_s": round(self.monitored_s, 3),
            "down_s": round(self.down_s, 3),
            "maintenance_s": round(self.maintenance_s, 3),
            "unmonitored_s": round(self.unmonitored_s, 3),
            "commune": self.commune,
        }


def _windows_for(
    windows: Sequence[Window], device: str, district: str, key: str, commune: str | None = None
) -> list[Interval]:
    targets = {"*", f"device:{device}", f"district:{district}", f"endpoint:{key}"}
    if commune is not None:
        targets.add(f"commune:{commune}")
    return [(w.starts, w.ends) for w in windows if w.target in targets]


def availability(
    network: Network, store: Store, period_s: float, now: float | None = None, only: str | None = None
) -> list[Availability]:
    """Availability of every endpoint (or only the one keyed ``only``, e.g. ``agency:ID``) over the
    last ``period_s`` seconds."""
    end = time.time() if now is None else now
    return availability_between(network, store, end - period_s, end, only)


def monitored_intervals(store: Store, start: float, end: float) -> list[Interval]:
    """When the monitor was running within [start, end) (see :mod:`govnet.monitor.coverage`)."""
    history = store.changes(kind=coverage.KIND, name=coverage.NAME, since=start, until=end)
    at_start = store.states_at(coverage.KIND, start).get(coverage.NAME)
    return coverage.running_intervals(history, at_start, start, end, coverage.leader_row(store))


def _sites(network: Network) -> dict[tuple[str, str], str]:
    """(kind, id) of every endpoint → its site."""
    out = {("agency", agency.id): agency.site for agency in network.agencies.values()}
    for site in network.sites:
        out[("bts", site)] = out[("wifi", site)] = site
    return out


def availability_between(
    network: Network, store: Store, start: float, end: float, only: str | None = None
) -> list[Availability]:
    """Availability of every endpoint (or only ``only``) over [start, end)."""
    at_start = store.states_at("endpoint", start)
    history: dict[str, list[tuple[float, str]]] = {}
    for change in store.changes(kind="endpoint", name=only, since=start, until=end):
        history.setdefault(change.name, []).append((change.at, change.new))
    windows = store.maintenance(start, end)
    running = monitored_intervals(store, start, end)
    site_of = _sites(network)
    commune_ids = commune_of_site(network)
    total = end - start
    out = []
    for device, eps in sorted(endpoints_by_device(network).items()):
        for ep in eps:
            key = f"{ep.kind}:{ep.id}"
            if only is not None and key != only:
                continue
            known: list[Interval] = []
            down: list[Interval] = []
            state, since = at_start.get(key), start
            for at, new in [*history.get(key, []), (end, "")]:
                if state in {"up", "down"}:  # anything else (unknown) is not monitored
                    known.append((since, at))
                    if state == "down":
                        down.append((since, at))
                state, since = new, at
            known = intersect(known, running)
            down = intersect(down, running)
            site = site_of.get((ep.kind, ep.id))
            commune = None if site is None else commune_ids.get(site)
            maint_all = intersect([(start, end)], _windows_for(windows, device, ep.district, key, commune))
            maint = intersect(known, maint_all)
            monitored = length(known) - length(maint)
            down_s = length(down) - length(intersect(down, maint))
            value = None if monitored <= 0 else max(0.0, 1 - down_s / monitored)
            unmonitored = max(0.0, total - length(maint_all) - monitored)
            out.append(
                Availability(
                    ep.kind, ep.id, ep.name, ep.district, value, monitored, down_s, length(maint_all),
                    unmonitored, None if site is None else network.sites[site].commune,
                )
            )  # fmt: skip
    return out


def by_district(items: Sequence[Availability], network: Network) -> list[dict[str, object]]:
    """Mean availability of each district's monitored agencies."""
    groups: dict[str, list[float]] = {}
    for item in items:
        if item.kind == "agency" and item.availability is not None:
            groups.setdefault(item.district, []).append(item.availability)
    names = network.district_names
    return [
        {
            "district": d,
            "name": names.get(d, d),
            "agencies": len(values),
            "availability": sum(values) / len(values),
        }
        for d, values in sorted(groups.items())
    ]
