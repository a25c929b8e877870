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

from inventory.models import Role
from topology.graph import haversine_km
from topology.report import Impact, SpofReport

ANCHOR_ROLES = {Role.CORE.value, Role.HUB.value}


@dataclass(frozen=True)
class Suggestion:
    """One extra link and what it saves."""

    failure: str
    a: str
    b: str
    km: float
    saves_weight: float
    saves_endpoints: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "failure": self.failure,
            "new_link": [self.a, self.b],
            "km": round(self.km, 2),
            "saves_weight": self.saves_weight,
            "saves_endpoints": self.saves_endpoints,
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


def suggest_links(report: SpofReport, top: int = 5) -> list[Suggestion]:
    """Cheapest extra links for the ``top`` heaviest failures that cut off other devices."""
    graph = report.graph
    out: list[Suggestion] = []
    worst = [i for i in report.ranking() if i.devices][:top]
    for impact in worst:
        cut = set(impact.devices)
        failed_node = impact.element if impact.kind == "node" else None
        anchors = [
            n for n, data in graph.nodes(data=True)
            if data["role"] in ANCHOR_ROLES and n not in cut and n != failed_node
        ]
        for piece in _pieces(graph, impact, report):
            best: tuple[float, str, str] | None = None
            for inner in sorted(piece):
                di = graph.nodes[inner]
                for anchor in anchors:
                    da = graph.nodes[anchor]
                    km = haversine_km(di["lat"], di["lon"], da["lat"], da["lon"])
                    if best is None or km < best[0]:
                        best = (km, inner, anchor)
            if best is None:
                continue
            saved = [e for dev in piece for e in report.endpoints.get(dev, [])]
            out.append(
                Suggestion(
                    f"{impact.kind}:{impact.element}", best[1], best[2], best[0],
                    sum(e.weight for e in saved), len(saved),
                )
            )
    out.sort(key=lambda s: (-s.saves_weight / max(s.km, 0.1), s.failure, s.a))
    return out
