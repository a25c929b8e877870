"""What a notification is about: an incident (opened, changed, closed, a reminder, an escalation),
an endpoint's state change (for the IOC's webhooks), or a test message.

An :class:`Event` carries what routing needs (severity, districts, communes, service levels, the
devices maintenance windows may name) and the JSON ``data`` a webhook sends. Severity is computed
from the blast radius (:mod:`govnet.monitor.incidents`), never configured:

* ``critical``: a gold agency lost its path to the core, or five endpoints or more did;
* ``major``: some endpoint (agency, BTS site, hotspot) lost its path to the core;
* ``minor``: nothing did (redundancy held).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from govnet.inventory.communes import commune_of_site
from govnet.inventory.network import Network
from govnet.monitor.store import IncidentRow
from govnet.topology.graph import Endpoint, endpoints_by_device

SEVERITY_RANK = {"minor": 0, "major": 1, "critical": 2}
INCIDENT_TYPES = (
    "incident.opened",
    "incident.updated",
    "incident.closed",
    "incident.reminder",
    "incident.escalated",
)
ENDPOINT_TYPES = ("endpoint.down", "endpoint.up")
#: Endpoints cut off at once that make an incident critical whatever their service level.
CRITICAL_COUNT = 5


def iso(at: float | None) -> str | None:
    """UTC ISO 8601 with a Z (what the webhook bodies carry)."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Event:
    """One thing to tell people about."""

    type: str
    kind: str  # "incident" | "endpoint" | "test"
    at: float
    subject: str  # "incident:12", "endpoint:agency:ubnd-x", "test"
    severity: str = "minor"
    incident_id: int | None = None
    since: float | None = None
    districts: frozenset[str] = frozenset()
    communes: frozenset[str] = frozenset()
    service_levels: frozenset[str] = frozenset()
    #: Maintenance targets that silence this event when a window names them (besides ``*``).
    targets: frozenset[str] = frozenset()
    data: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        """The JSON a webhook posts (Standard Webhooks' ``type``/``timestamp``/``data`` shape)."""
        return {"type": self.type, "timestamp": iso(self.at), "data": self.data}


def _endpoint_facts(network: Network, kind: str, ident: str) -> tuple[str | None, str | None]:
    """(commune, service level) of an endpoint from the inventory."""
    if kind == "agency" and ident in network.agencies:
        agency = network.agencies[ident]
        return network.sites[agency.site].commune, agency.service_level.value
    site = network.sites.get(ident)
    return (site.commune if site else None), None


def _site_of(network: Network, kind: str, ident: str) -> str:
    """The site of an endpoint (an agency's own; a BTS site or hotspot is one)."""
    return network.agencies[ident].site if kind == "agency" and ident in network.agencies else ident


def _link_ends(network: Network, link_ids: list[str]) -> set[str]:
    by_id = {link.id: link for link in network.links}
    ends: set[str] = set()
    for link_id in link_ids:
        link = by_id.get(link_id)
        if link is not None:
            ends |= {link.a_device, link.b_device}
    return ends


