"""Generate the sample province, modelled on the Bình Phước deployment.

The committed YAML under ``inventory/sample/`` is this generator's output; a test checks the
two agree, so edit the generator and run ``python -m govnet.inventory.samplegen inventory/sample``.
Output is deterministic (a fixed seed for the coordinate jitter). Every address comes from
198.18.0.0/15, the range reserved for benchmarking network devices, so nothing in the sample
can ever aim at a real network.
"""

from __future__ import annotations

import itertools
import random
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from govnet.inventory.yamlfile import dump_yaml

SEED = 20261122

MGMT = IPv4Network("198.18.0.0/22")
LOOPBACKS = IPv4Network("198.18.4.0/22")
P2P = IPv4Network("198.18.8.0/21")
LANS = IPv4Network("198.19.0.0/16")

DC_LAT, DC_LON = 11.5349, 106.8832

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


@dataclass(frozen=True)
class DistrictSpec:
    """One district-level unit of the sample and what stands in it."""

    id: str
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    communes: tuple[tuple[str, str], ...]  # (ward/commune word, name)
    party: str  # 'Huyện ủy', 'Thị ủy' or 'Thành ủy'


def _district(
    id_: str, code: str, name: str, kind: str, lat: float, lon: float, word: str, names: str
) -> DistrictSpec:
    party = {"city": "Thành ủy", "town": "Thị ủy"}.get(kind, "Huyện ủy")
    return DistrictSpec(id_, code, name, kind, lat, lon, tuple((word, n) for n in names.split(", ")), party)


DISTRICTS: tuple[DistrictSpec, ...] = (
    _district(
        "dong-xoai",
        "dx",
        "Đồng Xoài",
        "city",
        11.5349,
        106.8832,
        "phường",
        "Tân Phú, Tân Đồng, Tân Bình, Tân Xuân, Tân Thiện, Tiến Thành, Tiến Hưng",
    ),
    _district(
        "dong-phu",
        "dp",
        "Đồng Phú",
        "district",
        11.4710,
        106.9850,
        "xã",
        "Tân Tiến, Đồng Tâm, Đồng Tiến, Tân Hòa, Tân Hưng, Tân Lập, Thuận Lợi",
    ),
    _district(
        "bu-dang",
        "bdg",
        "Bù Đăng",
        "district",
        11.8000,
        107.2400,
        "xã",
        "Đức Phong, Bom Bo, Đắk Nhau, Đăng Hà, Nghĩa Trung, Thống Nhất, Phước Sơn",
    ),
    _district(
        "phu-rieng",
        "pr",
        "Phú Riềng",
        "district",
        11.7000,
        106.9300,
        "xã",
        "Bù Nho, Long Bình, Long Hà, Long Hưng, Long Tân, Phú Trung, Phước Tân",
    ),
    _district(
        "phuoc-long",
        "pl",
        "Phước Long",
        "town",
        11.8330,
        106.9950,
        "phường",
        "Long Thủy, Phước Bình, Thác Mơ, Sơn Giang, Long Phước, Phước Tín, Long Giang",
    ),
    _district(
        "bu-gia-map",
        "bgm",
        "Bù Gia Mập",
        "district",
        11.9300,
        107.0700,
        "xã",
        "Phú Nghĩa, Đa Kia, Bình Thắng, Đắk Ơ, Đức Hạnh, Phú Văn, Phước Minh",
    ),
    _district(
        "bu-dop",
        "bdp",
        "Bù Đốp",
        "district",
        11.9830,
        106.8330,
        "xã",
        "Thanh Bình, Thiện Hưng, Hưng Phước, Phước Thiện, Tân Thành, Tân Tiến, Thanh Hòa",
    ),
    _district(
        "loc-ninh",
        "ln",
        "Lộc Ninh",
        "district",
        11.8400,
        106.5900,
        "xã",
        "Lộc Ninh, Lộc An, Lộc Điền, Lộc Hiệp, Lộc Hòa, Lộc Hưng, Lộc Thái",
    ),
    _district(
        "binh-long",
        "bl",
        "Bình Long",
        "town",
        11.6520,
        106.6070,
        "phường",
        "An Lộc, Hưng Chiến, Phú Đức, Phú Thịnh, Thanh Lương, Thanh Phú, An Phú",
    ),
    _district(
        "hon-quan",
        "hq",
        "Hớn Quản",
        "district",
        11.5500,
        106.6200,
        "xã",
        "Tân Khai, An Khương, Đồng Nơ, Minh Đức, Phước An, Tân Hiệp, Thanh An",
    ),
    _district(
        "chon-thanh",
        "ct",
        "Chơn Thành",
        "town",
        11.4280,
        106.6550,
        "phường",
        "Hưng Long, Minh Hưng, Minh Long, Minh Thành, Nha Bích, Quang Minh, Thành Tâm",
    ),
)

