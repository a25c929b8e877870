"""Normalised platform names and their translation to driver names.

The inventory speaks netutils' normalised platform names (``cisco_ios``, ``huawei_vrp``,
``mikrotik_routeros`` ...) plus ``frr`` for the FRRouting lab routers. Only this module, at the
driver edge, turns them into Netmiko device types and NAPALM driver names, through
``netutils.lib_mapper`` wherever netutils knows the platform.
"""

from __future__ import annotations

import difflib
from functools import cache

from netutils.lib_mapper import NAPALM_LIB_MAPPER_REVERSE, NETMIKO_LIB_MAPPER_REVERSE

#: Platforms netutils does not know. FRR is reached through a login shell that runs vtysh,
#: which speaks close enough to IOS for Netmiko's ``cisco_ios`` type, and through govnet's own
#: NAPALM driver ``frr``.
_EXTRA_NETMIKO = {"frr": "cisco_ios"}
_EXTRA_NAPALM = {"frr": "frr", "huawei_vrp": "huawei_vrp"}


@cache
def known_platforms() -> frozenset[str]:
    """Every normalised platform name govnet accepts.

    >>> {"frr", "cisco_ios", "huawei_vrp", "mikrotik_routeros"} <= known_platforms()
    True
    """
    return frozenset(NETMIKO_LIB_MAPPER_REVERSE) | frozenset(_EXTRA_NETMIKO)


def suggest_platform(name: str) -> list[str]:
    """Close matches for a misspelt platform name.

    >>> suggest_platform("cisco_iso")[0]
    'cisco_ios'
    """
    return difflib.get_close_matches(name, sorted(known_platforms()), n=3, cutoff=0.6)


def netmiko_device_type(platform: str) -> str:
    """Netmiko's ``device_type`` for a normalised platform.

    >>> netmiko_device_type("frr"), netmiko_device_type("mikrotik_routeros")
    ('cisco_ios', 'mikrotik_routeros')
    """
    if platform in _EXTRA_NETMIKO:
        return _EXTRA_NETMIKO[platform]
    return str(NETMIKO_LIB_MAPPER_REVERSE[platform])


def napalm_driver(platform: str) -> str | None:
    """NAPALM's driver name for a normalised platform, or None when NAPALM has none.

    >>> napalm_driver("cisco_ios"), napalm_driver("frr"), napalm_driver("mikrotik_routeros")
    ('ios', 'frr', 'ros')
    """
    if platform in _EXTRA_NAPALM:
        return _EXTRA_NAPALM[platform]
    value = NAPALM_LIB_MAPPER_REVERSE.get(platform)
    return str(value) if value else None
