"""Exports of the network: GraphML, GeoJSON (RFC 7946) for the IOC map, and an SVG picture.

Statuses are optional: the inventory alone knows no status (``"unknown"``); the monitor passes
device and link states in when it has them. SPOF flags come from :mod:`govnet.topology.report`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

import networkx as nx

from govnet.inventory.communes import commune_of_site
from govnet.inventory.models import SiteKind
from govnet.topology.report import SpofReport

SITE_COLOURS = {
    SiteKind.DATACENTER: "#5b2a86",
    SiteKind.HUB: "#1f77b4",
    SiteKind.AGENCY: "#2ca02c",
    SiteKind.COMMUNE_OFFICE: "#98df8a",
    SiteKind.BTS: "#ff7f0e",
    SiteKind.WIFI: "#17becf",
}
STATUS_COLOURS = {"up": "#2ca02c", "down": "#d62728", "degraded": "#ff7f0e"}
MEDIUM_DASH = {"fiber": "", "microwave": "6,3", "copper": "2,2"}


def graphml(report: SpofReport) -> str:
    """GraphML of devices and links, with SPOF flags; lists become comma-separated text."""
    g = nx.MultiGraph()
    spof_devices = report.spof_devices()
    spof_links = report.spof_links()
    for node, data in report.graph.nodes(data=True):
        g.add_node(node, **{k: v for k, v in data.items() if v is not None}, spof=node in spof_devices)
    for u, v, key, data in report.graph.edges(keys=True, data=True):
        attrs = {k: (",".join(x) if isinstance(x, list) else x) for k, x in data.items() if x is not None}
        g.add_edge(u, v, key=key, **attrs, spof=key in spof_links)
    buffer = io.BytesIO()
    nx.write_graphml(g, buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")


def geojson(
    report: SpofReport,
    device_status: Mapping[str, str] | None = None,
    link_status: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A FeatureCollection: one Point per site, one LineString per link ([lon, lat] order)."""
    network = report.network
    dev_status = device_status or {}
    lnk_status = link_status or {}
    spof_devices = report.spof_devices()
    impact_by_device = {i.element: i for i in report.nodes}
    devices_at: dict[str, list[str]] = {}
    for name, dev in network.devices.items():
        devices_at.setdefault(dev.site, []).append(name)
    agencies_at: dict[str, list[str]] = {}
    for agency in network.agencies.values():
        agencies_at.setdefault(agency.site, []).append(agency.id)
    commune_ids = commune_of_site(network)
    features: list[dict[str, Any]] = []
    for site_id in sorted(network.sites):
        site = network.sites[site_id]
        devs = sorted(devices_at.get(site_id, []))
        states = {dev_status.get(d, "unknown") for d in devs}
        status = "down" if "down" in states else "up" if states == {"up"} else "unknown"
        weight = max((impact_by_device[d].weight for d in devs if d in impact_by_device), default=0.0)
        features.append(
            {
                "type": "Feature",
                "id": f"site:{site_id}",
                "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
                "properties": {
                    "feature": "site",
                    "id": site_id,
                    "name": site.name,
                    "kind": site.kind.value,
                    "district": site.district,
                    "district_name": network.district_names.get(site.district, site.district),
                    "commune": site.commune,
                    "commune_id": commune_ids.get(site_id),
                    "devices": devs,
                    "agencies": sorted(agencies_at.get(site_id, [])),
                    "status": status,
                    "spof": any(d in spof_devices for d in devs),
                    "impact_weight": weight,
                },
            }
        )
    spof_links = report.spof_links()
    for link in network.links:
        a = network.sites[network.devices[link.a_device].site]
        b = network.sites[network.devices[link.b_device].site]
        features.append(
            {
                "type": "Feature",
                "id": f"link:{link.id}",
                "geometry": {"type": "LineString", "coordinates": [[a.lon, a.lat], [b.lon, b.lat]]},
                "properties": {
                    "feature": "link",
                    "id": link.id,
                    "a": link.a,
                    "b": link.b,
                    "capacity_mbps": link.capacity_mbps,
                    "medium": link.medium.value,
                    "ducts": list(link.ducts),
                    "status": lnk_status.get(link.id, "unknown"),
                    "spof": link.id in spof_links,
                },
            }
        )
    box = network.province.bbox
    return {
        "type": "FeatureCollection",
        "bbox": [box.min_lon, box.min_lat, box.max_lon, box.max_lat],
        "features": features,
    }


