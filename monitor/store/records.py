"""What the store keeps, as plain records (no database in sight)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govnet.errors import GovnetError

#: (kind, name, state, detail): one row of current state to write.
StateUpdate = tuple[str, str, str, dict[str, Any] | None]


class StoreError(GovnetError):
    """The store cannot be opened or written."""


@dataclass(frozen=True)
class StateRow:
    """The current state of one object."""

    kind: str  # "device" | "link" | "endpoint" | "alert"
    name: str
    state: str
    since: float
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class Change:
    """One state change."""

    at: float
    kind: str
    name: str
    old: str | None
    new: str
    source: str


@dataclass(frozen=True)
class Sample:
    """Rates of one interface over one polling interval."""

    at: float
    device: str
    interface: str
    link: str | None
    in_bps: float | None
    out_bps: float | None
    util_pct: float | None
    in_err_ps: float | None = None
    out_err_ps: float | None = None
    in_disc_ps: float | None = None
    out_disc_ps: float | None = None
    #: Optical receive power (dBm) where the interface's transceiver reports it.
    rx_dbm: float | None = None

    def errors(self) -> tuple[float | None, ...]:
        """Error and discard rates, in the store's column order."""
        return (self.in_err_ps, self.out_err_ps, self.in_disc_ps, self.out_disc_ps)


@dataclass(frozen=True)
class PollRecord:
    """One scrape of one device."""

    at: float
    device: str
    shard: str
    cycle: int
    ok: bool
    seconds: float
    varbinds: int
    error: str | None


@dataclass(frozen=True)
class IncidentRow:
    """A stored incident (``detail`` is :meth:`govnet.monitor.incidents.Incident.as_dict`)."""

    id: int
    key: str
    kind: str
    root_cause: str
    opened: float
    updated: float
    closed: float | None
    detail: dict[str, Any]
    acknowledged_by: str | None
    acknowledged_at: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "kind": self.kind,
            "root_cause": self.root_cause,
            "opened": self.opened,
            "updated": self.updated,
            "closed": self.closed,
            "open": self.closed is None,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": self.acknowledged_at,
            **{k: v for k, v in self.detail.items() if k not in {"kind", "root_cause"}},
        }


@dataclass(frozen=True)
class Window:
    """A declared maintenance window: ``target`` is ``*``, ``device:X``, ``district:D`` or ``endpoint:ID``."""

    id: int
    target: str
    starts: float
    ends: float
    reason: str


@dataclass(frozen=True)
class PruneReport:
    """What :meth:`Store.prune` did."""

    rolled_up: int
    deleted_samples: int
    deleted_hourly: int
    deleted_polls: int
