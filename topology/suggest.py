"""Suggestions: the cheapest extra links (by distance between sites) that remove the worst SPOFs.

For one failure, the devices it cuts off fall into pieces (components once the failed element
is gone). Each piece needs one new link from any of its devices to a hub or core that keeps the
core; the cheapest is the shortest great-circle distance between the two sites. A suggestion
says which failure it defuses, the link, its length and the weight of service it saves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from govnet.inventory.geo import haversine_km
from govnet.inventory.models import Role
from govnet.topology.report import Impact, SpofReport

ANCHOR_ROLES = {Role.CORE.value, Role.HUB.value}


@dataclass(frozen=True)
class Suggestion:
    """New links that defuse one failure, and what they save."""

    failure: str
    links: tuple[tuple[str, str, float], ...]  # (inside device, anchor outside, km)
    saves_weight: float
    saves_endpoints: int
    note: str

    @property
    def km(self) -> float:
        """Total length of the new links."""
        return sum(km for _, _, km in self.links)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "failure": self.failure,
            "new_links": [{"a": a, "b": b, "km": round(km, 2)} for a, b, km in self.links],
            "km": round(self.km, 2),
            "saves_weight": self.saves_weight,
            "saves_endpoints": self.saves_endpoints,
            "note": self.note,
        }


def _pieces(graph: nx.MultiGraph, impact: Impact, report: SpofReport) -> list[set[str]]:
    cut = set(impact.devices)
    h = graph.subgraph(cut).copy()
    if impact.kind in {"link", "duct"}:
        failed = (
            {impact.element}
            if impact.kind == "link"
            else {link.id for link in report.network.links if impact.element in link.ducts}
        )
        h.remove_edges_from([(u, v, k) for u, v, k in h.edges(keys=True) if k in failed])
    return [set(c) for c in nx.connected_components(h)]


def _cheapest(graph: nx.MultiGraph, inside: list[str], anchors: list[str]) -> tuple[str, str, float] | None:
    best: tuple[str, str, float] | None = None
    for inner in inside:
        di = graph.nodes[inner]
        for anchor in anchors:
            da = graph.nodes[anchor]
            km = haversine_km(di["lat"], di["lon"], da["lat"], da["lon"])
            if best is None or km < best[2]:
                best = (inner, anchor, km)
    return best


def suggest_links(report: SpofReport, top: int = 5) -> list[Suggestion]:
    """For the ``top`` heaviest failures that cut off other devices, the cheapest links that defuse each.

    A piece of the network that holds a hub gets one new link from that hub to the nearest hub or
    core that keeps the core; pieces made of single edge devices (CPEs, BTS routers, APs) are
    dual-homed to their nearest surviving hub, summed into one suggestion.
    """
    graph = report.graph
    out: list[Suggestion] = []
    worst = [i for i in report.ranking() if i.devices][:top]
    for impact in worst:
        cut = set(impact.devices)
        failed_node = impact.element if impact.kind == "node" else None
        anchors = sorted(
            n
            for n, data in graph.nodes(data=True)
            if data["role"] in ANCHOR_ROLES and n not in cut and n != failed_node
        )
        backbone: list[tuple[str, str, float]] = []
        leaves: list[tuple[str, str, float]] = []
        for piece in _pieces(graph, impact, report):
            inner = sorted(n for n in piece if graph.nodes[n]["role"] in ANCHOR_ROLES) or sorted(piece)
            best = _cheapest(graph, inner, anchors)
            if best is not None:
                (backbone if graph.nodes[best[0]]["role"] in ANCHOR_ROLES else leaves).append(best)
        saved = [e for dev in cut for e in report.endpoints.get(dev, [])]
        weight = sum(e.weight for e in saved)
        name = f"{impact.kind}:{impact.element}"
        if backbone and not leaves:
            out.append(
                Suggestion(name, tuple(backbone), weight, len(saved), "close the ring around the failure")
            )
        elif leaves and not backbone:
            out.append(
                Suggestion(name, tuple(leaves), weight, len(saved), f"dual-home {len(leaves)} edge device(s)")
            )
        elif backbone:
            out.append(
                Suggestion(
                    name,
                    tuple(backbone + leaves),
                    weight,
                    len(saved),
                    f"close the ring and dual-home {len(leaves)} edge device(s)",
                )
            )
    out.sort(key=lambda s: (-s.saves_weight / max(s.km, 0.1), s.failure))
    return out
