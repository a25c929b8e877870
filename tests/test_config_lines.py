"""Which lines a device lacks, section by section (hier-config), for the Netmiko path.

The flat check this replaces compared lines without their section: a `` shutdown`` under eth1
counted as done for eth2, and a parent line already present was dropped, its child then sent
in global configuration mode.
"""

from __future__ import annotations

import pytest

from govnet.errors import GovnetError
from govnet.tasks.config_lines import config_tree, missing_lines

FRR_RUNNING = """frr version 8.4.4
frr defaults traditional
hostname hub-dx
!
interface eth1
 description x
 shutdown
exit
!
interface eth2
 ip address 198.18.0.1/30
exit
!
router bgp 65001
 address-family ipv4 unicast
  network 198.19.0.0/24
 exit-address-family
exit
!
vrf red
 ip route 198.19.9.0/28 Null0
 exit-vrf
exit
!
end
"""


def test_a_line_under_one_interface_is_not_present_under_another() -> None:
    wanted = ["interface eth2", " description x", " shutdown"]
    assert missing_lines("frr", wanted, FRR_RUNNING) == wanted


def test_a_present_parent_is_sent_again_with_its_missing_child() -> None:
    assert missing_lines("frr", ["interface eth1", " ip ospf cost 50"], FRR_RUNNING) == [
        "interface eth1",
        " ip ospf cost 50",
    ]


def test_what_holds_already_is_not_sent() -> None:
    assert missing_lines("frr", ["interface eth1", " description x", " shutdown"], FRR_RUNNING) == []
    assert missing_lines("frr", ["hostname hub-dx"], FRR_RUNNING) == []
    nested = ["router bgp 65001", " address-family ipv4 unicast", "  network 198.19.0.0/24"]
    assert missing_lines("frr", nested, FRR_RUNNING) == []
    assert missing_lines("frr", ["vrf red", " ip route 198.19.9.0/28 Null0"], FRR_RUNNING) == []


def test_a_nested_missing_line_keeps_every_parent() -> None:
    wanted = ["router bgp 65001", " address-family ipv4 unicast", "  network 198.19.1.0/24"]
    assert missing_lines("frr", wanted, FRR_RUNNING) == wanted


def test_no_lines_hold_when_their_positive_form_is_absent_in_their_section() -> None:
    assert missing_lines("frr", ["interface eth2", " no shutdown"], FRR_RUNNING) == []
    assert missing_lines("frr", ["interface eth1", " no shutdown"], FRR_RUNNING) == [
        "interface eth1",
        " no shutdown",
    ]
    assert missing_lines("frr", ["interface eth1", " no description"], FRR_RUNNING) == [
        "interface eth1",
        " no description",
    ]
    assert missing_lines("frr", ["no ip route 198.19.9.0/28 Null0"], FRR_RUNNING) == []


def test_an_indented_first_line_has_no_section_and_is_refused() -> None:
    with pytest.raises(GovnetError, match="indented but has no section"):
        missing_lines("frr", [" description x"], FRR_RUNNING)


def test_frr_section_ends_are_not_config_lines() -> None:
    lines = config_tree("frr", FRR_RUNNING).dump_simple()
    assert "exit" not in [line.strip() for line in lines]
    assert "interface eth2" in lines and " ip address 198.18.0.1/30" in lines


def test_ios_and_vrp_sections() -> None:
    ios = (
        "interface GigabitEthernet0/1\n description uplink\n shutdown\n!\n"
        "interface GigabitEthernet0/2\n!\nend\n"
    )
    wanted = ["interface GigabitEthernet0/2", " shutdown"]
    assert missing_lines("cisco_ios", wanted, ios) == wanted
    vrp = "#\ninterface GE0/0/1\n description uplink\n shutdown\n#\ninterface GE0/0/2\n#\nreturn\n"
    assert missing_lines("huawei_vrp", ["interface GE0/0/2", " shutdown"], vrp) == [
        "interface GE0/0/2",
        " shutdown",
    ]
    assert missing_lines("huawei_vrp", ["interface GE0/0/1", " shutdown"], vrp) == []


def test_routeros_commands_are_compared_whole_with_their_menu() -> None:
    export = (
        "# by RouterOS 7.12\n/ip address\nadd address=198.18.1.1/30 interface=ether1\n"
        "/ip route\nadd dst-address=0.0.0.0/0 \\\n    gateway=198.18.1.2\n"
    )
    assert (
        missing_lines("mikrotik_routeros", ["/ip route add dst-address=0.0.0.0/0 gateway=198.18.1.2"], export)
        == []
    )
    new = "/ip address add address=198.18.1.5/30 interface=ether2"
    assert missing_lines("mikrotik_routeros", [new], export) == [new]
    # the same words under another menu are another command
    assert missing_lines(
        "mikrotik_routeros", ["/ipv6 address add address=198.18.1.1/30 interface=ether1"], export
    ) == ["/ipv6 address add address=198.18.1.1/30 interface=ether1"]
