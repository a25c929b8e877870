"""What the API says, computed from the inventory and the store's current state (no HTTP here).

An endpoint (agency, BTS site, hotspot) is ``online`` when the monitor last found a path from its
device to the core (it looks on every tick, from the links' and devices' current states),
``offline`` when it did not, and ``unknown`` before the monitor first wrote it. Everything is
filtered by the caller's district scope where one applies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import networkx as nx

from govnet.inventory.network import Network
from govnet.monitor.store import StateRow, Store
from govnet.topology.graph import Endpoint, build_graph, core_nodes, endpoints_by_device

WORD = {"up": "online", "down": "offline"}


@dataclass
class Snapshot:
    """One read of the store, for one request."""

    network: Network
    rows: list[StateRow]

    @classmethod
    def read(
        cls, network: Network, store: Store, kinds: tuple[str, ...] | None = None, *, detail: bool = True
    ) -> Snapshot:
        """Read the store's current states once (only ``kinds``; without JSON details if not needed)."""
        if kinds is None:
            return cls(network, store.current(detail=detail))
        return cls(network, [row for kind in kinds for row in store.current(kind, detail=detail)])

    @cached_property
    def by_kind(self) -> dict[str, dict[str, StateRow]]:
        """Rows by kind, then name."""
        out: dict[str, dict[str, StateRow]] = {}
        for row in self.rows:
            out.setdefault(row.kind, {})[row.name] = row
        return out

    def endpoint_status(self, ep: Endpoint) -> tuple[str, float | None]:
        """(online | offline | unknown, since)."""
        row = self.by_kind.get("endpoint", {}).get(f"{ep.kind}:{ep.id}")
        return (WORD.get(row.state, "unknown"), row.since) if row else ("unknown", None)

    def device_status(self, name: str) -> tuple[str, float | None]:
        """(up | unreachable | unknown, since)."""
        row = self.by_kind.get("device", {}).get(name)
        return (row.state, row.since) if row else ("unknown", None)

    def link_row(self, link_id: str) -> StateRow | None:
        """The link's current row."""
        return self.by_kind.get("link", {}).get(link_id)

    @property
    def updated_at(self) -> float | None:
        """When anything last changed."""
        return max((r.since for r in self.rows), default=None)


def all_endpoints(network: Network) -> list[tuple[str, Endpoint]]:
    """(device, endpoint) for every endpoint, in a stable order."""
    return sorted(
        ((d, e) for d, eps in endpoints_by_device(network).items() for e in eps),
        key=lambda de: (de[1].kind, de[1].id),
    )


def _count(items: list[str]) -> dict[str, int]:
    c = Counter(items)
    return {"total": len(items), "online": c["online"], "offline": c["offline"], "unknown": c["unknown"]}


def summary(
    snap: Snapshot,
    district: str | None,
    open_incidents: int,
    endpoints: list[tuple[str, Endpoint]] | None = None,
    only: frozenset[str] | None = None,
    commune: str | None = None,
) -> dict[str, Any]:
    """The province (or one district, or the endpoints ``only`` names: ``kind:id``) at a glance."""
    network = snap.network
    kinds = {"agency": "agencies", "bts": "bts_sites", "wifi": "hotspots"}
    overall: dict[str, list[str]] = {k: [] for k in kinds.values()}
    per_district: dict[str, dict[str, list[str]]] = {}
    for _device, ep in endpoints if endpoints is not None else all_endpoints(network):
        if district is not None and ep.district != district:
            continue
        if only is not None and f"{ep.kind}:{ep.id}" not in only:
            continue
        status, _ = snap.endpoint_status(ep)
        overall[kinds[ep.kind]].append(status)
        per_district.setdefault(ep.district, {k: [] for k in kinds.values()})[kinds[ep.kind]].append(status)
    names = network.district_names
    return {
        "province": network.province.name,
        "scope": district,
        "commune": commune,
        **{k: _count(v) for k, v in overall.items()},
        "districts": [
            {"id": d, "name": names.get(d, d), **{k: _count(v) for k, v in groups.items()}}
            for d, groups in sorted(per_district.items())
        ],
        "incidents_open": open_incidents,
        "updated_at": snap.updated_at,
    }


