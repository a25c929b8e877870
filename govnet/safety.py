"""The interlock every govnet command goes through before it contacts an address.

Lab and sample addresses come from 198.18.0.0/15 (RFC 2544) and 198.51.100.0/24. The third
documentation range, 203.0.113.0/24, is *not* a lab range on these machines: the package registries
(Debian, PyPI, npm) resolve to an address in it, so guarding or using it would cut the machine off
from its packages. It is refused for lab subnets like 192.0.2.0/24, and never guarded.
A packet to such an address with no lab route leaves through the default route; so before govnet
contacts a lab-range address it asks the kernel which route the packet would take, and refuses if
that is the default route or no route at all. 192.0.2.0/24, this machine's own uplink, is refused
outright. Other addresses (a production network's) are not the lab's business and pass.
"""

from __future__ import annotations

import json
import subprocess
import time
from ipaddress import IPv4Address, IPv4Network

from govnet.errors import SafetyError

#: Ranges the lab may use: RFC 2544 benchmarking, and two documentation ranges.
LAB_RANGES = (IPv4Network("198.18.0.0/15"), IPv4Network("198.51.100.0/24"))
#: Never contacted: this machine's own uplink.
FORBIDDEN = (IPv4Network("192.0.2.0/24"),)
#: Never a lab range: the package registries' address here lies in it.
NOT_LAB = (IPv4Network("203.0.113.0/24"),)
#: Seconds a positive route check stays valid (a route does not change under a running poll).
CACHE_SECONDS = 10.0

_checked: dict[tuple[str, str | None], float] = {}


def in_lab_range(address: IPv4Address | str) -> bool:
    """Whether an address lies in a lab range.

    >>> in_lab_range("198.18.0.10"), in_lab_range("198.51.100.7"), in_lab_range("203.0.113.7")
    (True, True, False)
    """
    addr = IPv4Address(str(address))
    return any(addr in net for net in LAB_RANGES)


def _ip_json(args: list[str]) -> tuple[int, list[dict[str, object]], str]:
    try:
        proc = subprocess.run(["ip", "-j", *args], capture_output=True, text=True, timeout=10, check=False)
    except FileNotFoundError as exc:
        raise SafetyError(
            "cannot check routes: 'ip' (iproute2) is not installed", hint="run scripts/setup.sh"
        ) from exc
    data = json.loads(proc.stdout or "[]") if proc.returncode == 0 else []
    return proc.returncode, data, proc.stderr.strip()


def check_target(address: IPv4Address | str, namespace: str | None = None) -> None:
    """Refuse to contact a lab-range address whose route is the default route or missing.

    >>> check_target("127.0.0.1")  # loopback always passes
    >>> check_target("192.0.2.1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    govnet.errors.SafetyError: 192.0.2.1 is in 192.0.2.0/24, this machine's own uplink: ...
    """
    addr = IPv4Address(str(address))
    if any(addr in net for net in FORBIDDEN):
        raise SafetyError(f"{addr} is in 192.0.2.0/24, this machine's own uplink: govnet never contacts it")
    if any(addr in net for net in NOT_LAB):
        raise SafetyError(
            f"{addr} is in 203.0.113.0/24, where this machine's package mirror lives: not a lab address",
            hint="lab addresses come from 198.18.0.0/15 or 198.51.100.0/24",
        )
    if addr.is_loopback or not in_lab_range(addr):
        return
    key = (str(addr), namespace)
    if time.monotonic() - _checked.get(key, -1e9) < CACHE_SECONDS:
        return
    ns = ["-n", namespace] if namespace else []
    code, routes, err = _ip_json([*ns, "route", "get", str(addr)])
    if code != 0:
        raise SafetyError(
            f"no lab route to {addr} ({err or 'unreachable'})",
            hint="bring the lab up ('govnet lab up') or check the address",
        )
    _, defaults, _ = _ip_json([*ns, "route", "show", "default"])
    default_devs = {(r.get("gateway"), r.get("dev")) for r in defaults}
    for route in routes:
        if route.get("type") in {"unreachable", "blackhole", "prohibit"}:
            raise SafetyError(f"no lab route to {addr}", hint="bring the lab up ('govnet lab up')")
        via = (route.get("gateway"), route.get("dev"))
        if via in default_devs or (via[0] and any(via[1] == dev for _, dev in default_devs)):
            raise SafetyError(
                f"refusing to contact {addr}: its route leaves through the default route "
                f"({via[0]} dev {via[1]})",
                hint="install the guard routes ('govnet lab guard') and bring the lab up",
            )
    _checked[key] = time.monotonic()
