"""The rules that need the whole inventory: uniqueness, cross-references, addressing.

Each rule appends :class:`~govnet.inventory.problems.Problem` objects instead of stopping, so a
user sees every mistake in one run. Secrets are checked by :mod:`govnet.inventory.checks.secrets`;
:mod:`govnet.inventory.checks.build` puts the network together.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Any, TypeVar

from pydantic import BaseModel

from govnet.inventory.models import (
    Agency,
    Device,
    Link,
    Protocol,
    Province,
    Role,
    Site,
    SNMPProfile,
    SNMPv2cCredential,
    SNMPv3Credential,
    SSHCredential,
    Subnet,
    SubnetPurpose,
)
from govnet.inventory.parsed import Entry, Parsed, problem_at
from govnet.inventory.problems import Problem

M = TypeVar("M", bound=BaseModel)


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def _unique(
    entries: list[Entry], key: Callable[[Any], object], field: str, what: str, problems: list[Problem]
) -> dict[object, Entry]:
    """Index entries by key; every later duplicate is a problem naming the first."""
    seen: dict[object, Entry] = {}
    for entry in entries:
        value = key(entry.model)
        if value is None:
            continue
        first = seen.get(value)
        if first is not None:
            problems.append(
                problem_at(
                    entry,
                    field,
                    f"{what} {value} is already used by {first.label} ({first.file}:{first.line_of(field)})",
                    f"give each entry its own {what}",
                )
            )
        else:
            seen[value] = entry
    return seen


def _in_subnets(address: IPv4Address | IPv4Network, subnets: list[Subnet]) -> bool:
    for subnet in subnets:
        if isinstance(address, IPv4Network):
            if address.subnet_of(subnet.prefix):
                return True
        elif address in subnet.prefix:
            return True
    return False


def _subnet_text(subnets: list[Subnet]) -> str:
    return ", ".join(f"{s.name} {s.prefix}" for s in subnets) or "none declared"


@dataclass
class Indexed:
    """The entries by section, each unique one by its key (name or id), as the rules found them."""

    province: Province | None
    subnets: dict[object, Entry]
    credentials: dict[object, Entry]
    snmp_profiles: dict[object, Entry]
    ducts: dict[object, Entry]
    sites: dict[object, Entry]
    devices: dict[object, Entry]
    agencies: dict[object, Entry]
    by_section: dict[str, list[Entry]]


class _Checker:
    """Runs every whole-inventory rule over the parsed entries."""

    def __init__(self, parsed: Parsed) -> None:
        self.problems = parsed.problems
        self.broken = parsed.broken
        self.by_section: dict[str, list[Entry]] = defaultdict(list)
        for entry in parsed.entries:
            self.by_section[entry.section].append(entry)

    def missing(self, section: str, name: str, index: dict[object, Entry]) -> bool:
        """True when ``name`` is not in ``index`` and not an entry that already failed its schema."""
        return name not in index and name not in self.broken.get(section, set())

    def models(self, section: str, kind: type[M]) -> list[tuple[Entry, M]]:
        return [(e, e.model) for e in self.by_section[section] if isinstance(e.model, kind)]

    # ------------------------------------------------------------------ run

    def run(self) -> Indexed:
        p = self.problems
        provinces = self.by_section["province"]
        if not provinces:
            p.append(
                Problem(
                    ".",
                    None,
                    None,
                    "province",
                    "no file declares the 'province' section",
                    "add a province.yaml",
                )
            )
        for extra in provinces[1:]:
            p.append(
                problem_at(
                    extra,
                    None,
                    f"a second 'province' (the first is in {provinces[0].file})",
                    "declare it once",
                )
            )
        province = provinces[0].model if provinces else None
        assert province is None or isinstance(province, Province)

        subnets = _unique(self.by_section["subnets"], lambda m: m.name, "name", "subnet name", p)
        creds = _unique(self.by_section["credentials"], lambda m: m.name, "name", "credential name", p)
        profiles = _unique(self.by_section["snmp_profiles"], lambda m: m.name, "name", "SNMP profile name", p)
        ducts = _unique(self.by_section["ducts"], lambda m: m.id, "id", "duct id", p)
        sites = _unique(self.by_section["sites"], lambda m: m.id, "id", "site id", p)
        devices = _unique(self.by_section["devices"], lambda m: m.name, "name", "device name", p)
        agencies = _unique(self.by_section["agencies"], lambda m: m.id, "id", "agency id", p)
        _unique(self.by_section["devices"], lambda m: m.mgmt_ip, "mgmt_ip", "management address", p)
        _unique(self.by_section["devices"], lambda m: m.loopback, "loopback", "loopback address", p)

        plan: dict[SubnetPurpose, list[Subnet]] = defaultdict(list)
        for entry in subnets.values():
            assert isinstance(entry.model, Subnet)
            plan[entry.model.purpose].append(entry.model)
        self._check_subnet_overlaps(list(subnets.values()))

        if province is not None:
            self._check_districts(provinces[0], province)
        self._check_sites(province)
        self._check_profiles(creds)
        self._check_devices(sites, profiles, creds, plan)
        self._check_agencies(sites, devices, plan)
        self._check_links(devices, ducts, plan)
        return Indexed(
            province=province,
            subnets=subnets,
            credentials=creds,
            snmp_profiles=profiles,
            ducts=ducts,
            sites=sites,
            devices=devices,
            agencies=agencies,
            by_section=self.by_section,
        )

    # ------------------------------------------------------------------ sections

    def _check_subnet_overlaps(self, subnets: list[Entry]) -> None:
        for i, entry in enumerate(subnets):
            assert isinstance(entry.model, Subnet)
            for other in subnets[:i]:
                assert isinstance(other.model, Subnet)
                if entry.model.prefix.overlaps(other.model.prefix):
                    self.problems.append(
                        problem_at(
                            entry,
                            "prefix",
                            f"{entry.model.prefix} overlaps {other.label} ({other.model.prefix})",
                            "give each block of the address plan its own range",
                        )
                    )

    def _check_districts(self, entry: Entry, province: Province) -> None:
        seen: set[str] = set()
        for i, district in enumerate(province.districts):
            if district.id in seen:
                self.problems.append(
                    problem_at(
                        entry,
                        f"districts.{i}.id",
                        f"district id '{district.id}' is listed twice",
                        "remove one",
                    )
                )
            seen.add(district.id)

    def _check_sites(self, province: Province | None) -> None:
        districts = {d.id for d in province.districts} if province else set()
        for entry, site in self.models("sites", Site):
            if province is not None and site.district not in districts:
                self.problems.append(
                    problem_at(
                        entry,
                        "district",
                        f"unknown district '{site.district}'",
                        _suggest(site.district, districts) or "add it to province.districts",
                    )
                )
            if province is not None and not province.bbox.contains(site.lat, site.lon):
                box = province.bbox
                self.problems.append(
                    problem_at(
                        entry,
                        "lat",
                        f"({site.lat}, {site.lon}) lies outside the province "
                        f"(lat {box.min_lat}..{box.max_lat}, lon {box.min_lon}..{box.max_lon})",
                        "check the coordinates (latitude first, decimal degrees, WGS84)",
                    )
                )

    def _check_profiles(self, creds: dict[object, Entry]) -> None:
        for entry, profile in self.models("snmp_profiles", SNMPProfile):
            cred_entry = creds.get(profile.credential)
            if cred_entry is None:
                if not self.missing("credentials", profile.credential, creds):
                    continue
                self.problems.append(
                    problem_at(
                        entry,
                        "credential",
                        f"unknown credential '{profile.credential}'",
                        _suggest(profile.credential, (str(k) for k in creds))
                        or "declare it under 'credentials'",
                    )
                )
                continue
            wanted = SNMPv3Credential if profile.version == "3" else SNMPv2cCredential
            if not isinstance(cred_entry.model, wanted):
                self.problems.append(
                    problem_at(
                        entry,
                        "credential",
                        f"SNMP version {profile.version} needs a "
                        f"{'snmp_v3' if profile.version == '3' else 'snmp_v2c'} credential, "
                        f"'{profile.credential}' is {getattr(cred_entry.model, 'kind', '?')}",
                        "point the profile at a credential of the right kind",
                    )
                )

    def _check_devices(
        self,
        sites: dict[object, Entry],
        profiles: dict[object, Entry],
        creds: dict[object, Entry],
        plan: dict[SubnetPurpose, list[Subnet]],
    ) -> None:
        for entry, device in self.models("devices", Device):
            if self.missing("sites", device.site, sites):
                self.problems.append(
                    problem_at(
                        entry,
                        "site",
                        f"unknown site '{device.site}'",
                        _suggest(device.site, (str(k) for k in sites)) or "declare it under 'sites'",
                    )
                )
            if self.missing("snmp_profiles", device.snmp_profile, profiles):
                self.problems.append(
                    problem_at(
                        entry,
                        "snmp_profile",
                        f"unknown SNMP profile '{device.snmp_profile}'",
                        _suggest(device.snmp_profile, (str(k) for k in profiles))
                        or "declare it under 'snmp_profiles'",
                    )
                )
            cred = creds.get(device.ssh_credential)
            if self.missing("credentials", device.ssh_credential, creds):
                self.problems.append(
                    problem_at(
                        entry,
                        "ssh_credential",
                        f"unknown credential '{device.ssh_credential}'",
                        _suggest(device.ssh_credential, (str(k) for k in creds))
                        or "declare it under 'credentials'",
                    )
                )
            elif cred is not None and not isinstance(cred.model, SSHCredential):
                self.problems.append(
                    problem_at(
                        entry,
                        "ssh_credential",
                        f"'{device.ssh_credential}' is not an ssh credential",
                        "use kind: ssh",
                    )
                )
            mgmt = plan.get(SubnetPurpose.MANAGEMENT, [])
            if not _in_subnets(device.mgmt_ip, mgmt):
                self.problems.append(
                    problem_at(
                        entry,
                        "mgmt_ip",
                        f"{device.mgmt_ip} is outside its subnet (management: {_subnet_text(mgmt)})",
                        "take the address from a management subnet of the address plan",
                    )
                )
            loops = plan.get(SubnetPurpose.LOOPBACK, [])
            if device.loopback is not None and not _in_subnets(device.loopback, loops):
                self.problems.append(
                    problem_at(
                        entry,
                        "loopback",
                        f"{device.loopback} is outside its subnet (loopback: {_subnet_text(loops)})",
                        "take the address from a loopback subnet of the address plan",
                    )
                )

    def _check_agencies(
        self,
        sites: dict[object, Entry],
        devices: dict[object, Entry],
        plan: dict[SubnetPurpose, list[Subnet]],
    ) -> None:
        lans = plan.get(SubnetPurpose.LAN, [])
        seen_lan: list[tuple[IPv4Network, Entry]] = []
        for entry, agency in self.models("agencies", Agency):
            if self.missing("sites", agency.site, sites):
                self.problems.append(
                    problem_at(
                        entry,
                        "site",
                        f"unknown site '{agency.site}'",
                        _suggest(agency.site, (str(k) for k in sites)) or "declare it under 'sites'",
                    )
                )
            cpe = devices.get(agency.cpe)
            if self.missing("devices", agency.cpe, devices):
                self.problems.append(
                    problem_at(
                        entry,
                        "cpe",
                        f"unknown CPE '{agency.cpe}'",
                        _suggest(agency.cpe, (str(k) for k in devices)) or "declare the CPE under 'devices'",
                    )
                )
            elif cpe is not None and isinstance(cpe.model, Device) and cpe.model.role != Role.CPE:
                self.problems.append(
                    problem_at(
                        entry,
                        "cpe",
                        f"'{agency.cpe}' is a {cpe.model.role.value}, not a cpe",
                        "serve agencies through a device whose role is cpe",
                    )
                )
            if agency.lan_prefix is not None:
                if not _in_subnets(agency.lan_prefix, lans):
                    self.problems.append(
                        problem_at(
                            entry,
                            "lan_prefix",
                            f"{agency.lan_prefix} is outside its subnet (lan: {_subnet_text(lans)})",
                            "take the LAN from a lan subnet of the address plan",
                        )
                    )
                for other_prefix, other in seen_lan:
                    if agency.lan_prefix.overlaps(other_prefix):
                        self.problems.append(
                            problem_at(
                                entry,
                                "lan_prefix",
                                f"{agency.lan_prefix} overlaps {other.label} ({other_prefix})",
                                "give each agency its own LAN",
                            )
                        )
                        break
                seen_lan.append((agency.lan_prefix, entry))

    def _check_links(
        self,
        devices: dict[object, Entry],
        ducts: dict[object, Entry],
        plan: dict[SubnetPurpose, list[Subnet]],
    ) -> None:
        used: dict[str, Entry] = {}
        addresses: dict[IPv4Address, Entry] = {}
        p2p = plan.get(SubnetPurpose.P2P, [])
        for entry, link in self.models("links", Link):
            ends = (("a", link.a_device, link.a_interface), ("b", link.b_device, link.b_interface))
            if link.a_device == link.b_device:
                self.problems.append(
                    problem_at(
                        entry, "b", f"both ends are on device '{link.a_device}'", "a link joins two devices"
                    )
                )
            for field, device_name, interface in ends:
                dev_entry = devices.get(device_name)
                if dev_entry is None:
                    if not self.missing("devices", device_name, devices):
                        continue
                    self.problems.append(
                        problem_at(
                            entry,
                            field,
                            f"unknown device '{device_name}'",
                            _suggest(device_name, (str(k) for k in devices)) or "declare it under 'devices'",
                        )
                    )
                    continue
                assert isinstance(dev_entry.model, Device)
                if interface not in dev_entry.model.interfaces:
                    self.problems.append(
                        problem_at(
                            entry,
                            field,
                            f"device '{device_name}' has no interface '{interface}'",
                            _suggest(interface, dev_entry.model.interfaces)
                            or f"add it to the device's interfaces ({dev_entry.file}:{dev_entry.line})",
                        )
                    )
                    continue
                key = f"{device_name}:{interface}"
                first = used.get(key)
                if first is not None:
                    self.problems.append(
                        problem_at(
                            entry,
                            field,
                            f"interface {key} is already used by {first.label} ({first.file}:{first.line})",
                            "one interface carries one link: pick a free interface",
                        )
                    )
                else:
                    used[key] = entry
                if link.protocol == Protocol.BGP and dev_entry.model.asn is None:
                    self.problems.append(
                        problem_at(
                            entry,
                            "protocol",
                            f"BGP link, but device '{device_name}' has no 'asn'",
                            "give both devices an asn, or use protocol ospf or static",
                        )
                    )
            for duct in link.ducts:
                if self.missing("ducts", duct, ducts):
                    self.problems.append(
                        problem_at(
                            entry,
                            "ducts",
                            f"unknown duct '{duct}'",
                            _suggest(duct, (str(k) for k in ducts)) or "declare it under 'ducts'",
                        )
                    )
            if link.a_ip is not None and link.b_ip is not None:
                if link.a_ip.network != link.b_ip.network:
                    self.problems.append(
                        problem_at(
                            entry,
                            "b_ip",
                            f"{link.b_ip} is outside its subnet: end a uses {link.a_ip.network}",
                            "put both ends in the same subnet",
                        )
                    )
                elif link.a_ip.ip == link.b_ip.ip:
                    self.problems.append(problem_at(entry, "b_ip", "both ends have the same address", None))
                if not _in_subnets(link.a_ip.network, p2p):
                    self.problems.append(
                        problem_at(
                            entry,
                            "a_ip",
                            f"{link.a_ip} is outside its subnet (p2p: {_subnet_text(p2p)})",
                            "take link addresses from a p2p subnet of the address plan",
                        )
                    )
                for field, iface in (("a_ip", link.a_ip), ("b_ip", link.b_ip)):
                    first = addresses.get(iface.ip)
                    if first is not None:
                        self.problems.append(
                            problem_at(
                                entry,
                                field,
                                f"{iface.ip} is already used by {first.label}",
                                "pick a free address",
                            )
                        )
                    else:
                        addresses[iface.ip] = entry


def check_rules(parsed: Parsed) -> Indexed:
    """Apply every rule that needs the whole inventory; each broken one appends to ``parsed.problems``."""
    return _Checker(parsed).run()
