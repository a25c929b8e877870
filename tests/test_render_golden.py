"""Every vendor template's output is a valid configuration of its platform (issue #17 item 2).

Each platform's config is parsed strictly (tests/platform_syntax.py: hier-config's tree for IOS
and VRP, govnet's own reader of RouterOS export syntax), over the whole sample and for one device of
each role as each platform, and golden files (tests/golden/<platform>/<role>.conf) hold one device
per platform and role: regenerate with ``GOVNET_GOLDEN=write`` and review the diff.

The golden files were reviewed line by line against the vendors' documentation:

* Cisco IOS/IOS-XE: *IP Routing: OSPF Configuration Guide* ("ip ospf area", "ip ospf network
  point-to-point", "redistribute bgp <as> subnets" in the OSPF command reference:
  https://www.cisco.com/c/en/us/td/docs/ios-xml/ios/iproute_ospf/command/iro-cr-book.html), *IP
  Routing: BGP Command Reference* ("router bgp", "neighbor remote-as", "address-family ipv4",
  "network mask", "neighbor default-originate":
  https://www.cisco.com/c/en/us/td/docs/ios-xml/ios/iproute_bgp/command/irg-cr-book.html), *SNMP
  Command Reference* ("snmp-server group/user/host ... version 3 priv", "snmp-server ifindex
  persist": https://www.cisco.com/c/en/us/td/docs/ios-xml/ios/snmp/command/nm-snmp-cr-book.html),
  *Security Command Reference* ("ip access-list standard", "access-class ... in"), "lldp run",
  "ntp server", "logging host", "ip route ... name".
* Huawei VRP (AR/NetEngine, V200R010 and later): *Command Reference* — "ospf enable process-id area
  area-id" and "ospf network-type p2p" (interface view), "ospf [process-id] router-id", "import-route
  static|bgp", "bgp as-number", "peer as-number", "ipv4-family unicast", "peer enable", "peer
  default-route-advertise", "ip route-static ... description", "acl number 2000" / "rule permit
  source", "user-interface vty 0 4" / "authentication-mode aaa" (required before "protocol inbound
  ssh"), "snmp-agent usm-user v3 ... authentication-mode sha / privacy-mode aes128", "snmp-agent
  target-host trap address udp-domain ... params securityname ... v3 privacy", "lldp enable",
  "ntp-service unicast-server", "info-center loghost"
  (https://support.huawei.com/enterprise/en/doc/EDOC1100112361).
* MikroTik RouterOS 7 (https://help.mikrotik.com/docs/): "/interface ethernet set [ find
  default-name=... ]" (Ethernet), "/routing ospf instance|area|interface-template" (OSPF),
  "/routing bgp connection" with "local.role", "remote.as", "output.network",
  "output.default-originate" (BGP), "/ip firewall address-list|filter" (Filter), "/ip service"
  (Services), "/snmp community" and "/snmp set trap-*" (SNMP), "/ip neighbor discovery-settings"
  (Neighbor discovery), "/system ntp client" (NTP), "/system logging action" (Log).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from govnet.inventory.models import Role
from govnet.inventory.network import Network
from govnet.tasks.render import render_device
from tests.platform_syntax import check_ios, check_routeros, check_vrp
from tests.replatform import as_platform

GOLDEN = Path(__file__).resolve().parent / "golden"
VENDORS = ("cisco_ios", "huawei_vrp", "mikrotik_routeros")


def problems(net: Network, name: str, text: str) -> list[str]:
    dev = net.devices[name]
    if dev.platform == "cisco_ios":
        return check_ios(text)
    if dev.platform == "huawei_vrp":
        return check_vrp(text)
    return check_routeros(text, set(dev.interfaces))


def one_of_each_role(net: Network) -> dict[Role, str]:
    """A device per role, the one with the most links (BGP where the role has it)."""
    picked = {}
    for role in Role:
        devices = sorted(
            net.devices_with_role(role), key=lambda d: (-len(net.links_by_device.get(d.name, [])), d.name)
        )
        with_bgp = [
            d
            for d in devices
            if any(lk.protocol.value == "bgp" for lk in net.links_by_device.get(d.name, []))
        ]
        picked[role] = (with_bgp or devices)[0].name
    return picked


def test_every_vendor_config_of_the_sample_parses_for_its_platform(net: Network) -> None:
    checked = {p: 0 for p in VENDORS}
    for name, dev in net.devices.items():
        if dev.platform in checked:
            assert problems(net, name, render_device(net, name)) == [], name
            checked[dev.platform] += 1
    assert checked == {"cisco_ios": 21, "huawei_vrp": 6, "mikrotik_routeros": 22}


@pytest.mark.parametrize("platform", VENDORS)
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_golden_config_per_platform_and_role(net: Network, platform: str, role: Role) -> None:
    name = one_of_each_role(net)[role]
    moved = as_platform(net, name, platform)
    text = render_device(moved, name)
    assert problems(moved, name, text) == []
    path = GOLDEN / platform / f"{role.value}.conf"
    if os.environ.get("GOVNET_GOLDEN") == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with GOVNET_GOLDEN=write and review it"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs: review the change"


def test_routing_statements_carry_what_each_platform_requires(net: Network) -> None:
    hub = one_of_each_role(net)[Role.HUB]
    asn = net.devices[hub].asn
    ios = render_device(as_platform(net, hub, "cisco_ios"), hub)
    assert f" redistribute bgp {asn} subnets\n" in ios and " redistribute static subnets\n" in ios
    assert "router ospf 1\n" in ios and " ip ospf 1 area 0\n" in ios and f"router bgp {asn}\n" in ios
    vrp = render_device(as_platform(net, hub, "huawei_vrp"), hub)
    assert "\nospf 1 router-id " in vrp and " ospf enable 1 area 0.0.0.0\n" in vrp and f"\nbgp {asn}\n" in vrp
    ros = render_device(as_platform(net, hub, "mikrotik_routeros"), hub)
    assert "area-id=0.0.0.0 instance=govnet" in ros and f"as={asn}" in ros


BROKEN = [
    ("cisco_ios", " redistribute bgp 65001 subnets", " redistribute bgp subnets", "without the AS number"),
    ("cisco_ios", " ip ospf 1 area 0", " ip ospf 2 area 0", "OSPF process(es) ['2'] used but not configured"),
    ("cisco_ios", "lldp run", "lldp runn", "unknown command: 'lldp runn'"),
    (
        "huawei_vrp",
        " ospf enable 1 area 0.0.0.0",
        " ospf enable 1 area 0",
        "unknown line 'ospf enable 1 area 0'",
    ),
    ("mikrotik_routeros", " protocol-mode=none", " protocol-mode=none bogus=1", "has no property 'bogus'"),
    ("mikrotik_routeros", 'comment="router id"', "comment=router id", "'id' is not name=value"),
    ("mikrotik_routeros", "/ip service set telnet", "/ip service set telnett", "has no item 'telnett'"),
]


@pytest.mark.parametrize("platform,good,bad,words", BROKEN, ids=[f"{b[0]}-{i}" for i, b in enumerate(BROKEN)])
def test_the_checkers_refuse_a_broken_line(
    net: Network, platform: str, good: str, bad: str, words: str
) -> None:
    hub = one_of_each_role(net)[Role.HUB]
    moved = as_platform(net, hub, platform)
    text = render_device(moved, hub)
    assert good in text
    found = problems(moved, hub, text.replace(good, bad, 1))
    assert any(words in p for p in found), found