def incident_event(network: Network, row: IncidentRow, type_: str, at: float, noc_url: str | None) -> Event:
    """The event for an incident row (its detail holds the blast radius)."""
    detail = row.detail
    radius = detail.get("blast_radius") or {}
    endpoints: list[dict[str, Any]] = list(radius.get("endpoints") or [])
    devices = set(detail.get("devices_cut_off") or []) | _link_ends(
        network, list(detail.get("links_down") or [])
    )
    if row.kind == "node":
        devices.add(row.root_cause)
    devices &= set(network.devices)
    districts = {network.district_of(d) for d in devices} | {str(e.get("district")) for e in endpoints}
    communes: set[str] = set()
    levels: set[str] = set()
    shown: list[dict[str, Any]] = []
    for ep in endpoints:
        commune, level = _endpoint_facts(network, str(ep.get("kind")), str(ep.get("id")))
        if commune:
            communes.add(commune)
        if level:
            levels.add(level)
        shown.append({**ep, "commune": commune, "service_level": level})
    for device in devices:
        commune = network.sites[network.devices[device].site].commune
        if commune:
            communes.add(commune)
    order = {"gold": 0, "silver": 1, "bronze": 2, None: 3}
    shown.sort(key=lambda e: (e["kind"] != "agency", order.get(e["service_level"], 3), str(e["name"])))
    if "gold" in levels or len(endpoints) >= CRITICAL_COUNT:
        severity = "critical"
    elif endpoints:
        severity = "major"
    else:
        severity = "minor"
    link = f"{noc_url.rstrip('/')}/#incident-{row.id}" if noc_url else None
    data = {
        "incident": {
            "id": row.id,
            "kind": row.kind,
            "root_cause": row.root_cause,
            "severity": severity,
            "opened": iso(row.opened),
            "closed": iso(row.closed),
            "acknowledged_by": row.acknowledged_by,
            "acknowledged_at": iso(row.acknowledged_at),
            "flapping": bool(detail.get("flapping")),
            "links_down": list(detail.get("links_down") or []),
            "devices_cut_off": list(detail.get("devices_cut_off") or []),
            "also_possible": list(detail.get("also_possible") or []),
            "blast_radius": {
                "agencies": int(radius.get("agencies") or 0),
                "bts_sites": int(radius.get("bts_sites") or 0),
                "hotspots": int(radius.get("hotspots") or 0),
                "endpoints": shown,
            },
            "districts": sorted(districts),
            "communes": sorted(communes),
        },
        "noc_url": link,
    }
    site_commune = commune_of_site(network)
    commune_ids = {site_commune.get(network.devices[d].site) for d in devices} - {None}
    endpoint_sites = {_site_of(network, str(e.get("kind")), str(e.get("id"))) for e in endpoints}
    # Routes name communes by name or by id (/api/v1/communes): both are matched.
    routed = (
        communes
        | {c for c in commune_ids if c}
        | {site_commune[s] for s in endpoint_sites if s in site_commune}
    )
    targets = (
        {f"device:{d}" for d in devices}
        | {f"district:{d}" for d in districts if devices}
        | {f"commune:{c}" for c in commune_ids}
    )
    return Event(
        type=type_,
        kind="incident",
        at=at,
        subject=f"incident:{row.id}",
        severity=severity,
        incident_id=row.id,
        since=row.opened,
        districts=frozenset(districts),
        communes=frozenset(routed),
        service_levels=frozenset(levels),
        targets=frozenset(targets),
        data=data,
    )


def endpoint_index(network: Network) -> dict[str, tuple[str, Endpoint]]:
    """``agency:ID`` (``bts:ID``, ``wifi:ID``) -> (the device it hangs on, the endpoint)."""
    return {
        f"{ep.kind}:{ep.id}": (dev, ep) for dev, eps in endpoints_by_device(network).items() for ep in eps
    }


def endpoint_event(
    network: Network,
    index: dict[str, tuple[str, Endpoint]],
    key: str,
    state: str,
    at: float,
    noc_url: str | None,
) -> Event:
    """The event for an endpoint's state change (``key`` is ``agency:ID``, ``bts:ID``, ``wifi:ID``)."""
    kind, _, ident = key.partition(":")
    commune, level = _endpoint_facts(network, kind, ident)
    device, endpoint = index.get(key, ("", None))
    name = endpoint.name if endpoint is not None else ident
    district = endpoint.district if endpoint is not None else ""
    severity = "critical" if level == "gold" else "major"
    targets = {f"endpoint:{key}", f"district:{district}"} | ({f"device:{device}"} if device else set())
    site = network.agencies[ident].site if kind == "agency" and ident in network.agencies else ident
    commune_id = commune_of_site(network).get(site)
    if commune_id is not None:  # a window on the endpoint's commune silences it too
        targets.add(f"commune:{commune_id}")
    data = {
        "endpoint": {
            "key": key,
            "kind": kind,
            "id": ident,
            "name": name,
            "state": state,
            "since": iso(at),
            "device": device or None,
            "district": district or None,
            "commune": commune,
            "service_level": level,
        },
        "noc_url": noc_url.rstrip("/") + "/" if noc_url else None,
    }
    return Event(
        type=f"endpoint.{'up' if state == 'up' else 'down'}",
        kind="endpoint",
        at=at,
        subject=f"endpoint:{key}",
        severity=severity,
        since=at,
        districts=frozenset({district} if district else set()),
        communes=frozenset({commune} if commune else set()) | ({commune_id} if commune_id else set()),
        service_levels=frozenset({level} if level else set()),
        targets=frozenset(targets),
        data=data,
    )


def trial_event(at: float, channel: str, noc_url: str | None) -> Event:
    """What ``govnet notify test`` sends."""
    return Event(
        type="test",
        kind="test",
        at=at,
        subject="test",
        data={"test": {"channel": channel, "sent": iso(at)}, "noc_url": noc_url},
    )
