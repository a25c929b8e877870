"""What-if: play a combination of failures and see who loses the core, who takes a longer path,
and which links would then carry more than their capacity.

Traffic model (documented, deliberately simple): each edge device (CPE, BTS router, WiFi AP)
offers the sum of the ``traffic_mbps`` of its links toward the core; every demand follows a
shortest path (fewest hops) to the nearest core, split evenly over parallel links. The baseline
uses the same model, so "over capacity" compares like with like.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from govnet.errors import TopologyError
from govnet.inventory.network import Network
from govnet.topology.graph import EDGE_ROLES, Endpoint, build_graph, core_nodes, endpoints_by_device


@dataclass(frozen=True)
class Failure:
    """One element to fail: ``link:A--B`` / ``link:A:eth1--B:eth2``, ``node:X`` or ``duct:D``."""

    kind: str
    target: str

    @classmethod
    def parse(cls, text: str) -> Failure:
        """Parse ``kind:target``.

        >>> Failure.parse("duct:ql13-chon-thanh-exit")
        Failure(kind='duct', target='ql13-chon-thanh-exit')
        """
        kind, sep, target = text.partition(":")
        if not sep or kind not in {"link", "node", "duct"} or not target:
            raise TopologyError(
                f"cannot read failure '{text}'", hint="write link:A--B, link:A:eth1--B:eth2, node:X or duct:D"
            )
        return cls(kind, target)


@dataclass
class WhatIf:
    """The outcome of one combination of failures."""

    failed_links: list[str]
    failed_nodes: list[str]
    lost: list[Endpoint] = field(default_factory=list)
    lost_devices: list[str] = field(default_factory=list)
    rerouted: list[dict[str, Any]] = field(default_factory=list)
    overloaded: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "failed_links": self.failed_links,
            "failed_nodes": self.failed_nodes,
            "lost_count": len(self.lost),
            "lost": [e.as_dict() for e in self.lost],
            "lost_devices": self.lost_devices,
            "rerouted": self.rerouted,
            "overloaded": self.overloaded,
        }


def resolve(network: Network, failures: Iterable[Failure]) -> tuple[set[str], set[str]]:
    """The link ids and device names a list of failures takes down."""
    links: set[str] = set()
    nodes: set[str] = set()
    for f in failures:
        if f.kind == "node":
            if f.target not in network.devices:
                raise TopologyError(
                    f"unknown device '{f.target}'", hint="use a device name from the inventory"
                )
            nodes.add(f.target)
        elif f.kind == "duct":
            if f.target not in network.ducts:
                raise TopologyError(f"unknown duct '{f.target}'", hint="use a duct id from the inventory")
            links |= {link.id for link in network.links if f.target in link.ducts}
        else:
            exact = [link.id for link in network.links if link.id == f.target]
            if not exact:
                a, sep, b = f.target.partition("--")
                pair = {a, b}
                exact = [link.id for link in network.links if sep and {link.a_device, link.b_device} == pair]
            if not exact:
                raise TopologyError(
                    f"no link '{f.target}'", hint="write link:A--B (device names) or link:A:ethX--B:ethY"
                )
            links |= set(exact)
    return links, nodes


def _distances(g: nx.MultiGraph, cores: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Hop count to the nearest core and the BFS parent toward it."""
    dist: dict[str, int] = {}
    parent: dict[str, str] = {}
    queue: deque[str] = deque()
    for core in cores:
        if core in g:
            dist[core] = 0
            queue.append(core)
    while queue:
        u = queue.popleft()
        if dist[u] > 0 and g.nodes[u].get("role") in EDGE_ROLES:
            continue  # edge devices end paths, they do not carry transit
        for v in sorted(g.adj[u]):
            if v not in dist:
                dist[v] = dist[u] + 1
                parent[v] = u
                queue.append(v)
    return dist, parent


def _loads(g: nx.MultiGraph, parent: dict[str, str], demand: dict[str, float]) -> dict[str, float]:
    """Load per link id when each demand follows its BFS path to the core."""
    per_pair: dict[frozenset[str], float] = {}
    for dev, mbps in demand.items():
        node = dev
        while node in parent:
            up = parent[node]
            key = frozenset((node, up))
            per_pair[key] = per_pair.get(key, 0.0) + mbps
            node = up
    loads: dict[str, float] = {}
    for pair, mbps in per_pair.items():
        u, v = tuple(pair)
        keys = list(g[u][v])
        for key in keys:
            loads[str(key)] = mbps / len(keys)
    return loads


def what_if(network: Network, failures: Iterable[Failure]) -> WhatIf:
    """Play the failures on the inventory's graph."""
    links, nodes = resolve(network, failures)
    g = build_graph(network)
    cores = core_nodes(network)
    eps = endpoints_by_device(network)
    demand: dict[str, float] = {}
    for link in network.links:
        for end in (link.a_device, link.b_device):
            if g.nodes[end]["role"] in EDGE_ROLES and link.traffic_mbps:
                demand[end] = demand.get(end, 0.0) + link.traffic_mbps
    before, parent_before = _distances(g, cores)
    base_loads = _loads(g, parent_before, demand)
    h = g.copy()
    h.remove_nodes_from(nodes)
    h.remove_edges_from([(u, v, k) for u, v, k in g.edges(keys=True) if k in links and h.has_edge(u, v, k)])
    after, parent_after = _distances(h, [c for c in cores if c not in nodes])
    result = WhatIf(sorted(links), sorted(nodes))
    lost_devices = sorted(d for d in before if d not in after)
    result.lost_devices = lost_devices
    result.lost = sorted(
        (e for d in lost_devices for e in eps.get(d, [])), key=lambda e: (e.kind, e.district, e.name)
    )
    for dev in sorted(after):
        if after[dev] > before.get(dev, after[dev]):
            for ep in eps.get(dev, []):
                result.rerouted.append(
                    {
                        **ep.as_dict(),
                        "device": dev,
                        "hops_before": before[dev],
                        "hops_after": after[dev],
                        "extra_hops": after[dev] - before[dev],
                    }
                )
    loads = _loads(h, parent_after, {d: m for d, m in demand.items() if d in after})
    capacity = {link.id: link.capacity_mbps for link in network.links}
    for link_id, load in sorted(loads.items()):
        if load > capacity[link_id]:
            result.overloaded.append(
                {
                    "link": link_id,
                    "capacity_mbps": capacity[link_id],
                    "load_mbps": round(load, 1),
                    "baseline_mbps": round(base_loads.get(link_id, 0.0), 1),
                    "utilisation_pct": round(100 * load / capacity[link_id], 1),
                }
            )
    return result
