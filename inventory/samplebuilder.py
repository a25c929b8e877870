"""The sample's builder: its address plan, handed out in order, and the inventory's model
objects it makes (validated as they are made), file by file; :func:`plain` writes each as the
inventory files do (what was given to it, interface ranges compacted).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

from pydantic import BaseModel

from govnet.inventory.models import Agency, AgencyType, Duct, Link, Medium, Protocol, Role, ServiceLevel, Site
from govnet.inventory.models import Device as DeviceModel
from govnet.inventory.samplefacts import DistrictFacts

SEED = 20261122

MGMT = IPv4Network("198.18.0.0/22")
LOOPBACKS = IPv4Network("198.18.4.0/22")
P2P = IPv4Network("198.18.8.0/21")
LANS = IPv4Network("198.19.0.0/16")
TRAP_RECEIVER, NTP_SERVER, SYSLOG_SERVER = (IPv4Address(f"198.18.0.{n}") for n in (1, 2, 3))


def slug(text: str) -> str:
    """ASCII slug of a Vietnamese name.

    >>> slug("Sở Thông tin và Truyền thông")
    'so-thong-tin-va-truyen-thong'
    >>> slug("Đắk Ơ")
    'dak-o'
    """
    text = text.replace("Đ", "D").replace("đ", "d")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = "".join(c.lower() if c.isalnum() else "-" for c in plain)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<n>\d+)$")


def compact_interfaces(names: list[str]) -> list[str]:
    """The inverse of :func:`govnet.inventory.models.expand_interfaces` over a list: runs of
    consecutive numbers become one ``[lo-hi]`` item.

    >>> compact_interfaces(["eth1", "eth2", "eth3", "lo", "eth5"])
    ['eth[1-3]', 'lo', 'eth5']
    >>> compact_interfaces(["eth1"])
    ['eth1']
    """
    out: list[str] = []
    run: tuple[str, int, int] | None = None  # stem, first, last

    def flush() -> None:
        if run is not None:
            stem, lo, hi = run
            out.append(f"{stem}{lo}" if lo == hi else f"{stem}[{lo}-{hi}]")

    for name in names:
        match = _NUMBERED.match(name)
        if match and run is not None and match["stem"] == run[0] and int(match["n"]) == run[2] + 1:
            run = (run[0], run[1], run[2] + 1)
            continue
        flush()
        run = (match["stem"], int(match["n"]), int(match["n"])) if match else None
        if not match:
            out.append(name)
    flush()
    return out


def plain(model: BaseModel) -> dict[str, Any]:
    """What was given to a model, as the inventory files write it (interface ranges compacted)."""
    data = model.model_dump(mode="json", exclude_unset=True)
    if isinstance(model, DeviceModel):
        data["interfaces"] = compact_interfaces(model.interfaces)
    return data


@dataclass
class _Allocator:
    """Hands out addresses in order from the sample's address plan."""

    mgmt: Iterator[IPv4Address] = field(default_factory=lambda: iter(list(MGMT.hosts())[9:]))
    loopbacks: Iterator[IPv4Address] = field(default_factory=lambda: iter(LOOPBACKS.hosts()))
    p2p: Iterator[IPv4Network] = field(default_factory=lambda: P2P.subnets(new_prefix=31))
    lans: Iterator[IPv4Network] = field(default_factory=lambda: LANS.subnets(new_prefix=28))


#: Each platform's port names as the device prints them, and the number of its first port.
PORT_NAMES: dict[str, tuple[str, int]] = {
    "frr": ("eth", 1),
    "cisco_ios": ("GigabitEthernet0/0/", 0),  # an ISR 4000's built-in ports
    "huawei_vrp": ("GE0/0/", 0),  # a NetEngine AR's
    "mikrotik_routeros": ("ether", 1),
}


def port_name(platform: str, n: int) -> str:
    """The device's own name of its n-th port (n from 1).

    >>> port_name("cisco_ios", 1), port_name("huawei_vrp", 2), port_name("mikrotik_routeros", 1)
    ('GigabitEthernet0/0/0', 'GE0/0/1', 'ether1')
    """
    stem, first = PORT_NAMES[platform]
    return f"{stem}{first + n - 1}"


def port_range(platform: str, count: int) -> str:
    """The inventory's range item for a device's first ``count`` ports.

    >>> port_range("frr", 24), port_range("mikrotik_routeros", 1)
    ('eth[1-24]', 'ether1')
    """
    stem, first = PORT_NAMES[platform]
    return f"{stem}{first}" if count == 1 else f"{stem}[{first}-{first + count - 1}]"


