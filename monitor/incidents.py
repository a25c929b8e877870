"""Topology-aware correlation: one incident per fault, with its blast radius.

Input is one consistent snapshot of what the poller and the traps know: the links seen down and
the devices that do not answer. Everything that lost the core *because of* a fault is folded into
that fault's incident instead of raising alarms of its own. The rules:

1. **Cut off vs. failed.** A silent device with no answering neighbour lies behind something:
   it is a symptom, and so is a link between two silent devices (nobody can see it). A silent
   device next to an answering one is a root cause candidate.
2. **Duct before node before link.** Down links that all run through one duct, at least two of
   them, are that duct's failure; a silent candidate all of whose (two or more) links toward
   answering neighbours are down is a node failure — and so is one with two or more such links
   when only some are seen down yet, since no one link explains its silence; any other down
   link is a link failure (a single-homed device behind it listed in ``also_possible``).
3. **Blast radius** is computed, not configured: the devices (and their agencies, BTS sites and
   hotspots) that have no path to the core once the root causes are removed from the inventory's
   graph. A link down with redundancy around it is an incident with an empty blast radius.

A hub that dies and the duct that carries all its uplinks look the same from outside; the duct is
named as the cause and the hub listed in ``also_possible``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from govnet.inventory.network import Network
from govnet.topology.graph import EDGE_ROLES, Endpoint, core_nodes, endpoints_by_device


@dataclass
class Incident:
    """One fault and everything it took down."""

    kind: str  # "node" | "link" | "duct"
    root_cause: str
    links_down: list[str]
    devices_cut_off: list[str]
    blast_radius: list[Endpoint] = field(default_factory=list)
    #: Causes that look the same from outside (a dead hub and a cut duct around it).
    also_possible: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        counts = {"agencies": 0, "bts_sites": 0, "hotspots": 0}
        key = {"agency": "agencies", "bts": "bts_sites", "wifi": "hotspots"}
        for ep in self.blast_radius:
            counts[key[ep.kind]] += 1
        return {
            "kind": self.kind,
            "root_cause": self.root_cause,
            "links_down": self.links_down,
            "devices_cut_off": self.devices_cut_off,
            "blast_radius": {**counts, "endpoints": [e.as_dict() for e in self.blast_radius]},
            "also_possible": self.also_possible,
        }


def reachable_from_core(network: Network, dead_links: set[str], dead_nodes: set[str]) -> set[str]:
    """Devices with a path to a core avoiding dead links and nodes (edge devices carry no transit)."""
    cores = set(core_nodes(network))
    seen = cores - dead_nodes
    queue = deque(seen)
    while queue:
        node = queue.popleft()
        if node not in cores and network.devices[node].role.value in EDGE_ROLES:
            continue
        for link in network.links_by_device.get(node, []):
            if link.id in dead_links:
                continue
            other = link.b_device if link.a_device == node else link.a_device
            if other not in seen and other not in dead_nodes:
                seen.add(other)
                queue.append(other)
    return seen


def _outward(network: Network, dev: str, answering: set[str]) -> set[str]:
    """Links of ``dev`` toward answering neighbours: the only ones anybody can see."""
    return {
        lk.id
        for lk in network.links_by_device.get(dev, [])
        if (lk.b_device if lk.a_device == dev else lk.a_device) in answering
    }


def correlate(network: Network, links_down: Iterable[str], silent: Iterable[str]) -> list[Incident]:
    """Fold a snapshot of down links and silent devices into root-cause incidents."""
    quiet = set(silent)
    eps = endpoints_by_device(network)
    answering = set(network.devices) - quiet
    # A link between two silent devices is not observed by anyone: it lies inside a cut-off
    # region and is a symptom, whatever an earlier trap said about it.
    by_id = {lk.id: lk for lk in network.links}
    down = {i for i in links_down if i in by_id and ({by_id[i].a_device, by_id[i].b_device} & answering)}
    # Rule 1: candidates are silent devices with an answering neighbour.
    candidates = set()
    for dev in quiet:
        for link in network.links_by_device.get(dev, []):
            other = link.b_device if link.a_device == dev else link.a_device
            if other in answering:
                candidates.add(dev)
    # Rule 2: ducts, then nodes, then links.
    incidents: list[Incident] = []
    explained: set[str] = set()
    by_duct: dict[str, list[str]] = {}
    for link in network.links:
        if link.id in down:
            for duct in link.ducts:
                by_duct.setdefault(duct, []).append(link.id)
    duct_links = {duct: {lk.id for lk in network.links if duct in lk.ducts} for duct in by_duct}
    full = [set(ids) for duct, ids in by_duct.items() if len(ids) >= 2 and set(ids) == duct_links[duct]]
    # A silent device whose down links span more than any one cut duct is a dead node, and the
    # ducts holding only its links are its symptoms (out-of-band management: the far ends answer).
    node_claimed: set[str] = set()
    for dev in candidates:
        out = _outward(network, dev, answering)
        if len(out) > 1 and out <= down and not any(out <= ids for ids in full):
            node_claimed |= out
    for duct, ids in sorted(by_duct.items(), key=lambda kv: -len(kv[1])):
        fresh = [i for i in ids if i not in explained]
        if len(ids) >= 2 and set(ids) == duct_links[duct] and fresh and not set(ids) <= node_claimed:
            incident = Incident("duct", duct, sorted(ids), [])
            for dev in sorted(candidates):  # a silent device whose every uplink ran in this duct
                outward = _outward(network, dev, answering)
                if outward and outward <= set(ids):
                    incident.also_possible.append(f"node:{dev}")
                    candidates.discard(dev)
            incidents.append(incident)
            explained |= set(ids)
    for dev in sorted(candidates):
        # Only links toward answering neighbours can be seen: all of them down is a dead device.
        outward = _outward(network, dev, answering)
        if len(outward) == 1 and outward <= down - explained:
            # One uplink down and the device behind it silent: the link is what was seen to fail;
            # a device without power looks just the same.
            (only,) = outward
            incidents.append(Incident("link", only, [only], [], also_possible=[f"node:{dev}"]))
            explained.add(only)
        elif len(outward) > 1 or not outward & down:
            # Silent with more than one link toward the answering network: no single link can
            # explain it, whether all of them are seen down yet or only some (neighbours' traps
            # and polls come in over seconds); silent with its links up: the agent or the box.
            seen = outward & down
            incidents.append(Incident("node", dev, sorted(seen - explained), []))
            explained |= seen
    for link_id in sorted(down - explained):
        incidents.append(Incident("link", link_id, [link_id], []))
    # Rule 3: blast radius of each incident from the graph without its own failed elements.
    everyone = reachable_from_core(network, set(), set())
    for incident in incidents:
        dead_nodes = {incident.root_cause} if incident.kind == "node" else set()
        cut = everyone - reachable_from_core(network, set(incident.links_down), dead_nodes)
        own = dead_nodes
        incident.devices_cut_off = sorted(cut - own)
        incident.blast_radius = sorted(
            (e for d in sorted(cut) for e in eps.get(d, [])), key=lambda e: (e.kind, e.district, e.name)
        )
    return sorted(incidents, key=lambda i: (-len(i.blast_radius), i.kind, i.root_cause))
