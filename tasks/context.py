"""The data a template needs for one device, derived from the inventory (no secrets).

Kept apart from the templates so that every platform's template reads the same facts:
interfaces with their addresses and descriptions, OSPF, BGP neighbours, static routes, and the
management plane (SNMP, trap receivers, NTP, syslog, the management ACL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Interface
from typing import Any

from govnet.errors import GovnetError
from govnet.inventory.models import Protocol, Role, SNMPv3Credential, SubnetPurpose
from govnet.inventory.network import Network
from govnet.tasks.snmpwords import snmp_words


class FreeText(str):
    """A value of the context that comes from inventory free text (may hold spaces).

    The render guard (:mod:`govnet.tasks.guard`) renders the device again with every such value
    replaced by a marker and requires the same line skeleton.
    """


class Word(str):
    """A value of the context from the inventory that is written as one word of a command
    (a device, interface or user name); the guard requires it to stay one word."""


def _timers(network: Network) -> dict[str, int] | None:
    hello, dead = network.province.ospf_hello_s, network.province.ospf_dead_s
    if hello is None and dead is None:
        return None
    return {"hello": hello or 10, "dead": dead or 4 * (hello or 10)}


@dataclass
class InterfaceCtx:
    """One routed interface of the device."""

    name: str
    address: str
    description: str
    protocol: str
    peer_device: str
    peer_address: str
    peer_asn: int | None
    cost: int | None


@dataclass
class DeviceCtx:
    """Everything a template may use."""

    name: str
    role: str
    platform: str
    loopback: str | None
    asn: int | None
    mgmt_ip: str
    interfaces: list[InterfaceCtx] = field(default_factory=list)
    lans: list[dict[str, str]] = field(default_factory=list)  # agency LANs served by this CPE
    static_routes: list[dict[str, str]] = field(default_factory=list)
    ospf: bool = False
    ospf_timers: dict[str, int] | None = None
    bgp_neighbors: list[dict[str, Any]] = field(default_factory=list)
    redistribute: list[str] = field(default_factory=list)
    default_originate: bool = False
    trap_receivers: list[str] = field(default_factory=list)
    ntp_servers: list[str] = field(default_factory=list)
    syslog_servers: list[str] = field(default_factory=list)
    #: SNMP as the device's profile says: version, v3 user or v2c community. Secret values are
    #: :data:`MASK` unless the context is built for a push's session (``secrets=True``, in
    #: memory only), so rendered files, diffs and reports never hold them.
    snmp: dict[str, Any] = field(default_factory=dict)
    #: Management-plane ACL: the management subnets allowed to reach SSH and SNMP.
    mgmt_acl: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for Jinja2."""
        return {k: v for k, v in self.__dict__.items()}


#: What a secret looks like in rendered configs.
MASK = "********"


def _snmp(network: Network, name: str, platform: str, secrets: bool) -> dict[str, Any]:
    """The device's SNMP settings for templates: v3 authPriv by default, v2c only if the profile
    asks (the community and keys masked, or their real values for a push's session)."""
    profile = network.snmp_profiles[network.devices[name].snmp_profile]
    cred = network.credentials[profile.credential]

    def secret(field_name: str) -> str:
        if not secrets:
            return MASK
        return Word(network.secrets.get(cred.name, field_name).get_secret_value())

    if isinstance(cred, SNMPv3Credential):
        auth, priv = snmp_words(platform, cred.name, cred.auth_protocol, cred.priv_protocol)
        return {
            "version": "3",
            "user": Word(cred.username),
            "auth_protocol": auth,
            "auth_key": secret("auth_key"),
            "priv_protocol": priv,
            "priv_key": secret("priv_key"),
            "group": "GOVNET-NOC",
        }
    return {"version": "2c", "community": secret("community")}


def _describe(network: Network, peer: str, peer_if: str) -> FreeText:
    agencies = network.agencies_by_cpe.get(peer, [])
    if agencies:
        return FreeText(f"{peer} {peer_if} - {agencies[0].name}")
    return FreeText(f"{peer} {peer_if}")


class NoLanPortError(GovnetError):
    """A vendor CPE serves an agency LAN but has no port left for it."""

    exit_code = 2


#: Platforms whose agency LANs are virtual links the lab creates (``lan0``, ``lan1`` ...); every
#: other platform serves a LAN on a port of its own.
VIRTUAL_LAN_PLATFORMS = frozenset({"frr", "linux"})


