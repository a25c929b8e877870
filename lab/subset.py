"""Which devices a lab of each size holds, and the lab's own inventory.

* ``small`` (at most 8 nodes): a core, two neighbouring hubs, a dual-homed (BGP) and two
  static CPEs, a BTS router and a WiFi AP: what integration tests use.
* ``medium`` (about 40): both cores, the five hubs nearest the core with five CPEs each, and
  their BTS routers and a few APs.
* ``province``: everything; CPEs and WiFi APs become light nodes (sshd, snmpd, lldpd and
  static routes, no FRR).

The lab's inventory is the subset with the lab's management addresses, ``frr`` as platform
(``linux`` for light nodes), Linux-safe interface names, lab credentials whose secrets live in
the lab's own secrets file, and the lab's trap receiver.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from govnet.errors import LabError
from govnet.inventory.loader import load_inventory
from govnet.inventory.models import Role
from govnet.inventory.network import Network
from govnet.inventory.yamlfile import dump_yaml

SIZES = ("small", "medium", "province")
LIGHT_ROLES = {Role.CPE, Role.WIFI_AP}
INFRA = {Role.CORE, Role.HUB}
#: The lab's own secrets (random per lab, in the lab's secrets file), named by its credentials.
LAB_SECRETS = ("lab-ssh-password", "lab-snmp-auth", "lab-snmp-priv", "lab-snmp-community")


def _hub_order(network: Network) -> list[str]:
    """Hubs in breadth-first order from the cores over core/hub links (ties by name)."""
    cores = sorted(d.name for d in network.devices_with_role(Role.CORE))
    seen = set(cores)
    order: list[str] = []
    queue = deque(cores)
    while queue:
        node = queue.popleft()
        neighbours = sorted(
            {
                lk.b_device if lk.a_device == node else lk.a_device
                for lk in network.links_by_device.get(node, [])
            }
        )
        for other in neighbours:
            if other not in seen and network.devices[other].role in INFRA:
                seen.add(other)
                queue.append(other)
                order.append(other)
    return order


def _attached(network: Network, hub: str, role: Role) -> list[str]:
    names = set()
    for lk in network.links_by_device.get(hub, []):
        other = lk.b_device if lk.a_device == hub else lk.a_device
        if network.devices[other].role == role:
            names.add(other)
    return sorted(names)


def _uplinks(network: Network, device: str) -> int:
    return len(network.links_by_device.get(device, []))


def select(network: Network, size: str) -> list[str]:
    """The device names of a lab of ``size``."""
    if size not in SIZES:
        raise LabError(f"unknown lab size '{size}'", hint=f"use one of {', '.join(SIZES)}")
    if size == "province":
        return sorted(network.devices)
    cores = sorted(d.name for d in network.devices_with_role(Role.CORE))
    hubs = _hub_order(network)
    if not cores or len(hubs) < 2:
        raise LabError(
            "the inventory needs a core and two hubs for a lab", hint="check the roles of the devices"
        )
    if size == "small":
        chosen = [cores[0], hubs[0]]
        # the second hub: a ring neighbour of the first
        second = next(
            (
                h
                for h in hubs[1:]
                if any({lk.a_device, lk.b_device} == {hubs[0], h} for lk in network.links_by_device[hubs[0]])
            ),
            hubs[1],
        )
        chosen.append(second)
        cpes_first = _attached(network, hubs[0], Role.CPE)
        dual = next((c for c in cpes_first if _uplinks(network, c) > 1), None)
        single = [c for c in cpes_first if _uplinks(network, c) == 1]
        chosen += [c for c in (dual, single[0] if single else None) if c]
        single_second = [c for c in _attached(network, second, Role.CPE) if _uplinks(network, c) == 1]
        chosen += single_second[:1]
        for role in (Role.BTS_ROUTER, Role.WIFI_AP):
            for hub in (hubs[0], second):
                found = _attached(network, hub, role)
                if found:
                    chosen.append(found[0])
                    break
        return chosen[:8]
    chosen = list(cores) + hubs[:5]
    for hub in hubs[:5]:
        cpes = _attached(network, hub, Role.CPE)
        duals = [c for c in cpes if _uplinks(network, c) > 1][:2]
        singles = [c for c in cpes if _uplinks(network, c) == 1][: 5 - len(duals)]
        chosen += duals + singles
        chosen += _attached(network, hub, Role.BTS_ROUTER)[:1]
        chosen += _attached(network, hub, Role.WIFI_AP)[:1]
    return list(dict.fromkeys(chosen))


def is_light(network: Network, device: str, size: str) -> bool:
    """Whether a device runs as a light node (no FRR) in a lab of ``size``."""
    return size == "province" and network.devices[device].role in LIGHT_ROLES


def _linux_name(name: str, used: set[str]) -> str:
    if len(name) <= 15 and name.replace("-", "").replace(".", "").isalnum() and name not in {"eth0", "lo"}:
        used.add(name)
        return name
    n = 1
    while f"eth{n}" in used:
        n += 1
    used.add(f"eth{n}")
    return f"eth{n}"


def lab_inventory(
    network: Network,
    devices: list[str],
    *,
    size: str,
    mgmt_subnet: IPv4Network,
    controller: IPv4Address,
    trap_port: int,
    user: str,
) -> tuple[dict[str, dict[str, Any]], dict[str, str], dict[str, dict[str, str]]]:
    """The lab inventory files, each device's lab management address, and interface renames."""
    keep = set(devices)
    links = [lk for lk in network.links if lk.a_device in keep and lk.b_device in keep]
    renames: dict[str, dict[str, str]] = {}
    for name in devices:
        used: set[str] = set()
        renames[name] = {i: _linux_name(i, used) for i in network.devices[name].interfaces}
    same_plan = any(
        s.prefix == mgmt_subnet for s in network.subnets.values() if s.purpose.value == "management"
    )
    hosts = (h for h in mgmt_subnet.hosts() if h > controller + 8)
    mgmt: dict[str, str] = {}
    for name in devices:
        address = network.devices[name].mgmt_ip
        mgmt[name] = str(address if same_plan and address in mgmt_subnet else next(hosts))
    province = network.province.model_dump(mode="json", exclude_none=True)
    province["trap_receivers"] = [{"host": str(controller), "port": trap_port}]
    province["secrets_file"] = "../secrets.yaml"
    province["ospf_hello_s"], province["ospf_dead_s"] = 1, 4  # adjacencies within seconds
    subnets = [s.model_dump(mode="json") for s in network.subnets.values() if s.purpose.value != "management"]
    subnets.append({"name": "lab-management", "prefix": str(mgmt_subnet), "purpose": "management"})
    v3 = next((c for c in network.credentials.values() if c.kind == "snmp_v3"), None)
    credentials: list[dict[str, Any]] = [
        {"name": "lab-ssh", "kind": "ssh", "username": user, "password": {"secret": "lab-ssh-password"}},
        {
            "name": "lab-snmp-v3",
            "kind": "snmp_v3",
            "username": getattr(v3, "username", "govnet-noc"),
            "auth_protocol": "sha",
            "auth_key": {"secret": "lab-snmp-auth"},
            "priv_protocol": "aes",
            "priv_key": {"secret": "lab-snmp-priv"},
        },
        {"name": "lab-snmp-v2c", "kind": "snmp_v2c", "community": {"secret": "lab-snmp-community"}},
    ]
    profiles = []
    for profile in network.snmp_profiles.values():
        entry = profile.model_dump(mode="json")
        entry["credential"] = "lab-snmp-v3" if profile.version == "3" else "lab-snmp-v2c"
        profiles.append(entry)
    sites_used = {network.devices[d].site for d in devices}
    duct_ids = {duct for lk in links for duct in lk.ducts}
    out_devices = []
    for name in devices:
        entry = network.devices[name].model_dump(mode="json", exclude_none=True)
        entry["platform"] = "linux" if is_light(network, name, size) else "frr"
        entry["mgmt_ip"] = mgmt[name]
        entry["ssh_credential"] = "lab-ssh"
        entry["interfaces"] = [renames[name][i] for i in network.devices[name].interfaces]
        out_devices.append(entry)
    out_links = []
    for lk in links:
        entry = lk.model_dump(mode="json", exclude_none=True)
        entry["a"] = f"{lk.a_device}:{renames[lk.a_device][lk.a_interface]}"
        entry["b"] = f"{lk.b_device}:{renames[lk.b_device][lk.b_interface]}"
        out_links.append(entry)
    files: dict[str, dict[str, Any]] = {
        "province.yaml": {
            "province": province,
            "subnets": subnets,
            "credentials": credentials,
            "snmp_profiles": profiles,
        },
        "network.yaml": {
            "ducts": [network.ducts[d].model_dump(mode="json", exclude_none=True) for d in sorted(duct_ids)],
            "sites": [
                network.sites[s].model_dump(mode="json", exclude_none=True) for s in sorted(sites_used)
            ],
            "devices": out_devices,
            "agencies": [
                a.model_dump(mode="json", exclude_none=True)
                for a in network.agencies.values()
                if a.cpe in keep
            ],
            "links": out_links,
        },
    }
    return files, mgmt, renames


