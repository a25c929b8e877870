"""Interface aliases: each lab node's Linux link names and the device's own names, both ways.

A real device names its ports ``GigabitEthernet0/0/0``, ``GE0/0/1`` or ``ether1``; a lab node is
Linux, whose link names have at most 15 characters and no ``/``. As containerlab does with its
interface aliases, the lab wires each port under a Linux name (``eth1`` ...), sets the device's
own name as the link's alias (lldpd announces it as the port description; Debian's snmpd does not
read it, so ifAlias stays empty), and keeps
the table in ``interfaces.json`` beside the lab's inventory, so that what the lab reports under
its Linux names (LLDP neighbours, SNMP ifDescr/ifName rows) can be read back under the device's own
names, and the lab stays an exact twin of the inventory it was built from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from govnet.errors import LabError

FILE = "interfaces.json"
T = TypeVar("T")


@dataclass(frozen=True)
class Aliases:
    """Per device: the device's own interface name → the lab's Linux name."""

    linux: dict[str, dict[str, str]]

    def to_linux(self, device: str, name: str) -> str:
        """The lab's Linux name of a device's port (the name itself where it is Linux's too)."""
        return self.linux.get(device, {}).get(name, name)

    def to_vendor(self, device: str, linux_name: str) -> str:
        """The device's own name of a lab link (names the lab made itself, such as eth0, as they are).

        >>> Aliases({"cpe": {"GigabitEthernet0/0/0": "eth1"}}).to_vendor("cpe", "eth1")
        'GigabitEthernet0/0/0'
        """
        for vendor, linux in self.linux.get(device, {}).items():
            if linux == linux_name:
                return vendor
        return linux_name

    def vendor_keys(self, device: str, rows: Mapping[str, T]) -> dict[str, T]:
        """Per-interface results keyed by Linux name (an ifName column, counters), re-keyed by the
        device's own names."""
        return {self.to_vendor(device, name): value for name, value in rows.items()}

    def link_aliases(self, device: str) -> dict[str, str]:
        """Linux name → the alias the lab sets on it, for the ports whose names differ."""
        return {linux: vendor for vendor, linux in self.linux.get(device, {}).items() if linux != vendor}


def write(directory: Path, renames: dict[str, dict[str, str]]) -> Path:
    """Write the table next to the lab's inventory."""
    path = directory / FILE
    path.write_text(json.dumps(renames, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load(directory: Path) -> Aliases:
    """Read the table a lab wrote (a lab from before aliases has none: every name is its own)."""
    path = directory / FILE
    if not path.exists():
        return Aliases({})
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LabError(
            f"{path}: unreadable interface aliases: {exc}", hint="run 'govnet lab down' and up"
        ) from exc
    return Aliases({str(d): {str(k): str(v) for k, v in names.items()} for d, names in data.items()})