def _free_ports(network: Network, name: str, platform: str) -> list[str] | None:
    """The device's ports no link uses, in inventory order; None where LANs are virtual."""
    if platform in VIRTUAL_LAN_PLATFORMS:
        return None
    used = {
        lk.a_interface if lk.a_device == name else lk.b_interface
        for lk in network.links_by_device.get(name, [])
    }
    return [i for i in network.devices[name].interfaces if i not in used]


def device_context(
    network: Network, name: str, platform: str | None = None, *, secrets: bool = False
) -> DeviceCtx:
    """Build the template context of one device (as if of ``platform``, when given).

    Secret values are :data:`MASK` unless ``secrets`` (a push's in-memory configuration only).
    """
    dev = network.devices[name]
    platform = platform or dev.platform
    ctx = DeviceCtx(
        name=Word(name),
        role=dev.role.value,
        platform=platform,
        loopback=str(dev.loopback) if dev.loopback else None,
        asn=dev.asn,
        mgmt_ip=str(dev.mgmt_ip),
        ospf_timers=_timers(network),
        trap_receivers=[f"{r.host}:{r.port}" for r in network.province.trap_receivers],
        ntp_servers=[str(s) for s in network.province.ntp_servers],
        syslog_servers=[str(s) for s in network.province.syslog_servers],
        snmp=_snmp(network, name, platform, secrets),
        mgmt_acl=[
            {
                "network": str(s.prefix.network_address),
                "wildcard": str(s.prefix.hostmask),
                "prefix": str(s.prefix),
            }
            for s in network.subnets.values()
            if s.purpose == SubnetPurpose.MANAGEMENT
        ],
    )
    for link in network.links_by_device.get(name, []):
        local_is_a = link.a_device == name
        local_if = link.a_interface if local_is_a else link.b_interface
        peer = link.b_device if local_is_a else link.a_device
        peer_if = link.b_interface if local_is_a else link.a_interface
        local_ip = link.a_ip if local_is_a else link.b_ip
        peer_ip = link.b_ip if local_is_a else link.a_ip
        if local_ip is None or peer_ip is None:
            continue
        peer_dev = network.devices[peer]
        iface = InterfaceCtx(
            name=Word(local_if),
            address=str(local_ip),
            description=_describe(network, peer, peer_if),
            protocol=link.protocol.value,
            peer_device=Word(peer),
            peer_address=str(peer_ip.ip),
            peer_asn=peer_dev.asn,
            cost=link.cost,
        )
        ctx.interfaces.append(iface)
        if link.protocol == Protocol.OSPF:
            ctx.ospf = True
        elif link.protocol == Protocol.BGP:
            ctx.bgp_neighbors.append({"address": str(peer_ip.ip), "asn": peer_dev.asn, "device": Word(peer)})
        elif link.protocol == Protocol.STATIC:
            if dev.role not in {Role.HUB, Role.CORE} and peer_dev.role in {Role.HUB, Role.CORE}:
                # The edge side points its default route at the hub.
                ctx.static_routes.append(
                    {"prefix": "0.0.0.0/0", "via": str(peer_ip.ip), "why": FreeText(f"uplink {peer}")}
                )
            if dev.role in {Role.HUB, Role.CORE}:
                for agency in network.agencies_by_cpe.get(peer, []):
                    if agency.lan_prefix is not None:
                        ctx.static_routes.append(
                            {
                                "prefix": str(agency.lan_prefix),
                                "via": str(peer_ip.ip),
                                "why": FreeText(agency.name),
                            }
                        )
    ctx.interfaces.sort(key=lambda i: (len(i.name), i.name))
    free = _free_ports(network, name, platform)
    for agency in network.agencies_by_cpe.get(name, []):
        if agency.lan_prefix is not None:
            if free is not None and not free:
                raise NoLanPortError(
                    f"no interface left for the LAN of agency '{agency.id}' (every port has a link)",
                    hint="add a port that no link uses to the device's interfaces (its LAN port)",
                )
            gateway = IPv4Interface(f"{next(agency.lan_prefix.hosts())}/{agency.lan_prefix.prefixlen}")
            ctx.lans.append(
                {
                    "name": Word(free.pop(0)) if free is not None else f"lan{len(ctx.lans)}",
                    "address": str(gateway),
                    "prefix": str(agency.lan_prefix),
                    "description": FreeText(agency.name),
                }
            )
    if dev.role in {Role.HUB, Role.CORE}:
        if ctx.static_routes:
            ctx.redistribute.append("static")
        if ctx.bgp_neighbors:
            ctx.redistribute.append("bgp")
            ctx.default_originate = True
    return ctx
