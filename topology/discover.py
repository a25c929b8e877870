"""Discovery: the links the network really has, from LLDP-MIB over SNMP, and their drift.

Every device of the inventory is asked for its LLDP neighbours (bounded concurrency: at a
province's 330 nodes an unbounded walk times out). Devices that do not answer are reported as
not polled, and links between two unpolled devices are not judged. NAPALM's
``get_lldp_neighbors`` as a fallback for devices without LLDP-MIB is not built yet.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from govnet import aio
from govnet.errors import GovnetError
from govnet.snmp import mibs
from govnet.snmp.client import open_session
from inventory.network import Network
from inventory.snmp import snmp_target
from topology.drift import DriftReport, Neighbour, compare

CONCURRENCY = 64


@dataclass
class Discovery:
    """What discovery saw, and how it compares with the inventory."""

    neighbours: list[Neighbour]
    polled: list[str]
    errors: dict[str, str] = field(default_factory=dict)
    drift: DriftReport = field(default_factory=DriftReport)

    def as_dict(self) -> dict[str, Any]:
        """The ``topology discover --json`` document."""
        edges = sorted(
            {
                tuple(sorted([f"{n.device}:{n.local_port}", f"{n.remote_system}:{n.remote_port}"]))
                for n in self.neighbours
            }
        )
        return {
            "polled": self.polled,
            "unreachable": self.errors,
            "discovered_links": [list(e) for e in edges],
            **self.drift.as_dict(),
        }


async def _lldp(network: Network, device: str, gate: asyncio.Semaphore) -> tuple[str, list[Neighbour] | str]:
    async with gate:
        session = open_session(snmp_target(network, device))
        try:
            tables = await session.walk_columns(list(mibs.LLDP_COLUMNS.values()))
        except GovnetError as exc:
            return device, exc.message
        finally:
            await session.close()
    rows = [Neighbour(device, n.local_port, n.remote_system, n.remote_port) for n in mibs.parse_lldp(tables)]
    return device, rows


async def discover_async(network: Network, concurrency: int = CONCURRENCY) -> Discovery:
    """Walk LLDP-MIB on every device and compare with the inventory."""
    gate = asyncio.Semaphore(concurrency)
    results = await asyncio.gather(*(_lldp(network, d, gate) for d in sorted(network.devices)))
    neighbours: list[Neighbour] = []
    polled: list[str] = []
    errors: dict[str, str] = {}
    for device, outcome in results:
        if isinstance(outcome, str):
            errors[device] = outcome
        else:
            polled.append(device)
            neighbours.extend(outcome)
    return Discovery(neighbours, polled, errors, compare(network, neighbours, polled))


def discover(network: Network, concurrency: int = CONCURRENCY) -> Discovery:
    """Synchronous wrapper of :func:`discover_async`."""
    return aio.run(discover_async(network, concurrency))
