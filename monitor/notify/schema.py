"""The JSON bodies govnet's webhooks post, as pydantic models.

They document the webhooks in the API's OpenAPI document (its ``webhooks`` section, OpenAPI 3.1:
see :mod:`govnet.api.webhooks`) and the tests check every body the notifier builds against them,
so the document and the wire cannot drift apart. Unknown keys are refused, here only, so a new
field must be documented before it is sent.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Timestamp = str  # RFC 3339, UTC, e.g. 2026-12-01T03:00:00Z


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AffectedEndpoint(_Body):
    """An agency, BTS site or hotspot that lost its path to the core."""

    kind: Literal["agency", "bts", "wifi"]
    id: str
    name: str
    district: str
    commune: str | None = Field(description="The commune or ward (two-tier local government), if known.")
    service_level: Literal["gold", "silver", "bronze"] | None = Field(description="Agencies only.")


class BlastRadius(_Body):
    """What the fault cut off from the core; gold agencies are listed first."""

    agencies: int
    bts_sites: int
    hotspots: int
    endpoints: list[AffectedEndpoint]


class IncidentFacts(_Body):
    """One incident: its root cause and blast radius."""

    id: int
    kind: Literal["link", "node", "duct"]
    root_cause: str = Field(description="The link id, device name or duct id.")
    severity: Literal["minor", "major", "critical"] = Field(
        description="critical: a gold agency or five endpoints or more cut off; major: some endpoint cut "
        "off; minor: none (redundancy held)."
    )
    opened: Timestamp
    closed: Timestamp | None
    acknowledged_by: str | None
    acknowledged_at: Timestamp | None
    flapping: bool
    links_down: list[str]
    devices_cut_off: list[str]
    also_possible: list[str] = Field(description="Causes that look the same from outside.")
    blast_radius: BlastRadius
    districts: list[str]
    communes: list[str]


class IncidentData(_Body):
    incident: IncidentFacts
    noc_url: str | None = Field(description="The incident on the NOC page, when the channels file names it.")


class IncidentWebhook(_Body):
    """An incident opened, changed, closed, or still unacknowledged (reminder, escalation)."""

    type: Literal[
        "incident.opened", "incident.updated", "incident.closed", "incident.reminder", "incident.escalated"
    ]
    timestamp: Timestamp
    data: IncidentData


class EndpointFacts(_Body):
    """An agency, BTS site or hotspot whose connectivity changed."""

    key: str = Field(description="kind:id, as the pull API's /events name it.")
    kind: Literal["agency", "bts", "wifi"]
    id: str
    name: str
    state: Literal["up", "down"]
    since: Timestamp
    device: str | None
    district: str | None
    commune: str | None
    service_level: Literal["gold", "silver", "bronze"] | None


class EndpointData(_Body):
    endpoint: EndpointFacts
    noc_url: str | None


class EndpointWebhook(_Body):
    """An endpoint lost or regained its path to the core."""

    type: Literal["endpoint.down", "endpoint.up"]
    timestamp: Timestamp
    data: EndpointData


class TrialFacts(_Body):
    channel: str
    sent: Timestamp


class TrialData(_Body):
    test: TrialFacts
    noc_url: str | None


class TrialWebhook(_Body):
    """What ``govnet notify test`` sends."""

    type: Literal["test"]
    timestamp: Timestamp
    data: TrialData


class LowAgency(_Body):
    id: str
    name: str
    availability: float


class ReportFacts(_Body):
    """A month's availability for the province (the full report: ``/api/v1/reports/sla``)."""

    period: str = Field(description="The month, e.g. 2026-11.")
    start: Timestamp
    end: Timestamp
    province: str
    availability: float | None = Field(description="0..1, maintenance excluded; null: never monitored.")
    agencies: int
    monitored_agencies: int
    lowest: list[LowAgency] = Field(description="The least available agencies, lowest first (at most 5).")


class ReportData(_Body):
    report: ReportFacts
    noc_url: str | None


class ReportWebhook(_Body):
    """Last month's availability report (channels that take ``report`` events, on the 1st)."""

    type: Literal["report.sla"]
    timestamp: Timestamp
    data: ReportData


#: Event type -> the model of its body.
BODY_MODELS: dict[str, type[_Body]] = {
    **{t: IncidentWebhook for t in IncidentWebhook.model_fields["type"].annotation.__args__},  # type: ignore[union-attr]
    "endpoint.down": EndpointWebhook,
    "endpoint.up": EndpointWebhook,
    "test": TrialWebhook,
    "report.sla": ReportWebhook,
}
