"""What the NOC console's pages show, computed from the inventory and the store (no HTTP here).

A device page (interfaces with their rates, optical levels and links; WiFi clients; the agencies
it serves; alerts; maintenance; recent changes), a link page, a site page, the alert list and the
maintenance windows, each cut to a token's district scope by the routers that call these.

Alerts are the store's ``alert`` rows, named ``rule:subject`` where the subject is a link id,
``link@device`` (an optic at one end of a link) or ``device:port``: :func:`alert_item` splits
the name into the device and link it concerns, so the page can link to them.
"""

from __future__ import annotations

import re
from typing import Any

from govnet.api.scope import Scope
from govnet.api.status import Snapshot, device_item, link_item
from govnet.inventory.communes import commune_of_site
from govnet.inventory.network import Network
from govnet.monitor.store import Change, Window
from govnet.topology.graph import endpoints_by_device

#: How bad each alert rule is, for ordering and colour (incidents are always critical).
SEVERITY = {
    "low-optical-power": "major",
    "errors": "minor",
    "high-utilisation": "warning",
    "optical-power-falling": "warning",
}
RANK = {"critical": 0, "major": 1, "minor": 2, "warning": 3}


def alert_subject(network: Network, name: str) -> tuple[str, str | None, str | None, str | None]:
    """(rule, device, link, port) of an alert ``rule:subject``.

    >>> from govnet.inventory import sample_dir
    >>> from govnet.inventory.loader import load_inventory
    >>> net = load_inventory(sample_dir())
    >>> link = net.links[0]
    >>> alert_subject(net, f"errors:{link.id}") == ("errors", link.a_device, link.id, None)
    True
    >>> alert_subject(net, "high-utilisation:core-1:eth9")
    ('high-utilisation', 'core-1', None, 'eth9')
    """
    rule, _, subject = name.partition(":")
    if subject in network.links_by_id:
        return rule, network.links_by_id[subject].a_device, subject, None
    if "@" in subject:
        link, _, device = subject.rpartition("@")
        return rule, device, link if link in network.links_by_id else None, None
    device, _, port = subject.partition(":")
    return rule, device or None, None, port or None


def covers(window: Window, network: Network, device: str, communes: dict[str, str]) -> bool:
    """Whether a maintenance window's target covers ``device`` (``*``, itself, its district or commune)."""
    kind, _, value = window.target.partition(":")
    if window.target == "*":
        return True
    dev = network.devices.get(device)
    if dev is None:
        return False
    if kind == "device":
        return value == device
    if kind == "district":
        return value == network.district_of(device)
    if kind == "commune":
        return communes.get(dev.site) == value
    return False


