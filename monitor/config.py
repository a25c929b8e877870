"""What to poll on whom: the OID sets (modules) and the targets built from the inventory."""

from __future__ import annotations

from dataclasses import dataclass

from govnet.snmp import mibs
from govnet.snmp.client import Target
from inventory.models import Role
from inventory.network import Network
from inventory.snmp import snmp_target


@dataclass(frozen=True)
class Module:
    """A named set of scalars to GET and table columns to walk."""

    name: str
    scalars: tuple[str, ...]
    columns: tuple[str, ...]


SYSTEM = Module("system", (mibs.SYS_UPTIME, mibs.SYS_NAME, mibs.IF_NUMBER), ())
INTERFACES = Module("interfaces", (), tuple(mibs.IF_COLUMNS.values()) + tuple(mibs.IFX_COLUMNS.values()))
LLDP = Module("lldp", (), tuple(mibs.LLDP_COLUMNS.values()))
DEFAULT_MODULES = (SYSTEM, INTERFACES, LLDP)

#: Poll interval per device class (seconds): the backbone more often than the edge.
INTERVALS = {
    Role.CORE.value: 30,
    Role.HUB.value: 30,
    Role.BTS_ROUTER.value: 60,
    Role.WIFI_CONTROLLER.value: 60,
    Role.CPE.value: 60,
    Role.WIFI_AP.value: 120,
}


@dataclass(frozen=True)
class PollTarget:
    """One device to poll: its name, role, SNMP target and interval."""

    device: str
    role: str
    target: Target
    interval: float


def targets_from_inventory(network: Network) -> list[PollTarget]:
    """Every device of the inventory as a poll target, with its profile's credentials."""
    return [
        PollTarget(
            name,
            network.devices[name].role.value,
            snmp_target(network, name),
            INTERVALS.get(network.devices[name].role.value, 60),
        )
        for name in sorted(network.devices)
    ]
