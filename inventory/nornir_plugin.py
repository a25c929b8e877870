"""The Nornir inventory plugin ``GovnetInventory`` (entry point ``nornir.plugins.inventory``).

``InitNornir(inventory={"plugin": "GovnetInventory", "options": {"path": DIR}})`` gives one
host per device, grouped by role, district, platform and site (groups ``role:core``,
``district:dong-xoai``, ``platform:frr``, ``site:...``), with Netmiko and NAPALM connection
options translated from the normalised platform at this edge only. Passwords come from the
secrets store; a Nornir ``Host`` prints as ``Host: name`` and never shows them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nornir.core.inventory import (
    ConnectionOptions,
    Defaults,
    Group,
    Groups,
    Host,
    Hosts,
    Inventory,
    ParentGroups,
)

from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.inventory.network import Network
from govnet.inventory.platforms import napalm_driver, netmiko_device_type

GROUP_KINDS = ("role", "district", "platform", "site")


def host_groups(network: Network, device: str) -> list[str]:
    """The Nornir group names of one device, e.g. ``['role:hub', 'district:bu-dang', ...]``."""
    dev = network.devices[device]
    return [
        f"role:{dev.role.value}",
        f"district:{network.district_of(device)}",
        f"platform:{dev.platform}",
        f"site:{dev.site}",
    ]


def host_data(network: Network, device: str) -> dict[str, Any]:
    """Plain, secret-free facts about a device for ``host.data``."""
    dev = network.devices[device]
    return {
        "role": dev.role.value,
        "site": dev.site,
        "district": network.district_of(device),
        "platform": dev.platform,
        "mgmt_ip": str(dev.mgmt_ip),
        "loopback": str(dev.loopback) if dev.loopback else None,
        "asn": dev.asn,
        "snmp_profile": dev.snmp_profile,
        "agencies": [a.id for a in network.agencies_by_cpe.get(device, [])],
        "links": [link.id for link in network.links_by_device.get(device, [])],
    }


def connection_options(platform: str, port: int) -> dict[str, ConnectionOptions]:
    """Netmiko and NAPALM options for a normalised platform (the driver edge)."""
    netmiko = {"timeout": 30, "fast_cli": False}
    options = {
        "netmiko": ConnectionOptions(platform=netmiko_device_type(platform), port=port, extras=netmiko)
    }
    driver = napalm_driver(platform)
    if driver is not None:
        napalm = {"timeout": 30, "optional_args": {}}
        options["napalm"] = ConnectionOptions(platform=driver, port=port, extras=napalm)
    return options


def build_nornir_inventory(network: Network, *, with_secrets: bool = True) -> Inventory:
    """A Nornir :class:`Inventory` for a loaded network."""
    groups = Groups()
    for kind in GROUP_KINDS:
        groups[kind] = Group(name=kind)
    hosts = Hosts()
    for name in sorted(network.devices):
        dev = network.devices[name]
        cred = network.ssh_credential(name)
        parents = []
        for group_name in host_groups(network, name):
            if group_name not in groups:
                kind = group_name.split(":", 1)[0]
                groups[group_name] = Group(
                    name=group_name,
                    groups=ParentGroups([groups[kind]]),
                    data={kind: group_name.split(":", 1)[1]},
                )
            parents.append(groups[group_name])
        password = network.secrets.get(cred.name, "password").get_secret_value() if with_secrets else None
        hosts[name] = Host(
            name=name,
            hostname=str(dev.mgmt_ip),
            port=cred.port,
            username=cred.username,
            password=password,
            platform=dev.platform,
            groups=ParentGroups(parents),
            data=host_data(network, name),
            connection_options=connection_options(dev.platform, cred.port),
        )
    return Inventory(hosts=hosts, groups=groups, defaults=Defaults())


class GovnetInventory:
    """Nornir inventory plugin reading a govnet inventory directory."""

    def __init__(self, path: str | None = None, secrets: str | None = None) -> None:
        self.path = Path(path) if path else sample_dir()
        self.secrets = Path(secrets) if secrets else None

    def load(self) -> Inventory:
        """Load and validate the inventory, then build the Nornir inventory."""
        return build_nornir_inventory(load_inventory(self.path, self.secrets))


def simple_inventory_files(network: Network) -> dict[str, dict[str, Any]]:
    """hosts/groups/defaults data for Nornir's SimpleInventory, without any secret."""
    inv = build_nornir_inventory(network, with_secrets=False)
    hosts: dict[str, Any] = {}
    for name, host in inv.hosts.items():
        hosts[name] = {
            "hostname": host.hostname,
            "port": host.port,
            "username": host.username,
            "platform": host.platform,
            "groups": [g.name for g in host.groups],
            "data": host.data,
            "connection_options": {
                k: {"platform": v.platform, "port": v.port, "extras": v.extras}
                for k, v in host.connection_options.items()
            },
        }
    groups: dict[str, Any] = {}
    for name, group in inv.groups.items():
        entry: dict[str, Any] = {"data": group.data}
        if group.groups:
            entry["groups"] = [g.name for g in group.groups]
        groups[name] = entry
    return {"hosts.yaml": hosts, "groups.yaml": groups, "defaults.yaml": {"data": {}}}
