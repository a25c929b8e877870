"""Guard routes that keep lab traffic inside the lab (the interlock is :mod:`govnet.safety`).

A packet to a lab address with no lab route leaves through the default route. So, before any
lab node exists, ``unreachable`` routes for every lab range go into the root namespace (metric
4242, below any route the lab adds), and every govnet command about to contact a lab-range
address first asks the kernel which route it would take, and refuses if that is the default
route (or no route at all).
"""

from __future__ import annotations

import json
from ipaddress import IPv4Network

from govnet.errors import SafetyError
from govnet.lab.shell import run
from govnet.safety import DENIED, LAB_RANGES, check_target, in_lab_range

__all__ = ["DENIED", "GUARD_METRIC", "LAB_RANGES", "check_target", "in_lab_range", "install_guards"]

GUARD_METRIC = 4242


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
