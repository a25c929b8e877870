"""How to reach each device's SNMP agent, from its profile and credential (the one place that knows)."""

from __future__ import annotations

from govnet.inventory.models import SNMPv2cCredential, SNMPv3Credential
from govnet.inventory.network import Network
from govnet.snmp.target import Target


def snmp_target(network: Network, device: str) -> Target:
    """The SNMP target of one device: management address, profile timing, credential secrets."""
    dev = network.devices[device]
    profile = network.snmp_profiles[dev.snmp_profile]
    cred = network.credentials[profile.credential]
    host, port = str(dev.mgmt_ip), profile.port
    if isinstance(cred, SNMPv3Credential):
        return Target(
            host,
            port,
            "3",
            user=cred.username,
            auth_protocol=cred.auth_protocol,
            auth_key=network.secrets.get(cred.name, "auth_key"),
            priv_protocol=cred.priv_protocol,
            priv_key=network.secrets.get(cred.name, "priv_key"),
            timeout=profile.timeout_s,
            retries=profile.retries,
            max_varbinds=profile.max_varbinds,
        )
    assert isinstance(cred, SNMPv2cCredential)
    return Target(
        host,
        port,
        "2c",
        community=network.secrets.get(cred.name, "community"),
        timeout=profile.timeout_s,
        retries=profile.retries,
        max_varbinds=profile.max_varbinds,
    )
