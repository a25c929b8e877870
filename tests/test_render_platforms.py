"""Intended configs for every platform of the sample: the management plane as the inventory says.

FRR is what the lab runs and is pushed and checked there (tests/test_provision.py); Cisco IOS,
Huawei VRP and MikroTik RouterOS have no lab, so their templates are checked for what they
must say — and for what they must never hold: a secret value.
"""

from __future__ import annotations

import dataclasses

import pytest

from govnet.inventory.models import Role, SNMPv3Credential
from govnet.inventory.network import Network
from govnet.tasks.context import MASK, device_context
from govnet.tasks.render import TEMPLATES, RenderError, _environment, render_device
from govnet.tasks.snmpwords import UnsupportedProtocolError


def render_as(net: Network, name: str, platform: str) -> str:
    """A device's intended config had it been of another platform."""
    ctx = device_context(net, name, platform)
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
    assert platforms == {"frr", "cisco_ios", "huawei_vrp", "mikrotik_routeros"}


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


def _with_v3(net: Network, name: str, auth: str, priv: str) -> Network:
    """The sample with the v3 credential of ``name``'s profile using other protocols."""
    profile = net.snmp_profiles[net.devices[name].snmp_profile]
    cred = net.credentials[profile.credential]
    assert isinstance(cred, SNMPv3Credential)
    changed = cred.model_copy(update={"auth_protocol": auth, "priv_protocol": priv})
    return dataclasses.replace(net, credentials={**net.credentials, cred.name: changed})


@pytest.mark.parametrize(
    ("platform", "auth", "priv", "lines"),
    [
        ("cisco_ios", "sha", "aes", ["v3 auth sha ******** priv aes 128 ********"]),
        ("cisco_ios", "md5", "aes256c", ["v3 auth md5 ******** priv aes 256 ********"]),
        ("huawei_vrp", "sha256", "aes256", ["authentication-mode sha2-256", "privacy-mode aes256"]),
        ("mikrotik_routeros", "sha", "aes", ["authentication-protocol=SHA1", "encryption-protocol=AES"]),
    ],
)
def test_snmpv3_protocols_are_spelled_as_the_platform_spells_them(
    net: Network, platform: str, auth: str, priv: str, lines: list[str]
) -> None:
    hub = a_hub_with_bgp(net)
    text = render_as(_with_v3(net, hub, auth, priv), hub, platform)
    for line in lines:
        assert line in text, f"{platform}: missing {line!r}"


@pytest.mark.parametrize(
    ("platform", "auth", "priv"),
    [
        ("cisco_ios", "sha", "aes256"),  # Blumenthal's AES-256: IOS does Cisco's key extension only
        ("cisco_ios", "sha512", "aes"),
        ("huawei_vrp", "sha", "aes256c"),
        ("mikrotik_routeros", "sha", "aes256"),
    ],
)
def test_a_protocol_the_platform_lacks_is_refused_never_weakened(
    net: Network, platform: str, auth: str, priv: str
) -> None:
    hub = a_hub_with_bgp(net)
    changed = _with_v3(net, hub, auth, priv)
    with pytest.raises(UnsupportedProtocolError, match=f"{platform} has no SNMPv3"):
        render_as(changed, hub, platform)
    if changed.devices[hub].platform == platform:
        with pytest.raises(RenderError, match=f"device '{hub}'"):
            render_device(changed, hub)
