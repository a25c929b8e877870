"""Threshold alerts with hysteresis, and flap detection.

Link-down and device-unreachable are not threshold alerts: they are folded by topology into
incidents (:mod:`govnet.monitor.incidents`). What remains are measurements crossing a line:

* utilisation over ``raise_at`` % for ``for_seconds`` — fires; clears only once it has been
  under ``clear_at`` % (lower than ``raise_at``) for ``for_seconds``: a link hovering around the
  threshold does not page the NOC every minute;
* error rate (errors + discards per second) over a threshold, same hysteresis;
* optical receive power under the transceiver's own low-warning threshold (the rule's
  ``raise_at`` when the device reports none), or down by more than 3 dB from the best level of
  the last hour — a fiber degrading before it fails (where the device exposes ENTITY-SENSOR-MIB).

A link whose state changed ``flaps`` times within ``window`` seconds is *flapping*: it is treated
as down (one incident that stays open, marked flapping) until it has been stable for ``window``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Rule:
    """One threshold rule: fire above ``raise_at`` for ``for_seconds``, clear below ``clear_at``."""

    name: str
    metric: str  # "util_pct" | "error_ps" | "optical_dbm"
    raise_at: float
    clear_at: float
    for_seconds: float = 300.0
    below: bool = False  # True for "too low" metrics (optical power)

    def over(self, value: float) -> bool:
        """The value is on the firing side of ``raise_at``."""
        return value < self.raise_at if self.below else value > self.raise_at

    def clear(self, value: float) -> bool:
        """The value is back on the safe side of ``clear_at``."""
        return value > self.clear_at if self.below else value < self.clear_at


DEFAULT_RULES = (
    Rule("high-utilisation", "util_pct", raise_at=90.0, clear_at=80.0, for_seconds=300),
    Rule("errors", "error_ps", raise_at=1.0, clear_at=0.1, for_seconds=120),
    Rule("low-optical-power", "optical_dbm", raise_at=-25.0, clear_at=-23.0, for_seconds=60, below=True),
    Rule("optical-power-falling", "optical_drop_db", raise_at=3.0, clear_at=1.0, for_seconds=0),
)


@dataclass
class _Track:
    firing: bool = False
    pending_since: float | None = None  # when the value crossed (raise or clear) and stayed
    last: float = 0.0


@dataclass(frozen=True)
class AlertChange:
    """An alert that started or stopped firing."""

    rule: str
    subject: str
    firing: bool
    at: float
    value: float


@dataclass
class AlertEngine:
    """Evaluates rules over measurements as they come, remembering what fires.

    >>> eng = AlertEngine((Rule("hot", "util_pct", raise_at=90, clear_at=80, for_seconds=60),))
    >>> [eng.observe("util_pct", "L1", v, t) for v, t in ((95, 0), (96, 30))]
    [[], []]
    >>> eng.observe("util_pct", "L1", 97, 60)[0].firing
    True
    >>> eng.observe("util_pct", "L1", 85, 90)  # under 90 but not under 80: still firing
    []
    >>> eng.observe("util_pct", "L1", 70, 100), eng.observe("util_pct", "L1", 70, 160)[0].firing
    ([], False)
    """

    rules: tuple[Rule, ...] = DEFAULT_RULES
    tracks: dict[tuple[str, str], _Track] = field(default_factory=dict)

    def observe(
        self, metric: str, subject: str, value: float, at: float, *, limit: float | None = None
    ) -> list[AlertChange]:
        """Feed one measurement; return the alerts that changed.

        ``limit`` replaces the rules' ``raise_at`` for this subject (a transceiver's own
        threshold), keeping the rule's hysteresis: it clears at the same distance from it.
        """
        out = []
        for base in self.rules:
            if base.metric != metric:
                continue
            rule = base
            if limit is not None:
                rule = replace(base, raise_at=limit, clear_at=limit + (base.clear_at - base.raise_at))
            track = self.tracks.setdefault((rule.name, subject), _Track())
            track.last = value
            crossing = rule.clear(value) if track.firing else rule.over(value)
            if not crossing:
                track.pending_since = None
                continue
            if track.pending_since is None:
                track.pending_since = at
            if at - track.pending_since >= rule.for_seconds:
                track.firing = not track.firing
                track.pending_since = None
                out.append(AlertChange(rule.name, subject, track.firing, at, value))
        return out

    def withdraw(self, metric: str, subject: str, at: float) -> list[AlertChange]:
        """Stop the rules on ``metric`` for ``subject``: what it measures is no longer meaningful
        (a link that went down: its "no light" is the link's incident, not a second alarm)."""
        out = []
        for rule in self.rules:
            track = self.tracks.pop((rule.name, subject), None) if rule.metric == metric else None
            if track is not None and track.firing:
                out.append(AlertChange(rule.name, subject, False, at, track.last))
        return out

    def firing_on(self, metric: str, subject: str) -> bool:
        """Some rule on ``metric`` fires for ``subject`` now."""
        return any(
            self.tracks.get((r.name, subject), _Track()).firing for r in self.rules if r.metric == metric
        )

    def firing(self) -> list[tuple[str, str]]:
        """(rule, subject) of every alert firing now."""
        return sorted(key for key, track in self.tracks.items() if track.firing)


@dataclass
class Drop:
    """How far a level fell from the best of a sliding window (optical power in dB).

    >>> drop = Drop(window=3600)
    >>> drop.observe("L1", -8.0, 0), drop.observe("L1", -8.5, 600), drop.observe("L1", -12.0, 1200)
    (0.0, 0.5, 4.0)
    >>> drop.observe("L1", -12.0, 5000)  # the best of the last hour is now -12 itself
    0.0
    """

    window: float = 3600.0
    history: dict[str, deque[tuple[float, float]]] = field(default_factory=dict)

    def observe(self, subject: str, value: float, at: float) -> float:
        """Record a reading; return the best reading of the window minus this one (≥ 0)."""
        seen = self.history.setdefault(subject, deque())
        seen.append((at, value))
        while seen and at - seen[0][0] > self.window:
            seen.popleft()
        return round(max(v for _, v in seen) - value, 2)


@dataclass
class FlapDetector:
    """Counts state changes per link in a sliding window.

    >>> flaps = FlapDetector(flaps=3, window=60)
    >>> [flaps.change("L1", t) for t in (0, 10, 20)]
    [False, False, True]
    >>> flaps.flapping("L1", 70), flaps.flapping("L1", 81)
    (True, False)
    """

    flaps: int = 4
    window: float = 300.0
    history: dict[str, deque[float]] = field(default_factory=dict)

    def change(self, subject: str, at: float) -> bool:
        """Record a state change; True when the subject is now flapping."""
        times = self.history.setdefault(subject, deque())
        times.append(at)
        return self.flapping(subject, at)

    def flapping(self, subject: str, at: float) -> bool:
        """Flapping: ``flaps`` changes within a window, and not yet stable for a whole window since."""
        times = self.history.get(subject)
        if not times:
            return False
        if at - times[-1] > self.window:
            times.clear()
            return False
        while len(times) > self.flaps:
            times.popleft()
        return len(times) >= self.flaps and times[-1] - times[0] <= self.window

    def forget(self, subject: str) -> None:
        """Drop a subject's history (its changes are explained by something else)."""
        self.history.pop(subject, None)

    def subjects(self, at: float) -> list[str]:
        """Everything flapping at ``at``."""
        return sorted(s for s in list(self.history) if self.flapping(s, at))