def svg(
    report: SpofReport,
    district: str | None = None,
    device_status: Mapping[str, str] | None = None,
    width: int = 1100,
) -> str:
    """An SVG picture of the network (or one district): links by medium, sites by kind, SPOFs in red."""
    network = report.network
    status = device_status or {}
    sites = {
        s: network.sites[s]
        for s in network.sites
        if district is None or network.sites[s].district == district
    }
    devices = {n for n, d in network.devices.items() if d.site in sites}
    links = [lk for lk in network.links if lk.a_device in devices or lk.b_device in devices]
    for lk in links:  # keep the far end of a link leaving the district, for context
        for end in (lk.a_device, lk.b_device):
            sid = network.devices[end].site
            sites.setdefault(sid, network.sites[sid])
    lats = [s.lat for s in sites.values()]
    lons = [s.lon for s in sites.values()]
    lat0, lat1, lon0, lon1 = min(lats), max(lats), min(lons), max(lons)
    squash = math.cos(math.radians((lat0 + lat1) / 2))
    span_x = max((lon1 - lon0) * squash, 1e-6)
    span_y = max(lat1 - lat0, 1e-6)
    margin = 40
    scale = (width - 2 * margin) / span_x
    height = int(span_y * scale + 2 * margin + 30)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return margin + (lon - lon0) * squash * scale, margin + 30 + (lat1 - lat) * scale

    title = network.province.name if district is None else network.district_names.get(district, district)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{margin}" y="28" font-size="18">'
        f"{escape(title)}: {len(devices)} devices, {len(links)} links</text>",
    ]
    spof_links = report.spof_links()
    spof_devices = report.spof_devices()
    for lk in links:
        a = network.sites[network.devices[lk.a_device].site]
        b = network.sites[network.devices[lk.b_device].site]
        (x1, y1), (x2, y2) = xy(a.lat, a.lon), xy(b.lat, b.lon)
        colour = "#d62728" if lk.id in spof_links and lk.capacity_mbps >= 1000 else "#888888"
        widthpx = 2.5 if lk.capacity_mbps >= 1000 else 0.8
        dash = MEDIUM_DASH[lk.medium.value]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="{widthpx}"{dash_attr}><title>{escape(lk.id)}</title></line>'
        )
    devices_at: dict[str, list[str]] = {}
    for name, dev in network.devices.items():
        devices_at.setdefault(dev.site, []).append(name)
    for sid, site in sorted(sites.items()):
        x, y = xy(site.lat, site.lon)
        devs = devices_at.get(sid, [])
        states = {status.get(d, "unknown") for d in devs}
        fill = STATUS_COLOURS["down"] if "down" in states else SITE_COLOURS[site.kind]
        big = site.kind in {SiteKind.DATACENTER, SiteKind.HUB}
        ring = ' stroke="#d62728" stroke-width="2.5"' if any(d in spof_devices for d in devs) else ""
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{7 if big else 3}" fill="{fill}"{ring}>'
            f"<title>{escape(site.name)}</title></circle>"
        )
        if big:
            out.append(f'<text x="{x + 9:.1f}" y="{y - 6:.1f}" font-size="12">{escape(site.name)}</text>')
    legend_y = height - 12
    x = margin
    for kind, colour in SITE_COLOURS.items():
        out.append(f'<circle cx="{x}" cy="{legend_y - 4}" r="5" fill="{colour}"/>')
        out.append(f'<text x="{x + 8}" y="{legend_y}" font-size="11">{kind.value}</text>')
        x += 120
    out.append(
        f'<text x="{x}" y="{legend_y}" font-size="11" fill="#d62728">red: single point of failure</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"