def agency_item(snap: Snapshot, agency_id: str) -> dict[str, Any]:
    """One agency in a list."""
    network = snap.network
    agency = network.agencies[agency_id]
    district = network.sites[agency.site].district
    ep = Endpoint("agency", agency.id, agency.name, district, 0.0)
    status, since = snap.endpoint_status(ep)
    return {
        "id": agency.id,
        "name": agency.name,
        "type": agency.type.value,
        "district": district,
        "commune": network.sites[agency.site].commune,
        "site": agency.site,
        "cpe": agency.cpe,
        "service_level": agency.service_level.value,
        "status": status,
        "since": since,
    }


@dataclass
class Paths:
    """Shortest paths from every device to the nearest core over the inventory's graph."""

    network: Network

    @cached_property
    def graph(self) -> nx.MultiGraph:
        """The inventory graph."""
        return build_graph(self.network)

    @cached_property
    def to_core(self) -> dict[str, list[str]]:
        """Device → hops from the core to it (multi-source shortest paths)."""
        simple = nx.Graph(self.graph)
        paths: dict[str, list[str]] = nx.multi_source_dijkstra_path(simple, set(core_nodes(self.network)))
        return {node: list(path) for node, path in paths.items()}


def path_to_core(snap: Snapshot, paths: Paths, device: str) -> list[dict[str, Any]]:
    """The hops from the core to ``device`` with each hop's current state."""
    hops = paths.to_core.get(device, [])
    out = []
    for i, node in enumerate(hops):
        hop: dict[str, Any] = {"device": node, "status": snap.device_status(node)[0]}
        if i > 0:
            link = next(
                (
                    lk
                    for lk in snap.network.links_by_device.get(node, [])
                    if hops[i - 1] in {lk.a_device, lk.b_device}
                ),
                None,
            )
            if link is not None:
                row = snap.link_row(link.id)
                hop["link"] = link.id
                hop["link_state"] = row.state if row else "unknown"
        out.append(hop)
    return out


def device_item(snap: Snapshot, name: str) -> dict[str, Any]:
    """One device."""
    dev = snap.network.devices[name]
    status, since = snap.device_status(name)
    row = snap.by_kind.get("device", {}).get(name)
    detail = row.detail or {} if row else {}
    return {
        "name": name,
        "role": dev.role.value,
        "platform": dev.platform,
        "site": dev.site,
        "district": snap.network.district_of(name),
        "mgmt_ip": str(dev.mgmt_ip),
        "status": status,
        "since": since,
        "sys_uptime": detail.get("sys_uptime"),
        "error": detail.get("error"),
    }


def link_item(snap: Snapshot, link_id: str) -> dict[str, Any]:
    """One link: state, utilisation and error rates from the last poll."""
    link = snap.network.links_by_id[link_id]
    row = snap.link_row(link_id)
    detail = (row.detail if row else None) or {}
    errors = None
    for device, ifname in ((link.a_device, link.a_interface), (link.b_device, link.b_interface)):
        dev_row = snap.by_kind.get("device", {}).get(device)
        rates = ((dev_row.detail or {}).get("rates", {}) if dev_row else {}).get(ifname)
        if rates:
            errors = (errors or 0.0) + sum(rates.get(k) or 0.0 for k in ("in_errors_ps", "out_errors_ps"))
    return {
        "id": link.id,
        "a": link.a,
        "b": link.b,
        "medium": link.medium.value,
        "capacity_mbps": link.capacity_mbps,
        "ducts": list(link.ducts),
        "state": row.state if row else "unknown",
        "since": row.since if row else None,
        "utilisation_pct": detail.get("util_pct"),
        "errors_per_s": errors,
        "flapping": bool(detail.get("flapping")),
        "optical_rx_dbm": None,  # no lab agent exposes ENTITY-SENSOR-MIB yet
    }


def incident_touches(detail: dict[str, Any], district: str | None) -> bool:
    """Whether an incident's blast radius reaches ``district`` (any incident when None)."""
    if district is None:
        return True
    return any(e.get("district") == district for e in detail.get("blast_radius", {}).get("endpoints", []))