#: The MAN ring, in order from core-01 to core-02; Bù Gia Mập hangs off Phước Long on a spur.
RING = ("dx", "dp", "bdg", "pr", "pl", "bdp", "ln", "bl", "hq", "ct")
SPUR = ("pl", "bgm")

#: Roads the ring fibers follow, by segment.
RING_ROADS = {
    ("core-01", "dx"): "Đường Phú Riềng Đỏ (Đồng Xoài)",
    ("dx", "dp"): "QL14 Đồng Xoài – Đồng Phú",
    ("dp", "bdg"): "QL14 Đồng Phú – Bù Đăng",
    ("bdg", "pr"): "ĐT760 Bù Đăng – Phú Riềng",
    ("pr", "pl"): "ĐT741 Phú Riềng – Phước Long",
    ("pl", "bdp"): "ĐT759 Phước Long – Bù Đốp",
    ("bdp", "ln"): "ĐT759B Bù Đốp – Lộc Ninh",
    ("ln", "bl"): "QL13 Lộc Ninh – Bình Long",
    ("bl", "hq"): "QL13 Bình Long – Hớn Quản",
    ("hq", "ct"): "QL13 Hớn Quản – Chơn Thành",
    ("ct", "core-02"): "QL13 Chơn Thành – Đồng Xoài",
}

PROVINCIAL: tuple[tuple[str, str, str], ...] = (
    ("Tỉnh ủy Bình Phước", "party_committee", "gold"),
    ("Văn phòng Đoàn ĐBQH và HĐND tỉnh", "provincial_leadership", "gold"),
    ("Văn phòng UBND tỉnh", "provincial_leadership", "gold"),
    ("Sở Nội vụ", "provincial_department", "silver"),
    ("Sở Tư pháp", "provincial_department", "silver"),
    ("Sở Kế hoạch và Đầu tư", "provincial_department", "silver"),
    ("Sở Tài chính", "provincial_department", "gold"),
    ("Sở Công Thương", "provincial_department", "silver"),
    ("Sở Nông nghiệp và Phát triển nông thôn", "provincial_department", "silver"),
    ("Sở Giao thông vận tải", "provincial_department", "silver"),
    ("Sở Xây dựng", "provincial_department", "silver"),
    ("Sở Tài nguyên và Môi trường", "provincial_department", "silver"),
    ("Sở Thông tin và Truyền thông", "provincial_department", "gold"),
    ("Sở Lao động - Thương binh và Xã hội", "provincial_department", "silver"),
    ("Sở Văn hóa, Thể thao và Du lịch", "provincial_department", "silver"),
    ("Sở Khoa học và Công nghệ", "provincial_department", "silver"),
    ("Sở Giáo dục và Đào tạo", "provincial_department", "silver"),
    ("Sở Y tế", "provincial_department", "gold"),
    ("Sở Ngoại vụ", "provincial_department", "bronze"),
    ("Thanh tra tỉnh", "provincial_department", "silver"),
    ("Ban Dân tộc tỉnh", "provincial_department", "bronze"),
    ("Ban Quản lý Khu kinh tế tỉnh", "provincial_department", "silver"),
    ("Công an tỉnh", "police", "gold"),
    ("Bộ Chỉ huy Quân sự tỉnh", "police", "gold"),
    ("Trung tâm Phục vụ hành chính công tỉnh", "public_service", "gold"),
    ("Đài Phát thanh và Truyền hình tỉnh", "public_service", "silver"),
    ("Bệnh viện Đa khoa tỉnh Bình Phước", "hospital", "gold"),
    ("Trung tâm Kiểm soát bệnh tật tỉnh", "public_service", "silver"),
    ("Trường Chính trị tỉnh", "school", "bronze"),
    ("Bảo hiểm xã hội tỉnh", "public_service", "silver"),
    ("Cục Thuế tỉnh", "public_service", "silver"),
    ("Kho bạc Nhà nước tỉnh", "public_service", "silver"),
)

