"""A device of an inventory as if it were of another platform, with that platform's port names.

Renaming the ports matters: a Cisco router has no ``eth1``. The device and its links are built
through the inventory's own models, so the new names pass the platform's naming check; one port
is added where the device serves agency LANs and has no port left for them (vendor CPEs serve
their LAN on a port of their own).
"""

from __future__ import annotations

import dataclasses

from govnet.inventory.models import Device, Link
from govnet.inventory.network import Network
from govnet.inventory.samplebuilder import port_name
from govnet.tasks.context import VIRTUAL_LAN_PLATFORMS


def as_platform(net: Network, name: str, platform: str) -> Network:
    """The network with device ``name`` moved to ``platform`` (ports renamed in order)."""
    dev = net.devices[name]
    ports = list(dev.interfaces)
    used = {
        lk.a_interface if lk.a_device == name else lk.b_interface for lk in net.links_by_device.get(name, [])
    }
    if platform not in VIRTUAL_LAN_PLATFORMS and net.agencies_by_cpe.get(name) and set(ports) <= used:
        ports.append("lan-port")
    rename = {old: port_name(platform, k) for k, old in enumerate(ports, start=1)}
    entry = dev.model_dump(mode="json", exclude_none=True)
    entry.update(platform=platform, interfaces=list(rename.values()))
    devices = dict(net.devices)
    devices[name] = Device.model_validate(entry)
    links = []
    for lk in net.links:
        data = lk.model_dump(mode="json", exclude_none=True)
        for end in ("a", "b"):
            device, interface = data[end].split(":", 1)
            if device == name:
                data[end] = f"{device}:{rename[interface]}"
        links.append(Link.model_validate(data))
    return dataclasses.replace(net, devices=devices, links=links)