def management_subnet(network: Network, mgmt_subnet: IPv4Network | None = None) -> IPv4Network:
    """The lab's management subnet: the one given, or the inventory's management subnet."""
    if mgmt_subnet is not None:
        return mgmt_subnet
    return next(s.prefix for s in network.subnets.values() if s.purpose.value == "management")


def lab_view(
    network: Network,
    *,
    size: str = "small",
    mgmt_subnet: IPv4Network | None = None,
    trap_port: int = 162,
    user: str = "govnet",
) -> Network:
    """The lab's own inventory as a :class:`Network`, loaded and checked, secrets as placeholders.

    What a caller renders the lab routers' configurations from (``govnet lab up`` and the
    containerlab export take them rendered): the lab's devices with its interface names and
    management addresses. Nothing is written but a throw-away directory. Its secrets are
    placeholders (each lab draws its own when it comes up): render from it what carries none,
    as the FRR configurations do.
    """
    devices = select(network, size)
    subnet = management_subnet(network, mgmt_subnet)
    files, _, _ = lab_inventory(
        network,
        devices,
        size=size,
        mgmt_subnet=subnet,
        controller=next(subnet.hosts()),
        trap_port=trap_port,
        user=user,
    )
    with tempfile.TemporaryDirectory(prefix="govnet-lab-view-") as scratch:
        inv = Path(scratch) / "inventory"
        inv.mkdir()
        for file, data in files.items():
            (inv / file).write_text(dump_yaml(data), encoding="utf-8")
        secrets = Path(scratch) / "secrets.yaml"
        placeholders = {name: f"placeholder-{i}" for i, name in enumerate(LAB_SECRETS)}
        fd = os.open(secrets, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(dump_yaml(placeholders))
        return load_inventory(inv, secrets)


def routers(lab_network: Network) -> list[str]:
    """The lab nodes that run FRR (light nodes do not): the ones that need a configuration."""
    return sorted(name for name, dev in lab_network.devices.items() if dev.platform == "frr")
