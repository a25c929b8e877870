"""Intended configs for every platform of the sample: the management plane as the inventory says.

FRR is what the lab runs and is pushed and checked there (tests/test_provision.py); Cisco IOS,
Huawei VRP and MikroTik RouterOS have no lab, so their templates are checked for what they
must say — and for what they must never hold: a secret value.
"""

from __future__ import annotations

import dataclasses

import pytest

from inventory.models import Role
from inventory.network import Network
from tasks.context import MASK, device_context
from tasks.render import TEMPLATES, _environment, render_device


def render_as(net: Network, name: str, platform: str) -> str:
    """A device's intended config had it been of another platform."""
    ctx = dataclasses.replace(device_context(net, name), platform=platform)
    return _environment(TEMPLATES).get_template(f"{platform}/device.j2").render(**ctx.as_dict())


def a_hub_with_bgp(net: Network) -> str:
    return next(d.name for d in net.devices_with_role(Role.HUB) if device_context(net, d.name).bgp_neighbors)


def test_every_device_of_the_sample_renders_on_its_platform_without_a_secret(net: Network) -> None:
    secrets = net.secrets.plain_values()
    assert secrets, "the sample has secrets to look for"
    platforms = set()
    for name, dev in net.devices.items():
        text = render_device(net, name)
        platforms.add(dev.platform)
        leaked = [s for s in secrets if len(s) >= 6 and s in text]
        assert not leaked, f"{name}: a secret in its rendered config"
    assert platforms == {"frr", "huawei_vrp", "mikrotik_routeros"}


@pytest.mark.parametrize("platform", ["cisco_ios", "huawei_vrp", "mikrotik_routeros"])
def test_a_hub_on_each_platform_has_routing_and_the_management_plane(net: Network, platform: str) -> None:
    hub = a_hub_with_bgp(net)
    ctx = device_context(net, hub)
    text = render_as(net, hub, platform)
    # routing as the inventory says
    for i in ctx.interfaces:
        assert i.name in text and i.address.split("/")[0] in text
    for n in ctx.bgp_neighbors:
        assert n["address"] in text and str(n["asn"]) in text
    # management plane: SNMP v3 by default (masked keys), traps, NTP, syslog, the management ACL
    assert ctx.snmp["version"] == "3" and ctx.snmp["user"] in text and MASK in text
    for value in (*ctx.ntp_servers, *ctx.syslog_servers, *(t.split(":")[0] for t in ctx.trap_receivers)):
        assert value in text
    assert ctx.mgmt_acl and ctx.mgmt_acl[0]["network"] in text
    expected = {
        "cisco_ios": [
            "router ospf 1",
            "snmp-server group GOVNET-NOC v3 priv access GOVNET-MGMT",
            "access-class GOVNET-MGMT in",
            "lldp run",
        ],
        "huawei_vrp": ["ospf 1 router-id", "snmp-agent usm-user v3", "acl 2000 inbound", "lldp enable"],
        "mikrotik_routeros": [
            "/routing ospf instance add",
            "/snmp community add",
            "src-address-list=govnet-mgmt",
            "protocol=lldp",
        ],
    }[platform]
    for line in expected:
        assert line in text, f"{platform}: missing {line!r}"


def test_v2c_only_where_the_profile_asks(net: Network) -> None:
    v2c = next(n for n, d in net.devices.items() if net.snmp_profiles[d.snmp_profile].version == "2c")
    v3 = next(n for n, d in net.devices.items() if net.snmp_profiles[d.snmp_profile].version == "3")
    for platform in ("cisco_ios", "huawei_vrp"):
        assert "v3" not in render_as(net, v2c, platform).split("snmp", 1)[1].split("lldp")[0]
        assert "community" not in render_as(net, v3, platform)
    assert "/snmp community add name=" in render_as(net, v3, "mikrotik_routeros")
