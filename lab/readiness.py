"""When a lab is ready: every SNMP agent answers (LLDP-MIB included) and OSPF has converged."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time

from govnet import aio
from govnet.errors import LabError
from govnet.inventory.network import Network
from govnet.inventory.snmp import snmp_target
from govnet.lab.shell import run
from govnet.lab.state import LabState, NodeState
from govnet.snmp.client import SnmpError, V2cSession
from govnet.snmp.mibs import LLDP_LOC_PORT_ID, SYS_UPTIME


def expected_adjacencies(state: LabState, lab_network: Network) -> dict[str, int]:
    """OSPF neighbours each router should have Full (links with OSPF between two routers)."""
    want: dict[str, int] = {}
    failed = set(state.failed_links)
    dead = set(state.failed_nodes)
    for link in lab_network.links:
        if link.protocol.value != "ospf" or link.id in failed:
            continue
        a, b = state.nodes.get(link.a_device), state.nodes.get(link.b_device)
        if a and b and a.kind == b.kind == "router" and a.name not in dead and b.name not in dead:
            want[a.name] = want.get(a.name, 0) + 1
            want[b.name] = want.get(b.name, 0) + 1
    return want


def ospf_full(node: NodeState) -> int:
    """Number of OSPF neighbours in state Full on a router node."""
    proc = run(["vtysh", "-N", node.namespace, "-c", "show ip ospf neighbor json"], check=False, timeout=20)
    if proc.returncode != 0:
        return 0
    try:
        data = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        return 0
    count = 0
    for entries in data.get("neighbors", {}).values():
        for entry in entries if isinstance(entries, list) else [entries]:
            if str(entry.get("state", entry.get("nbrState", ""))).startswith("Full"):
                count += 1
    return count


def wait_converged(state: LabState, lab_network: Network, timeout: float) -> float:
    """Wait until every expected OSPF adjacency is Full; return the seconds it took."""
    want = expected_adjacencies(state, lab_network)
    start = time.monotonic()
    pending = dict(want)
    while pending:
        for name in list(pending):
            if ospf_full(state.nodes[name]) >= pending[name]:
                del pending[name]
        if not pending:
            break
        if time.monotonic() - start > timeout:
            raise LabError(
                f"OSPF did not converge within {timeout:g} s on: {', '.join(sorted(pending))}",
                hint="see the FRR logs with 'govnet lab status' and vtysh -N <namespace>",
            )
        time.sleep(0.5)
    return time.monotonic() - start


def wait_agents(state: LabState, lab_network: Network, names: list[str], timeout: float) -> float:
    """Wait until each named node's SNMP agent answers, LLDP-MIB included (served by lldpd over
    AgentX, it stalls the agent for a moment after start)."""
    community = lab_network.secrets.get("lab-snmp-v2c", "community")

    async def ready(name: str) -> bool:
        base = snmp_target(lab_network, name)
        quick = dataclasses.replace(base, version="2c", community=community, timeout=0.5, retries=0)
        session = V2cSession(quick)
        try:
            await session.get([SYS_UPTIME])
            await session.walk(LLDP_LOC_PORT_ID)  # answered (even empty): the sub-agent is there
            return True
        except SnmpError:
            return False
        finally:
            await session.close()

    async def all_ready() -> list[str]:
        flags = await asyncio.gather(*(ready(n) for n in names))
        return [n for n, ok in zip(names, flags, strict=True) if not ok]

    start = time.monotonic()
    while True:
        pending = aio.run(all_ready())
        if not pending:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise LabError(
                f"SNMP agents did not answer within {timeout:g} s: {', '.join(pending)}",
                hint="see snmpd.log under /run/govnet-<prefix>/nodes/<namespace>/",
            )
        names = pending
        time.sleep(0.3)
