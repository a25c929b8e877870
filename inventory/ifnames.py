"""Each platform's own interface names, checked the way the device would print them.

The inventory holds a device's real interface names (``GigabitEthernet0/1`` on Cisco IOS,
``GE0/0/1`` or ``GigabitEthernet0/0/1`` on Huawei VRP, ``ether1`` on MikroTik RouterOS,
``ge-0/0/1`` on Junos, Linux names on FRR), so that a rendered configuration names ports that
exist on the device. Names are split into type and number with netutils' interface helpers
(:func:`netutils.interface.split_interface`, :func:`netutils.interface.canonical_interface_name`),
and each platform's table says which types it has and how they are numbered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from netutils.interface import canonical_interface_name, split_interface

#: Linux's own limit (IFNAMSIZ - 1) and the characters the kernel refuses in a link name.
LINUX_NAME_MAX = 15


@dataclass(frozen=True)
class Naming:
    """How one platform names its interfaces: interface types and the numbering of each."""

    example: str
    #: type → regular expression its number must match
    types: dict[str, str]
    #: wrong-case or abbreviated types → the name the device uses
    hints: dict[str, str]


_SLOT_PORT = r"\d+(/\d+){1,3}(\.\d+)?"  # 0/1, 0/0/1, 1/0/0/1, with a sub-interface
_LOGICAL = r"\d+(\.\d+)?"
_HUAWEI_PORT = r"\d+/\d+/\d+(:\d+)?(\.\d+)?"  # slot/card/port, a split port, a sub-interface

_CISCO = Naming(
    example="GigabitEthernet0/1",
    types={
        **{
            t: _SLOT_PORT
            for t in (
                "FastEthernet",
                "GigabitEthernet",
                "TenGigabitEthernet",
                "TwentyFiveGigE",
                "FortyGigabitEthernet",
                "HundredGigE",
                "AppGigabitEthernet",
                "Ethernet",
                "Serial",
                "Cellular",
            )
        },
        **{t: _LOGICAL for t in ("Loopback", "Vlan", "Port-channel", "Tunnel", "Dialer", "BDI")},
    },
    hints={"LoopBack": "Loopback", "Vlanif": "Vlan", "Eth-Trunk": "Port-channel"},
)

_HUAWEI = Naming(
    example="GE0/0/1",
    types={
        **{
            t: _HUAWEI_PORT
            for t in (
                "GE",
                "GigabitEthernet",
                "XGigabitEthernet",
                "10GE",
                "25GE",
                "40GE",
                "100GE",
                "Ethernet",
                "Serial",
                "Cellular",
            )
        },
        **{t: _LOGICAL for t in ("LoopBack", "Vlanif", "Eth-Trunk", "Tunnel")},
    },
    hints={"Loopback": "LoopBack", "Vlan": "Vlanif", "Port-channel": "Eth-Trunk"},
)

#: RouterOS: the templates address ports by ``default-name``, so only the factory names count.
_MIKROTIK = re.compile(r"((ether|sfp|sfp-sfpplus|sfp28-|combo|wlan|wifi|lte)\d+|qsfpplus\d+-\d+)\Z")
_JUNOS = re.compile(r"((ge|xe|et|fe|mge)-\d+/\d+/\d+|ae\d+|lo0|irb|em\d+|fxp\d+|me\d+)(\.\d+)?\Z")
_LINUX_BAD = re.compile(r"[/:\s]")


def _vendor_problem(naming: Naming, platform: str, name: str) -> str | None:
    kind, number = split_interface(name)
    if kind in naming.types:
        if re.fullmatch(naming.types[kind], number):
            return None
        return f"'{number}' is not how {platform} numbers a {kind} interface (for example '{naming.example}')"
    if kind in naming.hints:
        return f"{platform} calls it '{naming.hints[kind]}{number}'"
    full = canonical_interface_name(name)
    full_kind, _ = split_interface(full)
    if full != name and full_kind in naming.types:
        return f"write the full name '{full}', as the device's running configuration prints it"
    known = ", ".join(sorted(naming.types))
    return f"{platform} has no interface type '{kind}' (known: {known}; for example '{naming.example}')"


def _mikrotik(platform: str, name: str) -> str | None:
    if _MIKROTIK.match(name):
        return None
    return "not a RouterOS port name (ether1, sfp1, sfp-sfpplus1, combo1, wlan1 ...)"


def _junos(platform: str, name: str) -> str | None:
    return None if _JUNOS.match(name) else "not a Junos interface name (ge-0/0/1, xe-0/0/0, ae0, lo0 ...)"


def _linux(platform: str, name: str) -> str | None:
    if len(name) > LINUX_NAME_MAX or _LINUX_BAD.search(name) or name in {".", ".."}:
        return f"a Linux interface name has at most {LINUX_NAME_MAX} characters and no /, : or space"
    return None


_CHECKS: dict[str, Callable[[str, str], str | None]] = {
    "cisco_ios": partial(_vendor_problem, _CISCO),
    "huawei_vrp": partial(_vendor_problem, _HUAWEI),
    "mikrotik_routeros": _mikrotik,
    "juniper_junos": _junos,
    "frr": _linux,
    "linux": _linux,
}


def interface_problem(platform: str, name: str) -> str | None:
    """Why ``name`` is not an interface name of ``platform``, or None when it is one.

    >>> interface_problem("cisco_ios", "GigabitEthernet0/1") is None
    True
    >>> interface_problem("cisco_ios", "Gi0/1")
    "write the full name 'GigabitEthernet0/1', as the device's running configuration prints it"
    >>> interface_problem("huawei_vrp", "GE0/0/1") is None
    True
    >>> interface_problem("huawei_vrp", "GE0/1")
    "'0/1' is not how huawei_vrp numbers a GE interface (for example 'GE0/0/1')"
    >>> interface_problem("mikrotik_routeros", "eth1")
    'not a RouterOS port name (ether1, sfp1, sfp-sfpplus1, combo1, wlan1 ...)'
    >>> interface_problem("juniper_junos", "ge-0/0/1") is None
    True
    >>> interface_problem("frr", "GigabitEthernet0/1")
    'a Linux interface name has at most 15 characters and no /, : or space'
    """
    check = _CHECKS.get(platform)
    # None: netutils knows the platform, govnet has no naming table for it yet
    return check(platform, name) if check else None
