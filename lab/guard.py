"""Guard routes and the interlock that keep lab traffic inside the lab.

A packet to a lab address with no lab route leaves through the default route. So, before any
lab node exists, ``unreachable`` routes for every lab range go into the root namespace (metric
4242, below any route the lab adds), and every govnet command about to contact a lab-range
address first asks the kernel which route it would take, and refuses if that is the default
route (or no route at all).
"""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Network

from govnet.errors import SafetyError
from lab.shell import run

#: Ranges the lab may use: RFC 2544 benchmarking, and two documentation ranges.
LAB_RANGES = (IPv4Network("198.18.0.0/15"), IPv4Network("198.51.100.0/24"), IPv4Network("203.0.113.0/24"))
#: Never used: this machine's own uplink.
FORBIDDEN = (IPv4Network("192.0.2.0/24"),)
GUARD_METRIC = 4242


def in_lab_range(address: IPv4Address | str) -> bool:
    """Whether an address lies in a lab range.

    >>> in_lab_range("198.18.0.10"), in_lab_range("203.0.113.7"), in_lab_range("10.0.0.1")
    (True, True, False)
    """
    addr = IPv4Address(str(address))
    return any(addr in net for net in LAB_RANGES)


def guard_routes_present() -> list[IPv4Network]:
    """The lab ranges that have their unreachable guard route in the root namespace now."""
    out = run(["ip", "-j", "route", "show", "type", "unreachable"]).stdout
    routes = json.loads(out or "[]")
    present = {(r.get("dst"), r.get("metric")) for r in routes}
    return [net for net in LAB_RANGES if (str(net), GUARD_METRIC) in present]


def install_guards() -> list[IPv4Network]:
    """Install every guard route (idempotent); return those that were missing before."""
    before = set(guard_routes_present())
    for net in LAB_RANGES:
        run(["ip", "route", "replace", "unreachable", str(net), "metric", str(GUARD_METRIC)])
    missing = [net for net in LAB_RANGES if net not in before]
    if len(guard_routes_present()) != len(LAB_RANGES):
        raise SafetyError("the guard routes could not be installed", hint="run as root")
    return missing


def remove_guards(ranges: list[IPv4Network] | None = None) -> None:
    """Remove guard routes (all of them, or only ``ranges``)."""
    for net in ranges if ranges is not None else list(LAB_RANGES):
        run(["ip", "route", "del", "unreachable", str(net), "metric", str(GUARD_METRIC)], check=False)


def default_route_devices(namespace: str | None = None) -> set[tuple[str | None, str | None]]:
    """(gateway, device) of every default route in the root namespace or in ``namespace``."""
    prefix = ["ip", "-n", namespace] if namespace else ["ip"]
    routes = json.loads(run([*prefix, "-j", "route", "show", "default"]).stdout or "[]")
    return {(r.get("gateway"), r.get("dev")) for r in routes}


def check_target(address: IPv4Address | str, namespace: str | None = None) -> None:
    """Refuse to contact a lab-range address whose route is the default route or missing.

    Addresses outside the lab ranges are not the lab's business and pass; loopback passes.
    """
    addr = IPv4Address(str(address))
    if any(addr in net for net in FORBIDDEN):
        raise SafetyError(f"{addr} is in 192.0.2.0/24, this machine's own uplink: govnet never contacts it")
    if addr.is_loopback or not in_lab_range(addr):
        return
    prefix = ["ip", "-n", namespace] if namespace else ["ip"]
    proc = run([*prefix, "-j", "route", "get", str(addr)], check=False)
    if proc.returncode != 0:
        raise SafetyError(
            f"no lab route to {addr} ({proc.stderr.strip() or 'unreachable'})",
            hint="bring the lab up ('govnet lab up') or check the address",
        )
    routes = json.loads(proc.stdout or "[]")
    defaults = default_route_devices(namespace)
    for route in routes:
        if route.get("type") in {"unreachable", "blackhole", "prohibit"}:
            raise SafetyError(f"no lab route to {addr}", hint="bring the lab up ('govnet lab up')")
        if (route.get("gateway"), route.get("dev")) in defaults or (
            route.get("gateway") and any(route.get("dev") == dev for _, dev in defaults)
        ):
            raise SafetyError(
                f"refusing to contact {addr}: its route leaves through the default route "
                f"({route.get('gateway')} dev {route.get('dev')})",
                hint="install the guard routes ('govnet lab guard') and bring the lab up",
            )
