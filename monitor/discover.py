"""Discovery: the links the network really has, from LLDP-MIB over SNMP, and their drift.

Every device of the inventory is asked for its LLDP neighbours over SNMP (bounded concurrency:
at a province's 330 nodes an unbounded walk times out). Where SNMP lacks them — the agent does
not answer, or has no LLDP-MIB (no lldpLocPortTable) — NAPALM's ``get_lldp_neighbors`` over SSH
is asked instead, with the device's platform driver. Devices reached by neither are reported as
not polled, and links between two unpolled devices are not judged.

Talking to devices is monitoring; the comparison itself is the model's
(:func:`govnet.topology.drift.compare`, pure, on the neighbours found here).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from govnet import aio
from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.inventory.snmp import snmp_target
from govnet.snmp import mibs
from govnet.snmp.client import open_session
from govnet.topology.drift import DriftReport, Neighbour, compare

CONCURRENCY = 64


@dataclass
class Discovery:
    """What discovery saw, and how it compares with the inventory."""

    neighbours: list[Neighbour]
    polled: list[str]
    errors: dict[str, str] = field(default_factory=dict)
    drift: DriftReport = field(default_factory=DriftReport)
    sources: dict[str, str] = field(default_factory=dict)  # device -> "snmp" | "napalm"

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
            "sources": self.sources,
            "unreachable": self.errors,
            "discovered_links": [list(e) for e in edges],
            **self.drift.as_dict(),
        }


def napalm_lldp(network: Network, device: str) -> list[Neighbour]:
    """LLDP neighbours through NAPALM (blocking; run it in a thread), over the session
    :func:`govnet.tasks.connections.connect_device` opens: the platform's driver, the device's
    credential, and the lab interlock before anything is contacted."""
    from napalm.base.exceptions import NapalmException  # noqa: PLC0415  (napalm: only where SNMP has no LLDP)

    from govnet.tasks.connections import connect_device  # noqa: PLC0415  (loads napalm and nornir: as above)

    try:
        driver = connect_device(network, device)
    except (NapalmException, OSError) as exc:
        raise GovnetError(f"{device}: NAPALM: {exc}") from exc
    try:
        found = driver.get_lldp_neighbors()
    except (NapalmException, OSError) as exc:
        raise GovnetError(f"{device}: NAPALM: {exc}") from exc
    finally:
        driver.close()
    rows = [Neighbour(device, local, n["hostname"], n["port"]) for local, ns in found.items() for n in ns]
    return sorted(rows, key=lambda r: (r.local_port, r.remote_system, r.remote_port))


async def _lldp(
    network: Network, device: str, gate: asyncio.Semaphore
) -> tuple[str, list[Neighbour] | str, str]:
    async with gate:
        session = open_session(snmp_target(network, device))
        problem = ""
        try:
            tables = await session.walk_columns(list(mibs.LLDP_COLUMNS.values()))
            if tables.get(mibs.LLDP_LOC_PORT_ID):
                rows = [
                    Neighbour(device, n.local_port, n.remote_system, n.remote_port)
                    for n in mibs.parse_lldp(tables)
                ]
                return device, rows, "snmp"
            problem = "no LLDP-MIB over SNMP"
        except GovnetError as exc:
            problem = exc.message
        finally:
            await session.close()
        try:
            return device, await asyncio.to_thread(napalm_lldp, network, device), "napalm"
        except GovnetError as exc:
            return device, f"{problem}; {exc.message}", ""


async def discover_async(network: Network, concurrency: int = CONCURRENCY) -> Discovery:
    """Walk LLDP-MIB on every device and compare with the inventory."""
    gate = asyncio.Semaphore(concurrency)
    results = await asyncio.gather(*(_lldp(network, d, gate) for d in sorted(network.devices)))
    neighbours: list[Neighbour] = []
    polled: list[str] = []
    errors: dict[str, str] = {}
    sources: dict[str, str] = {}
    for device, outcome, source in results:
        if isinstance(outcome, str):
            errors[device] = outcome
        else:
            polled.append(device)
            sources[device] = source
            neighbours.extend(outcome)
    return Discovery(neighbours, polled, errors, compare(network, neighbours, polled), sources)


def discover(network: Network, concurrency: int = CONCURRENCY) -> Discovery:
    """Synchronous wrapper of :func:`discover_async`."""
    return aio.run(discover_async(network, concurrency))
