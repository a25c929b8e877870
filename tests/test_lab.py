"""The namespace lab, against its real daemons: OSPF, SSH (router CLI), SNMP v2c/v3, LLDP, failures."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from govnet.cli import main
from govnet.errors import SafetyError
from govnet.lab.faults import fail, restore
from govnet.lab.guard import LAB_RANGES, check_target, guard_routes_present
from govnet.lab.readiness import wait_converged
from govnet.lab.state import load_state
from govnet.safety import SafetySettings
from tests.labkit import LabHandle

pytestmark = pytest.mark.lab

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
LLDP_REM_SYSNAME = "1.0.8802.1.1.2.1.4.1.1.9"
LLDP_REM_PORTID = "1.0.8802.1.1.2.1.4.1.1.7"
LLDP_LOC_PORTID = "1.0.8802.1.1.2.1.3.7.1.3"


def snmp(lab: LabHandle, node: str, *oids: str, walk: bool = False, v3: bool = False) -> dict[str, str]:
    """Numeric OID -> value from the node's agent, through net-snmp's own tools."""
    address = lab.mgmt[node]
    check_target(address)  # the interlock every contact goes through
    if v3:
        user, auth, priv = lab.v3
        creds = ["-v3", "-l", "authPriv", "-u", user, "-a", "SHA", "-A", auth, "-x", "AES", "-X", priv]
    else:
        creds = ["-v2c", "-c", lab.community]
    tool = "snmpbulkwalk" if walk else "snmpget"
    proc = subprocess.run(
        [tool, *creds, "-On", "-Oq", "-t", "2", "-r", "1", address, *oids],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"{tool} {node}: {proc.stderr.strip()}")
    out = {}
    for line in proc.stdout.splitlines():
        oid, _, value = line.partition(" ")
        if value.startswith(("No Such", "No more variables")):
            continue
        out[oid.lstrip(".")] = value.strip().strip('"')
    return out


def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout} s: {what}")


def if_index(lab: LabHandle, node: str, name: str) -> str:
    descr = snmp(lab, node, IF_DESCR, walk=True)
    return next(oid.rsplit(".", 1)[1] for oid, value in descr.items() if value == name)


def test_guard_routes_exist_whenever_a_node_exists(lab: LabHandle) -> None:
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert any(ns in namespaces for ns in lab.namespaces.values())
    assert guard_routes_present() == list(LAB_RANGES)


def test_status_shows_daemons_alive_and_ospf_full(lab: LabHandle, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "status", "--json", "--prefix", lab.prefix]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["up"] is True and len(doc["nodes"]) == len(lab.namespaces) <= 8
    for node in doc["nodes"]:
        assert all(node["daemons"].values()), node
        assert node["ospf_full"] >= node["ospf_expected"], node
    assert sum(n["ospf_expected"] for n in doc["nodes"]) >= 4
    state = load_state(lab.prefix)
    assert state is not None and state.timings["converged_s"] <= 15


def test_ssh_gives_a_router_cli_on_every_router(lab: LabHandle) -> None:
    from netmiko import ConnectHandler

    password = lab.secret("lab-ssh", "password")
    user = lab.network.ssh_credential(lab.routers[0]).username
    for name in lab.routers:
        check_target(lab.mgmt[name])
        conn = ConnectHandler(device_type="cisco_ios", host=lab.mgmt[name], username=user, password=password)
        try:
            assert conn.find_prompt() == f"{name}#"
            assert f"hostname {name}" in conn.send_command("show running-config")
        finally:
            conn.disconnect()


def test_snmp_v2c_and_v3_answer_on_every_node(lab: LabHandle) -> None:
    for name in lab.namespaces:
        assert snmp(lab, name, "1.3.6.1.2.1.1.5.0")["1.3.6.1.2.1.1.5.0"] == name
        assert snmp(lab, name, "1.3.6.1.2.1.1.5.0", v3=True)["1.3.6.1.2.1.1.5.0"] == name


def test_wrong_snmp_community_gets_no_answer(lab: LabHandle) -> None:
    node = lab.routers[0]
    proc = subprocess.run(
        [
            "snmpget",
            "-v2c",
            "-c",
            "not-the-community",
            "-t",
            "1",
            "-r",
            "0",
            lab.mgmt[node],
            "1.3.6.1.2.1.1.5.0",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    assert proc.returncode != 0


def test_lldp_over_snmp_finds_exactly_the_lab_links(lab: LabHandle) -> None:
    expected = set()
    for link in lab.network.links:
        expected.add((link.a_device, link.a_interface, link.b_device, link.b_interface))
        expected.add((link.b_device, link.b_interface, link.a_device, link.a_interface))

    def seen() -> set[tuple[str, str, str, str]]:
        found = set()
        for name in lab.namespaces:
            try:
                local = snmp(lab, name, LLDP_LOC_PORTID, walk=True)
                names = snmp(lab, name, LLDP_REM_SYSNAME, walk=True)
                remote_ports = snmp(lab, name, LLDP_REM_PORTID, walk=True)
            except AssertionError:
                return set()  # an agent busy registering its LLDP sub-agent: ask again
            ports = {oid.rsplit(".", 1)[1]: value for oid, value in local.items()}
            for oid, system in names.items():
                suffix = oid[len(LLDP_REM_SYSNAME) + 1 :]
                local_port = ports.get(suffix.split(".")[1])
                remote = remote_ports.get(f"{LLDP_REM_PORTID}.{suffix}")
                if local_port is None or remote is None:
                    # three walks are three snapshots: lldpd refreshed an entry (a new time
                    # mark in its index) between them, so ask again
                    return set()
                found.add((name, local_port, system, remote))
        return found

    eventually(lambda: seen() == expected, 40, "LLDP neighbours equal the lab links")


def test_fail_and_restore_a_link_changes_what_snmp_reports(lab: LabHandle) -> None:
    link = next(lk for lk in lab.network.links if lk.a_device in lab.routers and lk.b_device in lab.routers)
    index = if_index(lab, link.a_device, link.a_interface)
    oid = f"{IF_OPER}.{index}"
    assert snmp(lab, link.a_device, oid)[oid] == "1"
    assert main(["lab", "fail", "link", link.id, "--prefix", lab.prefix]) == 0
    try:
        eventually(lambda: snmp(lab, link.a_device, oid)[oid] == "2", 10, "ifOperStatus down")
        peer = f"{IF_OPER}.{if_index(lab, link.b_device, link.b_interface)}"
        # each agent caches its interface table for a few seconds, so the far end's agent
        # may still answer from before the cut: wait for it as for the near end
        eventually(lambda: snmp(lab, link.b_device, peer)[peer] == "2", 10, "far end ifOperStatus down")
    finally:
        assert main(["lab", "restore", "link", link.id, "--prefix", lab.prefix]) == 0
    eventually(lambda: snmp(lab, link.a_device, oid)[oid] == "1", 10, "ifOperStatus up again")


def test_fail_a_duct_takes_down_every_link_in_it(lab: LabHandle) -> None:
    duct = next(
        d
        for lk in lab.network.links
        for d in lk.ducts
        if lk.a_device in lab.routers and lk.b_device in lab.routers
    )
    links = [lk for lk in lab.network.links if duct in lk.ducts]
    done = fail(lab.prefix, "duct", duct)
    try:
        assert sorted(done) == sorted(lk.id for lk in links)
        for lk in links:
            oid = f"{IF_OPER}.{if_index(lab, lk.a_device, lk.a_interface)}"
            device = lk.a_device

            def is_down(device: str = device, oid: str = oid) -> bool:
                return snmp(lab, device, oid)[oid] == "2"

            eventually(is_down, 10, f"{lk.id} down")
    finally:
        restore(lab.prefix, "duct", duct)


def test_fail_a_node_silences_it_and_restore_brings_ospf_back(lab: LabHandle) -> None:
    node = next(n for n in lab.routers if n.startswith("hub-") and n != lab.routers[1])
    link = next(
        lk
        for lk in lab.network.links
        if node in {lk.a_device, lk.b_device} and {lk.a_device, lk.b_device} <= set(lab.routers)
    )
    peer = link.b_device if link.a_device == node else link.a_device
    peer_if = link.b_interface if link.a_device == node else link.a_interface
    oid = f"{IF_OPER}.{if_index(lab, peer, peer_if)}"
    fail(lab.prefix, "node", node)
    try:
        with pytest.raises(AssertionError, match=r"Timeout|No Response"):
            snmp(lab, node, "1.3.6.1.2.1.1.5.0")
        eventually(lambda: snmp(lab, peer, oid)[oid] == "2", 10, "the neighbour sees its link down")
    finally:
        restore(lab.prefix, "node", node)
    state = load_state(lab.prefix)
    assert state is not None
    wait_converged(state, lab.network, timeout=30)
    assert snmp(lab, node, "1.3.6.1.2.1.1.5.0")["1.3.6.1.2.1.1.5.0"] == node


def test_interlock_refuses_lab_addresses_without_a_lab_route(lab: LabHandle) -> None:
    with pytest.raises(SafetyError, match="no lab route"):
        check_target("198.19.250.1")  # in a lab range, no lab route: the guard answers
    deny = SafetySettings.from_env({"GOVNET_DENY_RANGES": "100.64.0.0/10"})  # a configured deny range
    with pytest.raises(SafetyError, match=r"100\.64\.0\.0/10"):
        check_target("100.64.0.1", settings=deny)
    check_target("127.0.0.1")
    check_target(lab.mgmt[lab.routers[0]])


def test_interlock_refuses_a_lab_address_routed_by_the_default_route() -> None:
    """In a scratch namespace whose only route to the lab is a default route, contact is refused."""
    ns = "gvt-interlock"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        for cmd in (
            ["ip", "-n", ns, "link", "add", "up0", "type", "veth", "peer", "name", "up1"],
            ["ip", "-n", ns, "link", "set", "up0", "up"],
            ["ip", "-n", ns, "link", "set", "up1", "up"],
            ["ip", "-n", ns, "addr", "add", "100.64.0.2/30", "dev", "up0"],
            ["ip", "-n", ns, "route", "add", "default", "via", "100.64.0.1"],
        ):
            subprocess.run(cmd, check=True)
        with pytest.raises(SafetyError, match="leaves through the default route"):
            check_target("198.18.0.10", namespace=ns)
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


def engine_id(lab: LabHandle, node: str) -> str:
    """The node agent's snmpEngineID in hex, through net-snmp's snmpget."""
    address = lab.mgmt[node]
    check_target(address)
    proc = subprocess.run(
        ["snmpget", "-v2c", "-c", lab.community, "-Oqv", "-Ox", address, "1.3.6.1.6.3.10.2.1.1.0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return "".join(proc.stdout.split()).replace('"', "")


def test_link_down_and_up_send_traps_to_the_configured_receiver(lab: LabHandle, tmp_path: Path) -> None:
    """net-snmp's own snmptrapd, on the lab controller address and the lab's trap port, hears them
    (routers whose profile is v3 send v3 authPriv: snmptrapd knows their user per engine id)."""
    from govnet.lab.state import load_state

    state = load_state(lab.prefix)
    assert state is not None
    log = tmp_path / "traps.log"
    conf = tmp_path / "snmptrapd.conf"
    link = next(lk for lk in lab.network.links if lk.a_device in lab.routers and lk.b_device in lab.routers)
    user, auth, priv = lab.v3
    lines = [f"authCommunity log {lab.community}", f"authUser log {user}"]
    for device in (link.a_device, link.b_device):
        engine = engine_id(lab, device)
        lines.append(f"createUser -e 0x{engine} {user} SHA {auth} AES {priv}")
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    receiver = subprocess.Popen(
        ["snmptrapd", "-f", "-C", "-c", str(conf), "-On", "-Lf", str(log), f"udp:{state.trap_receiver}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1)
        fail(lab.prefix, "link", link.id)
        eventually(lambda: log.exists() and ".1.3.6.1.6.3.1.1.5.3" in log.read_text(), 15, "a linkDown trap")
        restore(lab.prefix, "link", link.id)
        eventually(lambda: ".1.3.6.1.6.3.1.1.5.4" in log.read_text(), 15, "a linkUp trap")
    finally:
        restore(lab.prefix, "link", link.id)
        receiver.terminate()
        receiver.wait(timeout=10)
