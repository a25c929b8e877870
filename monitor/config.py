"""What to poll on whom: the OID sets (modules) and the targets built from the inventory."""

from __future__ import annotations

from dataclasses import dataclass

from govnet.inventory.models import Role
from govnet.inventory.network import Network
from govnet.inventory.snmp import snmp_target
from govnet.snmp import mibs
from govnet.snmp.entity import OPTICS_COLUMNS
from govnet.snmp.target import Target
from govnet.snmp.wireless import WIFI_COLUMNS


@dataclass(frozen=True)
class Module:
    """A named set of scalars to GET and table columns to walk."""

    name: str
    scalars: tuple[str, ...]
    columns: tuple[str, ...]


SYSTEM = Module("system", (mibs.SYS_UPTIME, mibs.SYS_NAME, mibs.IF_NUMBER, mibs.SNMP_ENGINE_ID), ())
INTERFACES = Module("interfaces", (), tuple(mibs.IF_COLUMNS.values()) + tuple(mibs.IFX_COLUMNS.values()))
LLDP = Module("lldp", (), tuple(mibs.LLDP_COLUMNS.values()))
#: Transceiver rx/tx power (ENTITY-SENSOR-MIB) with the vendor thresholds where there are some.
OPTICS = Module("optics", (), tuple(OPTICS_COLUMNS.values()))
#: Associated WiFi clients from the vendor tables that count them.
WIFI = Module("wifi", (), tuple(WIFI_COLUMNS.values()))
#: What an engineer's ad-hoc poll and an unknown device get: everything govnet understands.
DEFAULT_MODULES = (SYSTEM, INTERFACES, LLDP, OPTICS, WIFI)
_ROUTER = (SYSTEM, INTERFACES, LLDP, OPTICS)

#: What each device class is polled for: optics where there is fiber, client counts on WiFi.
ROLE_MODULES: dict[str, tuple[Module, ...]] = {
    Role.CORE.value: _ROUTER,
    Role.HUB.value: _ROUTER,
    Role.BTS_ROUTER.value: _ROUTER,
    Role.CPE.value: _ROUTER,
    Role.WIFI_CONTROLLER.value: DEFAULT_MODULES,
    Role.WIFI_AP.value: (SYSTEM, INTERFACES, LLDP, WIFI),
}

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
    """One device to poll: its name, role, SNMP target, interval and what to ask it."""

    device: str
    role: str
    target: Target
    interval: float
    modules: tuple[Module, ...] = DEFAULT_MODULES


def targets_from_inventory(network: Network) -> list[PollTarget]:
    """Every device of the inventory as a poll target, with its profile's credentials."""
    return [
        PollTarget(
            name,
            network.devices[name].role.value,
            snmp_target(network, name),
            INTERVALS.get(network.devices[name].role.value, 60),
            ROLE_MODULES.get(network.devices[name].role.value, DEFAULT_MODULES),
        )
        for name in sorted(network.devices)
    ]
