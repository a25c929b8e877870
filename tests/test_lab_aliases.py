"""The lab under the devices' own interface names (issue #17 item 1): each vendor port is wired under
a Linux name, carries the device's own name as its alias (the LLDP port description), and
the lab's alias table maps what the lab reports (LLDP, ifDescr/ifName rows) back to the inventory."""

from __future__ import annotations

from pathlib import Path

import pytest

from govnet.inventory.loader import load_inventory
from govnet.lab import aliases
from govnet.lab.state import lab_dir, load_state
from tests.labkit import LabHandle
from tests.test_lab import IF_DESCR, LLDP_LOC_PORTID, LLDP_REM_PORTID, LLDP_REM_SYSNAME, eventually, snmp

pytestmark = pytest.mark.lab

IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
LLDP_REM_PORTDESC = "1.0.8802.1.1.2.1.4.1.1.8"


def _source_endpoints(lab: LabHandle) -> set[tuple[str, str, str, str]]:
    state = load_state(lab.prefix)
    assert state is not None
    source = load_inventory(Path(state.source_inventory))
    keep = set(lab.namespaces)
    return {
        (lk.a_device, lk.a_interface, lk.b_device, lk.b_interface)
        for lk in source.links
        if lk.a_device in keep and lk.b_device in keep
    }


def test_the_lab_s_links_map_back_to_the_inventory_s_own_names(lab: LabHandle) -> None:
    table = aliases.load(lab_dir(lab.prefix))
    back = {
        (
            lk.a_device,
            table.to_vendor(lk.a_device, lk.a_interface),
            lk.b_device,
            table.to_vendor(lk.b_device, lk.b_interface),
        )
        for lk in lab.network.links
    }
    source = _source_endpoints(lab)
    assert back == source
    vendor_ports = {i for _, _, _, i in source if "/" in i}
    assert vendor_ports, "the small lab holds the sample's Cisco CPE and Huawei BTS router"


def _vendor_node(lab: LabHandle) -> tuple[str, dict[str, str]]:
    table = aliases.load(lab_dir(lab.prefix))
    node = next(n for n in lab.routers if table.link_aliases(n))
    wired = {
        i
        for lk in lab.network.links
        for d, i in ((lk.a_device, lk.a_interface), (lk.b_device, lk.b_interface))
        if d == node
    }
    # the ports the lab wired (a port with no link in the lab has no Linux link either)
    return node, {linux: own for linux, own in table.link_aliases(node).items() if linux in wired}


def test_snmp_if_descr_and_if_name_rows_map_back_to_the_device_s_own_names(lab: LabHandle) -> None:
    """Debian's snmpd reports the Linux names (and leaves ifAlias empty: it does not read the
    kernel's alias); the lab's table turns its rows back into the device's own names."""
    node, linked = _vendor_node(lab)
    table = aliases.load(lab_dir(lab.prefix))
    descr = {v: oid.rsplit(".", 1)[1] for oid, v in snmp(lab, node, IF_DESCR, walk=True).items()}
    names = {v: oid.rsplit(".", 1)[1] for oid, v in snmp(lab, node, IF_NAME, walk=True).items()}
    for rows in (descr, names):
        by_own = table.vendor_keys(node, rows)
        assert set(linked.values()) <= set(by_own), (node, by_own)
        for linux, own in linked.items():
            assert by_own[own] == rows[linux]  # the same ifIndex under the device's own name
            assert linux not in by_own


def test_lldp_neighbours_see_the_device_s_own_port_and_map_back(lab: LabHandle) -> None:
    node, _ = _vendor_node(lab)
    table = aliases.load(lab_dir(lab.prefix))
    expected = {(a, b, bi) for a, ai, b, bi in _source_endpoints(lab) if b == node} | {
        (b, a, ai) for a, ai, b, bi in _source_endpoints(lab) if a == node
    }
    assert expected

    def seen() -> set[tuple[str, str, str]]:
        found = set()
        for neighbour in {n for n, _, _ in expected}:
            try:
                systems = snmp(lab, neighbour, LLDP_REM_SYSNAME, walk=True)
                ports = snmp(lab, neighbour, LLDP_REM_PORTID, walk=True)
                descrs = snmp(lab, neighbour, LLDP_REM_PORTDESC, walk=True)
                snmp(lab, neighbour, LLDP_LOC_PORTID, walk=True)
            except AssertionError:
                return set()
            for oid, system in systems.items():
                if system != node:
                    continue
                suffix = oid[len(LLDP_REM_SYSNAME) + 1 :]
                port = ports.get(f"{LLDP_REM_PORTID}.{suffix}")
                descr = descrs.get(f"{LLDP_REM_PORTDESC}.{suffix}")
                if port is None or descr is None:
                    return set()
                own = table.to_vendor(node, port)
                if descr != own:  # the neighbour reads the device's own name as the port description
                    return set()
                found.add((neighbour, system, own))
        return found

    eventually(lambda: seen() == expected, 60, f"LLDP neighbours of {node} under its own port names")