class Console:
    """The console's answers over one inventory (the caller passes the store's current read)."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.communes = commune_of_site(network)
        self.endpoints = endpoints_by_device(network)

    # ------------------------------------------------------------------ maintenance
    def window_visible(self, scope: Scope, window: Window) -> bool:
        """A window is the caller's business when its target is (``*`` is everyone's)."""
        if scope.everything or window.target == "*":
            return True
        kind, _, value = window.target.partition(":")
        if kind == "device":
            return value in scope.devices
        if kind == "district":
            return value == scope.district
        if kind == "commune":
            return any(self.communes.get(s) == value for s in scope.sites)
        if kind == "endpoint":
            return value in scope.endpoints
        return False

    def maintenance_item(self, window: Window, now: float) -> dict[str, Any]:
        """One window, with whether it is on now."""
        return {
            "id": window.id,
            "target": window.target,
            "starts": window.starts,
            "ends": window.ends,
            "reason": window.reason,
            "active": window.starts <= now < window.ends,
        }

    def in_maintenance(self, windows: list[Window], device: str | None, now: float) -> list[int]:
        """Ids of the windows on now that cover ``device``."""
        if device is None:
            return []
        return [
            w.id
            for w in windows
            if w.starts <= now < w.ends and covers(w, self.network, device, self.communes)
        ]

    def incident_maintenance(self, item: dict[str, Any], windows: list[Window], now: float) -> list[int]:
        """Ids of the windows on now covering an incident's root cause (a device, a link's ends, a
        duct's links' ends)."""
        root = str(item.get("root_cause", ""))
        if root in self.network.devices:
            devices = [root]
        else:
            links = [root] if root in self.network.links_by_id else list(item.get("links_down") or [])
            devices = [
                end
                for lk in links
                if lk in self.network.links_by_id
                for end in (self.network.links_by_id[lk].a_device, self.network.links_by_id[lk].b_device)
            ]
        return sorted({w for d in devices for w in self.in_maintenance(windows, d, now)})

    # ------------------------------------------------------------------ alerts
    def alert_item(self, snap: Snapshot, row_name: str, windows: list[Window], now: float) -> dict[str, Any]:
        """One alert row with what it concerns, its severity and its maintenance."""
        row = snap.by_kind["alert"][row_name]
        rule, device, link, port = alert_subject(self.network, row_name)
        return {
            "name": row_name,
            "rule": rule,
            "severity": SEVERITY.get(rule, "warning"),
            "state": row.state,
            "since": row.since,
            "value": (row.detail or {}).get("value"),
            "device": device if device in self.network.devices else None,
            "link": link,
            "port": port,
            "maintenance": self.in_maintenance(windows, device, now),
        }

    def alerts(
        self, snap: Snapshot, scope: Scope, windows: list[Window], now: float, firing_only: bool
    ) -> list[dict[str, Any]]:
        """The alerts the caller may see: firing first, the worst first, then the newest."""
        items = [
            self.alert_item(snap, name, windows, now)
            for name, row in snap.by_kind.get("alert", {}).items()
            if scope.alert_visible(name) and (row.state == "firing" or not firing_only)
        ]
        items.sort(key=lambda a: (a["state"] != "firing", RANK[a["severity"]], -a["since"], a["name"]))
        return items

    # ------------------------------------------------------------------ pages
    def device_page(
        self,
        snap: Snapshot,
        scope: Scope,
        name: str,
        windows: list[Window],
        changes: list[Change],
        now: float,
    ) -> dict[str, Any]:
        """Everything the device page shows."""
        network = self.network
        dev = network.devices[name]
        site = network.sites[dev.site]
        row = snap.by_kind.get("device", {}).get(name)
        detail = (row.detail if row else None) or {}
        rates = detail.get("rates") or {}
        optics = {o.get("ifIndex"): o for o in detail.get("optics") or [] if isinstance(o, dict)}
        links_on: dict[str, tuple[str | None, str | None]] = {}
        for lk in network.links_by_device.get(name, []):
            port = lk.a_interface if lk.a_device == name else lk.b_interface
            other = lk.b_device if lk.a_device == name else lk.a_device
            visible = lk.id in scope.links or scope.everything
            links_on[port] = (
                lk.id if visible else None,
                other if scope.everything or other in scope.devices else None,
            )
        polled: dict[str, dict[str, Any]] = {
            str(i.get("ifName")): i for i in detail.get("interfaces") or [] if isinstance(i, dict)
        }
        interfaces = []
        for ifname in sorted(set(dev.interfaces) | set(polled) | set(links_on), key=natural):
            seen = polled.get(ifname, {})
            link_on, peer = links_on.get(ifname, (None, None))
            optic = optics.get(seen.get("ifIndex"))
            link_row = snap.link_row(link_on) if link_on else None
            interfaces.append(
                {
                    "name": ifname,
                    "oper_status": seen.get("oper_status"),
                    "admin_status": seen.get("admin_status"),
                    "speed_mbps": seen.get("speed_mbps"),
                    "rates": rates.get(ifname),
                    "optical_rx_dbm": optic.get("dbm") if optic else None,
                    "optical_low_warning_dbm": optic.get("low_warning_dbm") if optic else None,
                    "link": link_on,
                    "link_state": link_row.state if link_row else None,
                    "peer": peer,
                }
            )
        endpoints = [
            {
                "kind": ep.kind,
                "id": ep.id,
                "name": ep.name,
                "status": snap.endpoint_status(ep)[0],
            }
            for ep in self.endpoints.get(name, [])
            if f"{ep.kind}:{ep.id}" in scope.endpoints or scope.everything
        ]
        mine = {name, *(i["link"] for i in interfaces if i["link"])}
        alerts = [
            a
            for a in self.alerts(snap, scope, windows, now, firing_only=False)
            if a["device"] == name or a["link"] in mine
        ]
        return {
            **device_item(snap, name),
            "site_name": site.name,
            "commune": site.commune,
            "commune_id": self.communes.get(site.id),
            "lat": site.lat,
            "lon": site.lon,
            "model": dev.model,
            "polled_at": detail.get("polled_at"),
            "wifi_clients": detail.get("wifi_clients"),
            "interfaces": interfaces,
            "endpoints": endpoints,
            "alerts": alerts,
            "maintenance": [
                self.maintenance_item(w, now) for w in windows if covers(w, network, name, self.communes)
            ],
            "changes": _recent(changes, name, mine),
        }

    def link_page(
        self,
        snap: Snapshot,
        scope: Scope,
        link_id: str,
        windows: list[Window],
        changes: list[Change],
        now: float,
    ) -> dict[str, Any]:
        """Everything the link page shows."""
        link = self.network.links_by_id[link_id]
        ends = []
        for device, port in ((link.a_device, link.a_interface), (link.b_device, link.b_interface)):
            page = self.device_page(snap, scope, device, windows, [], now)
            (iface,) = [i for i in page["interfaces"] if i["name"] == port] or [{}]
            ends.append({"device": device, "interface": port, "status": page["status"], **_end(iface)})
        every = self.alerts(snap, scope, windows, now, firing_only=False)
        alerts = [a for a in every if a["link"] == link_id]
        return {
            **link_item(snap, link_id),
            "ends": ends,
            "alerts": alerts,
            "changes": [change_item(c) for c in changes if c.name == link_id][-50:][::-1],
        }

    def site_page(self, snap: Snapshot, scope: Scope, site_id: str) -> dict[str, Any]:
        """A site: where it is and its devices."""
        site = self.network.sites[site_id]
        devices = sorted(d for d, dev in self.network.devices.items() if dev.site == site_id)
        return {
            "id": site.id,
            "name": site.name,
            "kind": site.kind.value,
            "district": site.district,
            "district_name": self.network.district_names.get(site.district, site.district),
            "commune": site.commune,
            "commune_id": self.communes.get(site_id),
            "lat": site.lat,
            "lon": site.lon,
            "devices": [device_item(snap, d) for d in devices if scope.everything or d in scope.devices],
        }


def _end(iface: dict[str, Any]) -> dict[str, Any]:
    rates = iface.get("rates") or {}
    return {
        "oper_status": iface.get("oper_status"),
        "in_bps": rates.get("in_bps"),
        "out_bps": rates.get("out_bps"),
        "util_pct": rates.get("util_pct"),
        "optical_rx_dbm": iface.get("optical_rx_dbm"),
    }


def natural(name: str) -> tuple[tuple[int, str], ...]:
    """Interface names in the order people count them (eth2 before eth10, Gi0/0/2 before Gi0/0/10).

    >>> sorted(["eth10", "eth2", "Gi0/0/10", "Gi0/0/2"], key=natural)
    ['Gi0/0/2', 'Gi0/0/10', 'eth2', 'eth10']
    """
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", name) if part
    )


def _recent(changes: list[Change], device: str, names: set[str]) -> list[dict[str, Any]]:
    """A device's own changes and the last 50 of its links', newest first."""
    own = [c for c in changes if c.kind == "device" and c.name == device]
    links = [c for c in changes if c.kind == "link" and c.name in names][-50:]
    return [change_item(c) for c in sorted(own + links, key=lambda c: c.at, reverse=True)]


def change_item(change: Change) -> dict[str, Any]:
    """One state change for the event log."""
    return {
        "at": change.at,
        "kind": change.kind,
        "name": change.name,
        "old": change.old,
        "new": change.new,
        "source": change.source,
    }
