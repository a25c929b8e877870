"""Single points of failure and their impact, named: which agencies, BTS sites and hotspots each
node, link and duct failure cuts off from the core, ranked by service-level weight.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from govnet.inventory.network import Network
from govnet.topology.graph import Endpoint, analysis_graph, build_graph, core_nodes, endpoints_by_device
from govnet.topology.impact import ImpactAnalysis, analyse


@dataclass
class Impact:
    """What one failure (a node, a link or a duct) cuts off."""

    kind: str  # "node" | "link" | "duct"
    element: str
    devices: list[str]  # devices that lose the core (the failed node itself excluded)
    endpoints: list[Endpoint]
    weight: float

    def counts(self) -> dict[str, int]:
        """Number of agencies, BTS sites and hotspots cut off."""
        out = {"agencies": 0, "bts_sites": 0, "hotspots": 0}
        key = {"agency": "agencies", "bts": "bts_sites", "wifi": "hotspots"}
        for ep in self.endpoints:
            out[key[ep.kind]] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "element": self.element,
            "weight": self.weight,
            **self.counts(),
            "devices": self.devices,
            "endpoints": [e.as_dict() for e in self.endpoints],
        }


@dataclass
class SpofReport:
    """Failure impact of every node, link and duct of an inventory."""

    network: Network
    graph: nx.MultiGraph
    analysis: ImpactAnalysis
    endpoints: dict[str, list[Endpoint]]
    nodes: list[Impact] = field(default_factory=list)
    links: list[Impact] = field(default_factory=list)
    ducts: list[Impact] = field(default_factory=list)
    articulation_points: list[str] = field(default_factory=list)
    bridges: list[list[str]] = field(default_factory=list)

    def ranking(self, limit: int | None = None) -> list[Impact]:
        """Every impact, heaviest first (ties: more endpoints, then name)."""
        every = [*self.nodes, *self.links, *self.ducts]
        every.sort(key=lambda i: (-i.weight, -len(i.endpoints), i.kind, i.element))
        return every[:limit] if limit else every

    def spof_devices(self) -> set[str]:
        """Devices whose failure cuts off endpoints other than their own."""
        return {i.element for i in self.nodes if i.devices}

    def spof_links(self) -> set[str]:
        """Links whose failure cuts off at least one endpoint."""
        return {i.element for i in self.links}

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        """The ``topology spof --json`` document for an inventory."""
        a = self.analysis
        ends = {link.id: [link.a_device, link.b_device] for link in self.network.links}
        return {
            "source": "inventory",
            "province": self.network.province.name,
            "cores": a.cores,
            "articulation_points": self.articulation_points,
            "bridges": self.bridges,
            "node_impact": {i.element: sorted(e.name for e in i.endpoints) for i in self.nodes},
            "link_impact": [
                {"link": ends[i.element], "id": i.element, "cut_off": sorted(e.name for e in i.endpoints)}
                for i in self.links
            ],
            "duct_impact": {i.element: sorted(e.name for e in i.endpoints) for i in self.ducts},
            "unreachable": [str(n) for n in a.unreachable],
            "ranking": [i.as_dict() for i in self.ranking(limit)],
        }


def _named(
    devices: Sequence[Hashable], eps: dict[str, list[Endpoint]], own: str | None = None
) -> list[Endpoint]:
    out: list[Endpoint] = list(eps.get(own, [])) if own else []
    for dev in devices:
        out.extend(eps.get(str(dev), []))
    return sorted(out, key=lambda e: (e.kind, e.district, e.name))


def inventory_report(network: Network) -> SpofReport:
    """Analyse the inventory: every device, link and duct, with the endpoints each cuts off.

    Multi-homed edge devices (a dual-homed CPE) are not transit: the engine sees one leaf per
    uplink (:func:`govnet.topology.graph.analysis_graph`) and a device is cut off when all its leaves are.
    """
    graph = build_graph(network)
    engine_graph, copies = analysis_graph(graph)
    uplinks: dict[str, int] = {}
    for device in copies.values():
        uplinks[device] = uplinks.get(device, 0) + 1
    eps = endpoints_by_device(network)
    weights = {dev: sum(e.weight for e in items) for dev, items in eps.items()}
    analysis = analyse(engine_graph, core_nodes(network))

    def devices_of(cut: Sequence[Hashable]) -> list[str]:
        found: set[str] = set()
        seen_copies: dict[str, int] = {}
        for node in cut:
            name = str(node)
            if name in copies:
                dev = copies[name]
                seen_copies[dev] = seen_copies.get(dev, 0) + 1
                if seen_copies[dev] == uplinks[dev]:
                    found.add(dev)
            else:
                found.add(name)
        return sorted(found)

    def impact(kind: str, element: str, cut: Sequence[Hashable], own: str | None = None) -> Impact | None:
        devices = devices_of(cut)
        named = _named(devices, eps, own)
        if not devices and not named:
            return None
        weight = sum(weights.get(d, 0.0) for d in devices) + (weights.get(own, 0.0) if own else 0.0)
        return Impact(kind, element, devices, named, weight)

    report = SpofReport(network, graph, analysis, eps)
    for node in graph.nodes:
        found = impact("node", node, [] if node in uplinks else analysis.node_cut(node), own=node)
        if found:
            report.nodes.append(found)
    by_link: dict[str, int] = {str(e.key): i for i, e in enumerate(analysis.edges)}
    for link_id, eid in by_link.items():
        found = impact("link", link_id, analysis.link_cut(eid))
        if found:
            report.links.append(found)
    members: dict[str, list[int]] = {}
    for link in network.links:
        for duct in link.ducts:
            members.setdefault(duct, []).append(by_link[link.id])
    for duct, eids in sorted(members.items()):
        found = impact("duct", duct, analysis.group_cut(eids))
        if found:
            report.ducts.append(found)
    report.articulation_points = sorted(str(n) for n in analysis.standard_articulation_points)
    report.bridges = sorted(
        sorted([copies.get(str(b.u), str(b.u)), copies.get(str(b.v), str(b.v))])
        for b in analysis.standard_bridges
    )
    return report


def graphml_report(graph: nx.MultiGraph, cores: Sequence[str]) -> dict[str, Any]:
    """The ``topology spof --graphml FILE --json`` document: every node an endpoint."""
    analysis = analyse(graph, list(cores))
    node_impact: dict[str, list[str]] = {}
    for node in graph.nodes:
        cut = analysis.node_cut(node)
        if cut:
            node_impact[str(node)] = sorted(str(n) for n in cut)
    link_impact = []
    for eid, edge in enumerate(analysis.edges):
        cut = analysis.link_cut(eid)
        if cut:
            link_impact.append({"link": [str(edge.u), str(edge.v)], "cut_off": sorted(str(n) for n in cut)})
    return {
        "source": "graphml",
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "cores": [str(c) for c in cores],
        "articulation_points": sorted(str(n) for n in analysis.standard_articulation_points),
        "bridges": sorted(sorted([str(b.u), str(b.v)]) for b in analysis.standard_bridges),
        "node_impact": node_impact,
        "link_impact": link_impact,
        "unreachable": sorted(str(n) for n in analysis.unreachable),
    }
