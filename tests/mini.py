"""A small, valid inventory written to a temporary directory, for tests to break one field at a time."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from govnet.inventory.yamlfile import dump_yaml

#: Secret values the mini inventory needs, handed to govnet through GOVNET_SECRET_* variables.
MINI_SECRETS = {
    "GOVNET_SECRET_MINI_SSH": "mini-ssh-Xq81!pass",
    "GOVNET_SECRET_MINI_AUTH": "mini-auth-7cTq0zKe",
    "GOVNET_SECRET_MINI_PRIV": "mini-priv-Lr55pWn2",
    "GOVNET_SECRET_MINI_COMMUNITY": "mini-community-93jf",
}


def mini_files() -> dict[str, dict[str, Any]]:
    """Two files: the province with its plan and credentials, and the network itself."""
    return copy.deepcopy(
        {
            "province.yaml": {
                "province": {
                    "name": "Tỉnh Thử Nghiệm",
                    "code": "TN",
                    "bbox": {"min_lat": 11.0, "max_lat": 12.0, "min_lon": 106.0, "max_lon": 107.0},
                    "districts": [
                        {"id": "trung-tam", "name": "Trung Tâm", "kind": "city"},
                        {"id": "bac", "name": "Huyện Bắc"},
                    ],
                },
                "subnets": [
                    {"name": "mgmt", "prefix": "198.18.0.0/24", "purpose": "management"},
                    {"name": "loops", "prefix": "198.18.1.0/24", "purpose": "loopback"},
                    {"name": "p2p", "prefix": "198.18.2.0/24", "purpose": "p2p"},
                    {"name": "lans", "prefix": "198.19.0.0/24", "purpose": "lan"},
                ],
                "credentials": [
                    {"name": "ssh", "kind": "ssh", "username": "netops", "password": {"secret": "mini-ssh"}},
                    {
                        "name": "v3",
                        "kind": "snmp_v3",
                        "username": "noc",
                        "auth_key": {"secret": "mini-auth"},
                        "priv_key": {"secret": "mini-priv"},
                    },
                    {"name": "v2", "kind": "snmp_v2c", "community": {"secret": "mini-community"}},
                ],
                "snmp_profiles": [
                    {"name": "default", "version": "3", "credential": "v3"},
                    {"name": "legacy", "version": "2c", "credential": "v2"},
                ],
            },
            "network.yaml": {
                "ducts": [{"id": "d1", "name": "Ống 1"}, {"id": "d2", "name": "Ống 2"}],
                "sites": [
                    {
                        "id": "dc",
                        "name": "Trung tâm dữ liệu",
                        "kind": "datacenter",
                        "district": "trung-tam",
                        "lat": 11.5,
                        "lon": 106.5,
                    },
                    {
                        "id": "hub-bac",
                        "name": "Điểm nút Bắc",
                        "kind": "hub",
                        "district": "bac",
                        "lat": 11.8,
                        "lon": 106.6,
                    },
                    {
                        "id": "ubnd-bac",
                        "name": "UBND huyện Bắc",
                        "kind": "agency",
                        "district": "bac",
                        "commune": "Xã Một",
                        "lat": 11.81,
                        "lon": 106.61,
                    },
                    {
                        "id": "tram-y-te",
                        "name": "Trạm Y tế xã Một",
                        "kind": "commune_office",
                        "district": "bac",
                        "lat": 11.82,
                        "lon": 106.62,
                    },
                ],
                "devices": [
                    {
                        "name": "core-a",
                        "role": "core",
                        "platform": "frr",
                        "site": "dc",
                        "mgmt_ip": "198.18.0.10",
                        "loopback": "198.18.1.1",
                        "snmp_profile": "default",
                        "ssh_credential": "ssh",
                        "interfaces": ["eth[1-4]"],
                        "asn": 65000,
                    },
                    {
                        "name": "hub-a",
                        "role": "hub",
                        "platform": "frr",
                        "site": "hub-bac",
                        "mgmt_ip": "198.18.0.11",
                        "loopback": "198.18.1.2",
                        "snmp_profile": "default",
                        "ssh_credential": "ssh",
                        "interfaces": ["eth[1-8]"],
                        "asn": 65001,
                    },
                    {
                        "name": "cpe-ubnd",
                        "role": "cpe",
                        "platform": "cisco_ios",
                        "site": "ubnd-bac",
                        "mgmt_ip": "198.18.0.12",
                        "snmp_profile": "default",
                        "ssh_credential": "ssh",
                        "interfaces": ["GigabitEthernet0/0/[0-2]"],
                        "asn": 65100,
                    },
                    {
                        "name": "cpe-tyt",
                        "role": "cpe",
                        "platform": "mikrotik_routeros",
                        "site": "tram-y-te",
                        "mgmt_ip": "198.18.0.13",
                        "snmp_profile": "legacy",
                        "ssh_credential": "ssh",
                        "interfaces": ["ether[1-2]"],
                    },
                ],
                "agencies": [
                    {
                        "id": "ubnd-bac",
                        "name": "UBND huyện Bắc",
                        "type": "district_committee",
                        "site": "ubnd-bac",
                        "cpe": "cpe-ubnd",
                        "service_level": "gold",
                        "lan_prefix": "198.19.0.0/28",
                    },
                    {
                        "id": "tyt-mot",
                        "name": "Trạm Y tế xã Một",
                        "type": "health_station",
                        "site": "tram-y-te",
                        "cpe": "cpe-tyt",
                        "service_level": "bronze",
                        "lan_prefix": "198.19.0.16/28",
                    },
                ],
                "links": [
                    {
                        "a": "core-a:eth1",
                        "b": "hub-a:eth1",
                        "a_ip": "198.18.2.0/31",
                        "b_ip": "198.18.2.1/31",
                        "capacity_mbps": 1000,
                        "medium": "fiber",
                        "ducts": ["d1"],
                    },
                    {
                        "a": "core-a:eth2",
                        "b": "hub-a:eth2",
                        "a_ip": "198.18.2.2/31",
                        "b_ip": "198.18.2.3/31",
                        "capacity_mbps": 1000,
                        "medium": "fiber",
                        "ducts": ["d2"],
                    },
                    {
                        "a": "hub-a:eth3",
                        "b": "cpe-ubnd:GigabitEthernet0/0/0",
                        "a_ip": "198.18.2.4/31",
                        "b_ip": "198.18.2.5/31",
                        "capacity_mbps": 100,
                        "medium": "fiber",
                        "protocol": "bgp",
                    },
                    {
                        "a": "core-a:eth3",
                        "b": "cpe-ubnd:GigabitEthernet0/0/1",
                        "a_ip": "198.18.2.6/31",
                        "b_ip": "198.18.2.7/31",
                        "capacity_mbps": 100,
                        "medium": "microwave",
                        "protocol": "bgp",
                    },
                    {
                        "a": "hub-a:eth4",
                        "b": "cpe-tyt:ether1",
                        "a_ip": "198.18.2.8/31",
                        "b_ip": "198.18.2.9/31",
                        "capacity_mbps": 100,
                        "medium": "copper",
                        "protocol": "static",
                    },
                ],
            },
        }
    )


def write_inventory(root: Path, files: dict[str, dict[str, Any]]) -> Path:
    """Write the files as YAML under ``root`` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / name).write_text(dump_yaml(data), encoding="utf-8")
    return root