DISTRICT_OFFICES: tuple[tuple[str, str, str], ...] = (
    ("Văn phòng HĐND và UBND", "district_office", "silver"),
    ("Phòng Nội vụ", "district_office", "bronze"),
    ("Phòng Tài chính - Kế hoạch", "district_office", "silver"),
    ("Phòng Tài nguyên và Môi trường", "district_office", "bronze"),
    ("Phòng Giáo dục và Đào tạo", "district_office", "bronze"),
    ("Phòng Văn hóa và Thông tin", "district_office", "bronze"),
    ("Phòng Lao động - Thương binh và Xã hội", "district_office", "bronze"),
    ("Phòng Tư pháp", "district_office", "bronze"),
)

#: (district code, name, medium) of the BTS sites on fiber (one on microwave) backhaul.
BTS = (
    ("dx", "BTS Tân Phú", "fiber"),
    ("ct", "BTS KCN Minh Hưng", "fiber"),
    ("bdg", "BTS Bom Bo", "microwave"),
    ("ln", "BTS cửa khẩu Hoa Lư", "fiber"),
    ("pl", "BTS Thác Mơ", "fiber"),
    ("hq", "BTS Tân Khai", "fiber"),
)

#: (district code, name) of the public WiFi hotspots: parks, squares and worker housing.
WIFI = (
    ("dx", "Quảng trường tỉnh Bình Phước"),
    ("dx", "Công viên Trung tâm Đồng Xoài"),
    ("dx", "Hồ Suối Cam"),
    ("dx", "Khu nhà ở công nhân KCN Đồng Xoài I"),
    ("dx", "Bến xe khách tỉnh"),
    ("dx", "Chợ Đồng Xoài"),
    ("ct", "Khu nhà ở công nhân KCN Minh Hưng – Hàn Quốc"),
    ("ct", "Khu nhà ở công nhân KCN Chơn Thành"),
    ("ct", "Công viên Chơn Thành"),
    ("bl", "Công viên Bình Long"),
    ("bl", "Khu di tích Căn cứ Tà Thiết"),
    ("pl", "Khu du lịch Bà Rá – Thác Mơ"),
    ("pl", "Công viên Phước Long"),
    ("hq", "Khu nhà ở công nhân KCN Becamex – Bình Phước"),
    ("dp", "Khu nhà ở công nhân KCN Đồng Phú"),
    ("dp", "Hồ Suối Giai"),
    ("ln", "Quảng trường Lộc Ninh"),
    ("ln", "Khu nhà ở công nhân KCN Lộc Ninh"),
    ("bdg", "Sóc Bom Bo"),
    ("bdp", "Công viên Thanh Bình"),
    ("bgm", "Vườn quốc gia Bù Gia Mập"),
    ("pr", "Công viên Phú Riềng"),
)


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


@dataclass
class _Allocator:
    """Hands out addresses in order from the sample's address plan."""

    mgmt: Iterator[IPv4Address] = field(default_factory=lambda: iter(list(MGMT.hosts())[9:]))
    loopbacks: Iterator[IPv4Address] = field(default_factory=lambda: iter(LOOPBACKS.hosts()))
    p2p: Iterator[IPv4Network] = field(default_factory=lambda: P2P.subnets(new_prefix=31))
    lans: Iterator[IPv4Network] = field(default_factory=lambda: LANS.subnets(new_prefix=28))


