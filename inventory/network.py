"""The validated network description: what every other package reads.

A :class:`Network` is only ever built by :func:`govnet.inventory.loader.load_inventory`, after every
check has passed, so code downstream may rely on its cross-references being sound (every
link end names a real device and interface, every agency a real CPE, and so on).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pydantic import SecretStr

from govnet.inventory.models import (
    Agency,
    Credential,
    Device,
    Duct,
    Link,
    Province,
    Role,
    Site,
    SiteKind,
    SNMPProfile,
    SSHCredential,
    Subnet,
)


@dataclass(frozen=True)
class ResolvedSecrets:
    """Secret values by (credential name, field name); never printed in clear."""

    values: dict[tuple[str, str], SecretStr] = field(default_factory=dict)

    def get(self, credential: str, field_name: str) -> SecretStr:
        """The secret for one field of one credential."""
        return self.values[(credential, field_name)]

    def plain_values(self) -> set[str]:
        """Every secret value in clear, for masking output; never print the result."""
        return {v.get_secret_value() for v in self.values.values() if v.get_secret_value()}

    def __repr__(self) -> str:
        return f"ResolvedSecrets({len(self.values)} values)"


@dataclass(frozen=True, eq=False)
class Network:
    """The whole network as the inventory describes it."""

    path: Path
    province: Province
    subnets: dict[str, Subnet]
    credentials: dict[str, Credential]
    snmp_profiles: dict[str, SNMPProfile]
    ducts: dict[str, Duct]
    sites: dict[str, Site]
    devices: dict[str, Device]
    agencies: dict[str, Agency]
    links: list[Link]
    secrets: ResolvedSecrets = field(repr=False)
    #: (file relative to path, line) of each entry, keyed by (section, entry name).
    sources: dict[tuple[str, str], tuple[str, int]] = field(repr=False, default_factory=dict)

    # ----------------------------------------------------------------- lookups

    def district_of(self, device: str) -> str:
        """The district id of a device's site."""
        return self.sites[self.devices[device].site].district

    @cached_property
    def district_names(self) -> dict[str, str]:
        """District id to its Vietnamese name."""
        return {d.id: d.name for d in self.province.districts}

    @cached_property
    def agencies_by_cpe(self) -> dict[str, list[Agency]]:
        """Agencies served by each CPE."""
        result: dict[str, list[Agency]] = defaultdict(list)
        for agency in self.agencies.values():
            result[agency.cpe].append(agency)
        return dict(result)

    @cached_property
    def links_by_device(self) -> dict[str, list[Link]]:
        """Links touching each device."""
        result: dict[str, list[Link]] = defaultdict(list)
        for link in self.links:
            result[link.a_device].append(link)
            result[link.b_device].append(link)
        return dict(result)

    @cached_property
    def links_by_id(self) -> dict[str, Link]:
        """Links by their id."""
        return {link.id: link for link in self.links}

    def devices_with_role(self, *roles: Role) -> Iterator[Device]:
        """Devices whose role is one of ``roles``, in name order."""
        for name in sorted(self.devices):
            if self.devices[name].role in roles:
                yield self.devices[name]

    def sites_of_kind(self, kind: SiteKind) -> list[Site]:
        """Sites of one kind, in id order."""
        return [self.sites[s] for s in sorted(self.sites) if self.sites[s].kind == kind]

    def ssh_credential(self, device: str) -> SSHCredential:
        """The SSH credential of a device (the loader checked it is one)."""
        cred = self.credentials[self.devices[device].ssh_credential]
        assert isinstance(cred, SSHCredential)
        return cred

    # ----------------------------------------------------------------- figures

    def stats(self) -> dict[str, object]:
        """Counts for ``govnet inventory stats``: the keys the IOC and tests rely on."""
        roles: dict[str, int] = defaultdict(int)
        for device in self.devices.values():
            roles[device.role.value] += 1
        by_district: dict[str, int] = defaultdict(int)
        for agency in self.agencies.values():
            by_district[self.sites[agency.site].district] += 1
        dual = sum(1 for cpe in self.agencies_by_cpe if len(self.links_by_device.get(cpe, [])) > 1)
        return {
            "province": self.province.name,
            "agencies": len(self.agencies),
            "devices": len(self.devices),
            "links": len(self.links),
            "districts": len(self.province.districts),
            "sites": len(self.sites),
            "bts_sites": len(self.sites_of_kind(SiteKind.BTS)),
            "wifi_hotspots": len(self.sites_of_kind(SiteKind.WIFI)),
            "ducts": len(self.ducts),
            "dual_homed_cpes": dual,
            "devices_by_role": dict(sorted(roles.items())),
            "agencies_by_district": dict(sorted(by_district.items())),
        }
