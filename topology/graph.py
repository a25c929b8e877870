"""The inventory as a NetworkX multigraph, and the endpoints each device serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import networkx as nx

from govnet.errors import TopologyError
from govnet.inventory.models import Role, SiteKind
from govnet.inventory.network import Network

#: Importance of a BTS site and a WiFi hotspot next to agencies' service levels (gold 3 … bronze 1).
BTS_WEIGHT = 3.0
WIFI_WEIGHT = 1.0


@dataclass(frozen=True)
class Endpoint:
    """Something the network exists to serve: an agency, a BTS site or a WiFi hotspot."""

    kind: str  # "agency" | "bts" | "wifi"
    id: str
    name: str
    district: str
    weight: float

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"kind": self.kind, "id": self.id, "name": self.name, "district": self.district}


def build_graph(network: Network) -> nx.MultiGraph:
    """Devices as nodes (role, site, district, coordinates), links as keyed edges (key = link id)."""
    g = nx.MultiGraph(name=network.province.name)
    for name, dev in network.devices.items():
        site = network.sites[dev.site]
        g.add_node(
            name,
            role=dev.role.value,
            platform=dev.platform,
            site=site.id,
            site_kind=site.kind.value,
            district=site.district,
            lat=site.lat,
            lon=site.lon,
            mgmt_ip=str(dev.mgmt_ip),
        )
    for link in network.links:
        g.add_edge(
            link.a_device,
            link.b_device,
            key=link.id,
            a=link.a,
            b=link.b,
            capacity_mbps=link.capacity_mbps,
            medium=link.medium.value,
            ducts=list(link.ducts),
            protocol=link.protocol.value,
            traffic_mbps=link.traffic_mbps,
        )
    return g


#: Roles that end paths but never carry transit (a CPE does not route one hub's traffic to another).
EDGE_ROLES = frozenset({Role.CPE.value, Role.BTS_ROUTER.value, Role.WIFI_AP.value})
COPY_SEP = "#uplink"


def analysis_graph(graph: nx.MultiGraph) -> tuple[nx.MultiGraph, dict[str, str]]:
    """The graph the impact engine sees: multi-homed edge devices split into one leaf per uplink.

    A dual-homed CPE must not look like a path between its two hubs. Each of its links gets its
    own copy of the CPE (``name#uplink1`` ...); the CPE keeps the core while any copy does.
    Returns the new graph and copy -> device.

    >>> g = nx.MultiGraph([("hub1", "cpe"), ("hub2", "cpe")])
    >>> nx.set_node_attributes(g, {"hub1": "hub", "hub2": "hub", "cpe": "cpe"}, "role")
    >>> h, copies = analysis_graph(g)
    >>> sorted(h.nodes), copies
    (['cpe#uplink1', 'cpe#uplink2', 'hub1', 'hub2'], {'cpe#uplink1': 'cpe', 'cpe#uplink2': 'cpe'})
    """
    h = nx.MultiGraph(graph)
    copies: dict[str, str] = {}
    for node, data in graph.nodes(data=True):
        if data.get("role") not in EDGE_ROLES or graph.degree(node) < 2:
            continue
        edges = list(graph.edges(node, keys=True, data=True))
        h.remove_node(node)
        for i, (_, other, key, attrs) in enumerate(edges, start=1):
            copy = f"{node}{COPY_SEP}{i}"
            copies[copy] = node
            h.add_node(copy, **data)
            h.add_edge(copy, other, key=key, **attrs)
    return h, copies


def core_nodes(network: Network) -> list[str]:
    """The data centre's core routers."""
    cores = [d.name for d in network.devices_with_role(Role.CORE)]
    if not cores:
        raise TopologyError(
            "the inventory has no device with role 'core'", hint="mark the core routers role: core"
        )
    return cores


def endpoints_by_device(network: Network) -> dict[str, list[Endpoint]]:
    """The endpoints that depend on each device: agencies on CPEs, BTS sites, WiFi hotspots."""
    result: dict[str, list[Endpoint]] = {}
    for agency in network.agencies.values():
        district = network.sites[agency.site].district
        result.setdefault(agency.cpe, []).append(
            Endpoint("agency", agency.id, agency.name, district, float(agency.service_level.weight))
        )
    for dev in network.devices.values():
        site = network.sites[dev.site]
        if dev.role == Role.BTS_ROUTER and site.kind == SiteKind.BTS:
            result.setdefault(dev.name, []).append(
                Endpoint("bts", site.id, site.name, site.district, BTS_WEIGHT)
            )
        if dev.role == Role.WIFI_AP and site.kind == SiteKind.WIFI:
            result.setdefault(dev.name, []).append(
                Endpoint("wifi", site.id, site.name, site.district, WIFI_WEIGHT)
            )
    return result


def read_graphml(path: Path) -> nx.MultiGraph:
    """Read any GraphML file as an undirected multigraph with string node ids."""
    try:
        g = nx.read_graphml(path, force_multigraph=True)
    except FileNotFoundError as exc:
        raise TopologyError(f"no such GraphML file: {path}") from exc
    except ElementTree.ParseError as exc:
        raise TopologyError(
            f"{path} is not well-formed XML: {exc}", hint="check the file is GraphML"
        ) from exc
    except (nx.NetworkXError, ValueError, KeyError) as exc:
        raise TopologyError(f"{path} is not a GraphML file govnet can read: {exc}") from exc
    return nx.MultiGraph(g)
