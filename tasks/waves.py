"""Push order over the inventory's links: breadth-first layers from the core, a canary first,
and each device's management path toward the core (what a failed push must not be worked past).

Edge devices (CPE, BTS routers, Wi-Fi APs) carry no transit: paths end at them.
"""

from __future__ import annotations

from collections import deque

from govnet.inventory.models import Role
from govnet.inventory.network import Network

EDGE = {Role.CPE, Role.BTS_ROUTER, Role.WIFI_AP}


def _depths(network: Network) -> dict[str, int]:
    """Hops from the core over the inventory's links, breadth first (edge devices end paths)."""
    depth: dict[str, int] = {}
    queue: deque[str] = deque()
    for dev in network.devices_with_role(Role.CORE):
        depth[dev.name] = 0
        queue.append(dev.name)
    while queue:
        node = queue.popleft()
        if depth[node] > 0 and network.devices[node].role in EDGE:
            continue  # edge devices end paths
        for link in network.links_by_device.get(node, []):
            other = link.b_device if link.a_device == node else link.a_device
            if other not in depth:
                depth[other] = depth[node] + 1
                queue.append(other)
    return depth


def upstream(network: Network) -> dict[str, set[str]]:
    """For each device the core reaches: every device on its management paths toward the core
    (the shortest ones, over the links :func:`waves` walks; the device itself not included).

    A device is reached through a neighbour one hop nearer the core that carries transit (not an
    edge device); when there are several such neighbours (a ring), all of them and their own
    paths count: a change on the device may travel through any of them.
    """
    depth = _depths(network)
    paths: dict[str, set[str]] = {}
    for node in sorted(depth, key=lambda n: (depth[n], n)):
        via: set[str] = set()
        for link in network.links_by_device.get(node, []):
            other = link.b_device if link.a_device == node else link.a_device
            if depth.get(other) != depth[node] - 1:
                continue
            if depth[other] > 0 and network.devices[other].role in EDGE:
                continue
            via |= paths[other] | {other}
        paths[node] = via
    return paths


def waves(network: Network, devices: list[str], canary: int = 1) -> list[list[str]]:
    """The devices in push order: a canary wave, then breadth-first layers from the core."""
    chosen = set(devices)
    depth = _depths(network)
    far = max(depth.values(), default=0) + 1
    ordered = sorted(chosen, key=lambda d: (depth.get(d, far), d))
    layers: list[list[str]] = []
    for name in ordered:
        level = depth.get(name, far)
        if not layers or depth.get(layers[-1][0], far) != level:
            layers.append([])
        layers[-1].append(name)
    if canary and layers and len(layers[0]) > canary:
        first = layers.pop(0)
        layers[:0] = [first[:canary], first[canary:]]
    elif canary and len(layers) > 1 and len(layers[0]) == canary:
        pass  # the first layer is already a canary-sized wave
    return [layer for layer in layers if layer]
