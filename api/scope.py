"""A token's district or commune scope as a ceiling: what it may see, and how answers are cut to it.

A commune-scoped token (a commune or ward, the lower tier of local government) sees the devices,
sites, agencies, BTS sites and hotspots at its commune's sites, and the links with both ends there;
everything else, its own district's other communes included, is outside it, as another district's
objects are outside a district scope.

A district-scoped token sees the devices, sites, agencies, BTS sites and hotspots of its district,
and the links whose two ends are both in it. Links between districts (the hubs' ring, the uplinks to
the core) and everything in other districts are province infrastructure: an unscoped token sees
them, a scoped one never does, not even by name. Where an answer needs them (an agency's path to
the core, an incident's root cause), they are replaced by an opaque "outside this district" mark.

Anything this module cannot place in a district is outside every district scope (deny by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from govnet.inventory.communes import communes
from govnet.inventory.network import Network
from govnet.topology.graph import Endpoint, endpoints_by_device

#: What replaces a name the caller may not see.
OUTSIDE = "outside-scope"


@dataclass(frozen=True)
class Scope:
    """The objects one district's (or one commune's) token may see (``district`` None: everything)."""

    network: Network
    district: str | None
    #: A commune id within ``district``: only its sites (an unknown id: nothing).
    commune: str | None = None

    @cached_property
    def commune_sites(self) -> frozenset[str] | None:
        """The commune's sites (None without a commune scope)."""
        if self.commune is None:
            return None
        found = communes(self.network).get(self.commune)
        if found is None or found.district != self.district:
            return frozenset()
        return frozenset(found.sites)

    @cached_property
    def devices(self) -> frozenset[str]:
        """The district's (commune's) devices."""
        return frozenset(d for d, dev in self.network.devices.items() if self._site_mine(dev.site))

    @cached_property
    def links(self) -> frozenset[str]:
        """Links with both ends in the district."""
        return frozenset(
            lk.id for lk in self.network.links if lk.a_device in self.devices and lk.b_device in self.devices
        )

    @cached_property
    def sites(self) -> frozenset[str]:
        """The district's sites."""
        return frozenset(s for s in self.network.sites if self._site_mine(s))

    @cached_property
    def endpoints(self) -> frozenset[str]:
        """``kind:id`` of the district's agencies, BTS sites and hotspots."""
        return frozenset(
            f"{e.kind}:{e.id}"
            for eps in endpoints_by_device(self.network).values()
            for e in eps
            if self._site_mine(self._site_of(e))
        )

    def _site_of(self, endpoint: Endpoint) -> str:
        if endpoint.kind == "agency":
            return self.network.agencies[endpoint.id].site
        return endpoint.id  # a BTS site or a hotspot is its site

    def _site_mine(self, site_id: str) -> bool:
        if self.district is None:
            return True
        site = self.network.sites.get(site_id)
        if site is None or site.district != self.district:
            return False
        return self.commune_sites is None or site_id in self.commune_sites

    def sees_district(self, district: str) -> bool:
        """Whether the caller may see a whole district's objects (not so for a commune scope)."""
        return self.district is None or (self.commune is None and district == self.district)

    def sees_commune(self, commune: str, district: str) -> bool:
        """Whether the caller may see a commune's objects."""
        if self.district is None:
            return True
        return district == self.district and self.commune in (None, commune)

    def incident_touches(self, detail: dict[str, Any]) -> bool:
        """Whether an incident's blast radius reaches the scope (any incident when unscoped)."""
        if self.everything:
            return True
        endpoints = detail.get("blast_radius", {}).get("endpoints", [])
        return any(f"{e.get('kind')}:{e.get('id')}" in self.endpoints for e in endpoints)

    @property
    def everything(self) -> bool:
        """An unscoped caller."""
        return self.district is None

    def alert_visible(self, name: str) -> bool:
        """An alert ``rule:subject``: subject is a link id, ``link@device`` or ``device:port``."""
        if self.everything:
            return True
        _rule, _, subject = name.partition(":")
        if subject in self.network.links_by_id:
            return subject in self.links
        if "@" in subject:
            return subject.rpartition("@")[0] in self.links
        return subject.partition(":")[0] in self.devices

    def target_visible(self, target: str, district_of_commune: dict[str, str]) -> bool:
        """Whether a maintenance window's target (``*``, ``device:X``, ``district:D``, ``commune:C``,
        ``endpoint:KIND:ID``) lies wholly inside the scope (``*`` only for an unscoped caller)."""
        if self.everything:
            return True
        kind, _, name = target.partition(":")
        if kind == "device":
            return name in self.devices
        if kind == "endpoint":
            return name in self.endpoints
        if kind == "district":
            return self.sees_district(name)
        if kind == "commune":
            return self.sees_commune(name, district_of_commune.get(name, ""))
        return False

    def state_visible(self, kind: str, name: str) -> bool:
        """Whether a state row or change (``kind``, ``name``) is the caller's business."""
        if self.everything:
            return True
        if kind == "device":
            return name in self.devices
        if kind == "link":
            return name in self.links
        if kind == "endpoint":
            return name in self.endpoints
        if kind == "alert":
            return self.alert_visible(name)
        return False

    def incident(self, item: dict[str, Any]) -> dict[str, Any]:
        """An incident (``IncidentRow.as_dict()``) cut to the district.

        The blast radius keeps the district's endpoints (counts recomputed); devices and links
        outside the district are dropped; a root cause outside it becomes ``outside-scope``.
        """
        if self.everything:
            return item
        radius = item.get("blast_radius") or {}
        endpoints = [
            e for e in radius.get("endpoints", []) if f"{e.get('kind')}:{e.get('id')}" in self.endpoints
        ]
        counts = {"agencies": 0, "bts_sites": 0, "hotspots": 0}
        key = {"agency": "agencies", "bts": "bts_sites", "wifi": "hotspots"}
        for e in endpoints:
            counts[key.get(str(e.get("kind")), "agencies")] += 1
        root = str(item.get("root_cause", ""))
        return {
            **item,
            "root_cause": root if self._element_visible(root) else OUTSIDE,
            "root_cause_in_scope": self._element_visible(root),
            "links_down": [x for x in item.get("links_down", []) if x in self.links],
            "devices_cut_off": [x for x in item.get("devices_cut_off", []) if x in self.devices],
            "also_possible": [x for x in item.get("also_possible", []) if self._element_visible(x)],
            "blast_radius": {**counts, "endpoints": endpoints},
        }

    def _element_visible(self, element: str) -> bool:
        """A device, a link or a duct (ducts are shared: visible when every link in them is)."""
        if element in self.network.devices:
            return element in self.devices
        if element in self.network.links_by_id:
            return element in self.links
        ducted = [lk.id for lk in self.network.links if element in lk.ducts]
        return bool(ducted) and all(x in self.links for x in ducted)

    def path(self, hops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A path to the core with the hops outside the district folded into one opaque hop.

        The folded hop says how many hops it stands for and whether all of them are up, so that a
        district sees "the break is upstream, outside this district" without any name from there.
        """
        if self.everything:
            return hops
        out: list[dict[str, Any]] = []
        for hop in hops:
            mine = hop["device"] in self.devices
            if mine:
                kept = dict(hop)
                if "link" in kept and kept["link"] not in self.links:
                    kept["link"] = OUTSIDE  # the uplink to another district: its state, not its name
                out.append(kept)
                continue
            states = {hop["status"], *([hop["link_state"]] if "link_state" in hop else [])}
            if out and out[-1]["device"] == OUTSIDE:
                folded = out[-1]
                folded["hops"] += 1
                folded["states"] |= states
            else:
                out.append({"device": OUTSIDE, "hops": 1, "states": states})
        for hop in out:
            if hop["device"] == OUTSIDE and "states" in hop:
                states = hop.pop("states")
                bad = states - {"up"}
                hop["status"] = "up" if not bad else "unknown" if bad <= {"unknown"} else "down"
        return out