class Builder:
    """Makes the sample's model objects file by file, drawing addresses and jitter in order."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.alloc = _Allocator()
        self.ports: dict[str, int] = {}
        self.platforms: dict[str, str] = {}
        self.next_asn = 65100
        self.files: dict[str, dict[str, list[BaseModel]]] = {}
        self.ducts: list[Duct] = []

    def section(self, file: str, name: str) -> list[BaseModel]:
        return self.files.setdefault(file, {}).setdefault(name, [])

    def port(self, device: str) -> str:
        self.ports[device] = self.ports.get(device, 0) + 1
        return port_name(self.platforms[device], self.ports[device])

    def jitter(self, lat: float, lon: float, spread: float) -> tuple[float, float]:
        return (
            round(lat + self.rng.uniform(-spread, spread), 5),
            round(lon + self.rng.uniform(-spread, spread), 5),
        )

    def duct(self, id_: str, name: str, km: float | None = None) -> str:
        self.ducts.append(Duct(id=id_, name=name) if km is None else Duct(id=id_, name=name, length_km=km))
        return id_

    def site(
        self,
        file: str,
        id_: str,
        name: str,
        kind: str,
        district: str,
        commune: str | None,
        lat: float,
        lon: float,
    ) -> None:
        given: dict[str, Any] = {"id": id_, "name": name, "kind": kind, "district": district}
        if commune:
            given["commune"] = commune
        self.section(file, "sites").append(Site(**given, lat=lat, lon=lon))

    def device(
        self,
        file: str,
        name: str,
        role: str,
        platform: str,
        site: str,
        ports: int,
        snmp: str = "v3-default",
        loopback: bool = True,
        asn: int | None = None,
    ) -> None:
        self.platforms[name] = platform
        given: dict[str, Any] = {"mgmt_ip": next(self.alloc.mgmt)}
        if loopback:
            given["loopback"] = next(self.alloc.loopbacks)
        if asn is not None:
            given["asn"] = asn
        device = DeviceModel(
            name=name,
            role=Role(role),
            platform=platform,
            site=site,
            snmp_profile=snmp,
            ssh_credential="ssh-netops",
            interfaces=[port_range(platform, ports)],
            **given,
        )
        self.section(file, "devices").append(device)

    def link(
        self,
        file: str,
        a: str,
        b: str,
        capacity: int,
        medium: str,
        ducts: list[str],
        protocol: str = "ospf",
        traffic: float | None = None,
    ) -> None:
        net = next(self.alloc.p2p)
        lo, hi = list(net)
        given: dict[str, Any] = {}
        if ducts:
            given["ducts"] = ducts
        if traffic is not None:
            given["traffic_mbps"] = traffic
        link = Link(
            a=f"{a}:{self.port(a)}",
            b=f"{b}:{self.port(b)}",
            a_ip=IPv4Interface(f"{lo}/31"),
            b_ip=IPv4Interface(f"{hi}/31"),
            capacity_mbps=capacity,
            medium=Medium(medium),
            protocol=Protocol(protocol),
            **given,
        )
        self.section(file, "links").append(link)

    def agency(
        self,
        file: str,
        name: str,
        type_: str,
        level: str,
        district: DistrictFacts,
        commune: str | None,
        kind: str,
        lat: float,
        lon: float,
        hub: str,
        feeder: str | None,
        dual: list[tuple[str, list[str]]] | None = None,
        short: str | None = None,
    ) -> None:
        # Provincial bodies keep their plain name; district and commune ones get the district code
        # in front of a short form of the name.
        id_ = slug(name) if file.endswith("provincial.yaml") else slug(f"{district.code} {short or name}")
        cpe = f"cpe-{id_}"[:63]
        site_id = f"site-{id_}"
        self.site(file, site_id, name, kind, district.id, commune, lat, lon)
        asn = None
        if dual:
            asn = self.next_asn
            self.next_asn += 1
        # Dual-homed agencies have a Cisco router: two uplinks and a LAN port.
        platform, ports = ("cisco_ios", 3) if dual else ("frr", 1)
        self.device(file, cpe, "cpe", platform, site_id, ports, loopback=False, asn=asn)
        lan = next(self.alloc.lans)
        self.section(file, "agencies").append(
            Agency(
                id=id_,
                name=name,
                type=AgencyType(type_),
                site=site_id,
                cpe=cpe,
                service_level=ServiceLevel(level),
                lan_prefix=lan,
            )
        )
        if dual:
            for uplink, ducts in dual:
                self.link(
                    file,
                    uplink,
                    cpe,
                    100,
                    "fiber",
                    ducts,
                    protocol="bgp",
                    traffic=round(self.rng.uniform(3, 12), 1),
                )
        else:
            self.link(
                file,
                hub,
                cpe,
                100,
                "fiber",
                [feeder] if feeder else [],
                protocol="static",
                traffic=round(self.rng.uniform(0.5, 4), 1),
            )