class _Builder:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.alloc = _Allocator()
        self.ports: dict[str, int] = {}
        self.platforms: dict[str, str] = {}
        self.next_asn = 65100
        self.files: dict[str, dict[str, list[Any]]] = {}

    def section(self, file: str, name: str) -> list[Any]:
        return self.files.setdefault(file, {}).setdefault(name, [])

    def port(self, device: str) -> str:
        self.ports[device] = self.ports.get(device, 0) + 1
        return port_name(self.platforms[device], self.ports[device])

    def jitter(self, lat: float, lon: float, spread: float) -> tuple[float, float]:
        return (
            round(lat + self.rng.uniform(-spread, spread), 5),
            round(lon + self.rng.uniform(-spread, spread), 5),
        )

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
        entry: dict[str, Any] = {"id": id_, "name": name, "kind": kind, "district": district}
        if commune:
            entry["commune"] = commune
        entry.update({"lat": lat, "lon": lon})
        self.section(file, "sites").append(entry)

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
        entry: dict[str, Any] = {
            "name": name,
            "role": role,
            "platform": platform,
            "site": site,
            "mgmt_ip": str(next(self.alloc.mgmt)),
        }
        if loopback:
            entry["loopback"] = str(next(self.alloc.loopbacks))
        entry.update(
            {
                "snmp_profile": snmp,
                "ssh_credential": "ssh-netops",
                "interfaces": [port_range(platform, ports)],
            }
        )
        if asn is not None:
            entry["asn"] = asn
        self.section(file, "devices").append(entry)

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
        entry: dict[str, Any] = {
            "a": f"{a}:{self.port(a)}",
            "b": f"{b}:{self.port(b)}",
            "a_ip": f"{lo}/31",
            "b_ip": f"{hi}/31",
            "capacity_mbps": capacity,
            "medium": medium,
        }
        if ducts:
            entry["ducts"] = ducts
        entry["protocol"] = protocol
        if traffic is not None:
            entry["traffic_mbps"] = traffic
        self.section(file, "links").append(entry)

    def agency(
        self,
        file: str,
        name: str,
        type_: str,
        level: str,
        district: DistrictSpec,
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
            {
                "id": id_,
                "name": name,
                "type": type_,
                "site": site_id,
                "cpe": cpe,
                "service_level": level,
                "lan_prefix": str(lan),
            }
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


def _province(b: _Builder) -> dict[str, Any]:
    return {
        "province": {
            "name": "Bình Phước",
            "code": "BP",
            "bbox": {"min_lat": 11.25, "max_lat": 12.30, "min_lon": 106.40, "max_lon": 107.45},
            "districts": [{"id": d.id, "name": d.name, "kind": d.kind} for d in DISTRICTS],
            "trap_receivers": [{"host": "198.18.0.1", "port": 162}],
            "ntp_servers": ["198.18.0.2"],
            "syslog_servers": ["198.18.0.3"],
        },
        "subnets": [
            {"name": "management", "prefix": str(MGMT), "purpose": "management"},
            {"name": "loopbacks", "prefix": str(LOOPBACKS), "purpose": "loopback"},
            {"name": "links", "prefix": str(P2P), "purpose": "p2p"},
            {"name": "agency-lans", "prefix": str(LANS), "purpose": "lan"},
        ],
        "credentials": [
            {
                "name": "ssh-netops",
                "kind": "ssh",
                "username": "netops",
                "password": {"secret": "ssh-netops-password", "generate": True},
            },
            {
                "name": "snmp-v3-noc",
                "kind": "snmp_v3",
                "username": "govnet-noc",
                "auth_protocol": "sha",
                "auth_key": {"secret": "snmp-v3-auth", "generate": True},
                "priv_protocol": "aes",
                "priv_key": {"secret": "snmp-v3-priv", "generate": True},
            },
            {
                "name": "snmp-v2c-wifi",
                "kind": "snmp_v2c",
                "community": {"secret": "snmp-v2c-wifi", "generate": True},
            },
        ],
        "snmp_profiles": [
            {"name": "v3-default", "version": "3", "credential": "snmp-v3-noc"},
            {"name": "v2c-legacy", "version": "2c", "credential": "snmp-v2c-wifi"},
        ],
    }


def build() -> dict[str, dict[str, Any]]:
    """Build every file of the sample as plain data, keyed by relative path."""
    b = _Builder()
    by_code = {d.code: d for d in DISTRICTS}
    ducts: list[dict[str, Any]] = []

    def duct(id_: str, name: str, km: float | None = None) -> str:
        entry: dict[str, Any] = {"id": id_, "name": name}
        if km is not None:
            entry["length_km"] = km
        ducts.append(entry)
        return id_

    core = "core.yaml"
    b.site(
        core,
        "dc-binh-phuoc",
        "Trung tâm dữ liệu tỉnh Bình Phước",
        "datacenter",
        "dong-xoai",
        "Tân Phú",
        DC_LAT,
        DC_LON,
    )
    for n in (1, 2):
        b.device(core, f"core-0{n}", "core", "frr", "dc-binh-phuoc", 24, asn=65000)
    for i, d in enumerate(DISTRICTS):
        lat, lon = (d.lat + 0.004, d.lon - 0.004) if d.code == "dx" else (d.lat, d.lon)
        b.site(core, f"hub-{d.id}", f"Điểm nút {d.name}", "hub", d.id, d.communes[0][1], lat, lon)
        b.device(core, f"hub-{d.code}", "hub", "frr", f"hub-{d.id}", 96, asn=65001 + i)
    b.device(core, "wlc-01", "wifi_controller", "frr", "dc-binh-phuoc", 2)

    b.link(
        core,
        "core-01",
        "core-02",
        10000,
        "fiber",
        [duct("dc-internal", "Cáp nội bộ trung tâm dữ liệu", 0.1)],
    )
    chain = ["core-01", *RING, "core-02"]
    shared_ct = duct(
        "ql13-chon-thanh-exit", "QL13 – cống ra khỏi thị xã Chơn Thành (chung cho hai hướng)", 2.5
    )
    for a, b_ in itertools.pairwise(chain):
        key = (a, b_)
        road = RING_ROADS[key]
        # The two "redundant" ring uplinks of Chơn Thành leave town in one duct: a hidden SPOF.
        ducts_here = [duct(f"ring-{slug(a)}-{slug(b_)}", road, round(b.rng.uniform(12, 45), 1))]
        if "ct" in key:
            ducts_here.append(shared_ct)
        name_a = a if a.startswith("core") else f"hub-{a}"
        name_b = b_ if b_.startswith("core") else f"hub-{b_}"
        b.rng.random()  # keep the random stream (and so every coordinate) stable
        b.link(core, name_a, name_b, 1000, "fiber", ducts_here)
    # Bù Gia Mập hangs off Phước Long: two parallel fibers, both in the same road duct.
    spur = duct("spur-pl-bgm", "ĐT741 Phước Long – Bù Gia Mập (hai sợi chung một ống)", 31.0)
    for _ in range(2):
        b.link(core, "hub-pl", "hub-bgm", 1000, "fiber", [spur])
    for n in (1, 2):
        b.link(core, f"core-0{n}", "wlc-01", 1000, "copper", [])

    # Provincial departments sit in Đồng Xoài; the gold ones are dual-homed (hub-dx and core-02).
    dx = by_code["dx"]
    north = duct("dx-city-north", "Tuyến cáp nội thị Đồng Xoài – phía bắc", 6.0)
    south = duct("dx-city-south", "Tuyến cáp nội thị Đồng Xoài – phía nam", 7.5)
    phu_rieng_do = duct("dx-phu-rieng-do", "Đường Phú Riềng Đỏ – ống cáp chung", 3.2)
    prov_file = "districts/provincial.yaml"
    for name, type_, level in PROVINCIAL:
        lat, lon = b.jitter(DC_LAT, DC_LON, 0.02)
        dual: list[tuple[str, list[str]]] | None = None
        if level == "gold":
            if type_ == "hospital":
                # "Redundant" uplinks of the provincial hospital share one duct.
                dual = [("hub-dx", [phu_rieng_do]), ("core-02", [phu_rieng_do])]
            else:
                dual = [("hub-dx", [north]), ("core-02", [south])]
        b.agency(prov_file, name, type_, level, dx, None, "agency", lat, lon, "hub-dx", north, dual)

    for d in DISTRICTS:
        file = f"districts/{d.id}.yaml"
        hub = f"hub-{d.code}"
        centre = duct(f"{d.code}-centre", f"Tuyến cáp trung tâm {d.name}", round(b.rng.uniform(2, 6), 1))
        centre_b = duct(
            f"{d.code}-centre-b",
            f"Tuyến cáp trung tâm {d.name} – hướng thứ hai",
            round(b.rng.uniform(2, 6), 1),
        )
        unit = {"city": "thành phố", "town": "thị xã"}.get(d.kind, "huyện")
        lat, lon = b.jitter(d.lat, d.lon, 0.01)
        b.agency(
            file,
            f"UBND {unit} {d.name}",
            "district_committee",
            "gold",
            d,
            d.communes[0][1],
            "agency",
            lat,
            lon,
            hub,
            centre,
            dual=[(hub, [centre]), (hub, [centre_b])],
            short="UBND",
        )
        others: list[tuple[str, str, str, str]] = [(d.party, "party_committee", "silver", "")]
        others += [(n, t, lvl, f" {unit}") for n, t, lvl in DISTRICT_OFFICES]
        others += [
            ("Trung tâm Y tế", "hospital", "gold", f" {unit}"),
            ("Công an", "police", "silver", f" {unit}"),
        ]
        for short, type_, level, unit_word in others:
            lat, lon = b.jitter(d.lat, d.lon, 0.015)
            b.agency(
                file,
                f"{short}{unit_word} {d.name}",
                type_,
                level,
                d,
                d.communes[0][1],
                "agency",
                lat,
                lon,
                hub,
                centre,
                short=short,
            )
        for word, commune in d.communes:
            feeder = duct(
                f"{d.code}-feeder-{slug(commune)}",
                f"Tuyến cáp {word} {commune} ({d.name})",
                round(b.rng.uniform(3, 18), 1),
            )
            lat, lon = b.jitter(d.lat, d.lon, 0.09)
            for name, type_, level in (
                (f"UBND {word} {commune}", "commune_committee", "silver"),
                (f"Trạm Y tế {word} {commune}", "health_station", "bronze"),
            ):
                plat, plon = b.jitter(lat, lon, 0.004)
                b.agency(file, name, type_, level, d, commune, "commune_office", plat, plon, hub, feeder)

    for n, (code, name, medium) in enumerate(BTS, start=1):
        d = by_code[code]
        file = f"districts/{d.id}.yaml"
        site_id = f"bts-{code}-{n:02d}"
        lat, lon = b.jitter(d.lat, d.lon, 0.06)
        b.site(file, site_id, name, "bts", d.id, None, lat, lon)
        b.device(file, f"bts-rtr-{code}-{n:02d}", "bts_router", "huawei_vrp", site_id, 2)
        backhaul = (
            [] if medium == "microwave" else [duct(f"bts-{code}-{n:02d}-backhaul", f"Cáp quang {name}")]
        )
        b.link(
            file,
            f"hub-{code}",
            f"bts-rtr-{code}-{n:02d}",
            1000,
            medium,
            backhaul,
            traffic=round(b.rng.uniform(40, 120), 1),
        )

    for n, (code, name) in enumerate(WIFI, start=1):
        d = by_code[code]
        file = f"districts/{d.id}.yaml"
        site_id = f"wifi-{code}-{n:02d}"
        lat, lon = b.jitter(d.lat, d.lon, 0.03)
        b.site(file, site_id, name, "wifi", d.id, None, lat, lon)
        b.device(
            file,
            f"ap-{code}-{n:02d}",
            "wifi_ap",
            "mikrotik_routeros",
            site_id,
            1,
            snmp="v2c-legacy",
            loopback=False,
        )
        b.link(
            file,
            f"hub-{code}",
            f"ap-{code}-{n:02d}",
            100,
            "copper" if n % 3 == 0 else "fiber",
            [],
            protocol="static",
            traffic=round(b.rng.uniform(2, 15), 1),
        )

    files: dict[str, dict[str, Any]] = {"province.yaml": _province(b), "ducts.yaml": {"ducts": ducts}}
    files.update(b.files)
    return files


HEADERS = {
    "province.yaml": "The province, its address plan (all in 198.18.0.0/15, RFC 2544), credentials "
    "by name and SNMP profiles.\n# Secret values are never here: see the README "
    "(secrets file, GOVNET_SECRET_* variables).",
    "ducts.yaml": "Fiber ducts and trenches: links in one duct share one risk.",
    "core.yaml": "The data centre, its two core routers, the district hubs and the MAN ring.",
}


def write(outdir: Path) -> list[Path]:
    """Write the sample under ``outdir`` (created if needed); return the files written."""
    written: list[Path] = []
    for rel, data in build().items():
        path = outdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        header = HEADERS.get(rel, f"Sites, devices, agencies and links of {rel.rsplit('/', 1)[-1][:-5]}.")
        text = f"# {header}\n# Generated by `python -m govnet.inventory.samplegen`; keep the two in step.\n"
        path.write_text(text + dump_yaml(data), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m govnet.inventory.samplegen OUTDIR``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m govnet.inventory.samplegen OUTDIR", file=sys.stderr)
        return 2
    for path in write(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
