"""The interlock every govnet command goes through before it contacts an address.

Two settings, read from the environment once per process, with safe defaults:

``GOVNET_LAB_RANGES`` (default ``198.18.0.0/15,198.51.100.0/24``)
    where lab (and sample) addresses come from: RFC 2544's benchmarking block and one RFC 5737
    documentation block. Only private or reserved space is accepted.
``GOVNET_DENY_RANGES`` (default: none)
    ranges govnet never contacts and never uses for a lab: the machine's own uplink, or any range
    where a packet would reach something that is not yours. A deny range may not overlap a lab range.

A packet to a lab address with no lab route leaves through the default route; so before govnet
contacts a lab-range address it asks the kernel which route the packet would take, and refuses if
that is the default route or no route at all. Addresses outside both lists (a production
network's) are not the lab's business and pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from govnet.errors import SafetyError

DEFAULT_LAB_RANGES = "198.18.0.0/15,198.51.100.0/24"
DEFAULT_DENY_RANGES = ""
#: Seconds a positive route check stays valid (a route does not change under a running poll).
CACHE_SECONDS = 10.0


def parse_ranges(text: str, variable: str) -> tuple[IPv4Network, ...]:
    """Comma-separated IPv4 networks, each named in the error when it is not one.

    >>> parse_ranges("198.18.0.0/15, 198.51.100.0/24", "GOVNET_LAB_RANGES")
    (IPv4Network('198.18.0.0/15'), IPv4Network('198.51.100.0/24'))
    >>> parse_ranges("10.0.0.1/8", "GOVNET_LAB_RANGES")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    govnet.errors.SafetyError: GOVNET_LAB_RANGES: '10.0.0.1/8' is not an IPv4 network ...
    """
    nets = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            nets.append(IPv4Network(item))
        except ValueError:
            raise SafetyError(
                f"{variable}: {item!r} is not an IPv4 network",
                hint="give networks like 198.18.0.0/15, separated by commas, with host bits zero",
            ) from None
    return tuple(nets)


@dataclass(frozen=True)
class SafetySettings:
    """Where the lab may live and what govnet never contacts."""

    lab_ranges: tuple[IPv4Network, ...]
    deny_ranges: tuple[IPv4Network, ...]

    def __post_init__(self) -> None:
        if not self.lab_ranges:
            raise SafetyError("GOVNET_LAB_RANGES is empty", hint=f"unset it for {DEFAULT_LAB_RANGES}")
        for net in self.lab_ranges:
            if not net.is_private:
                raise SafetyError(
                    f"GOVNET_LAB_RANGES: {net} is public address space, not a lab range",
                    hint="use private or reserved space such as 198.18.0.0/15",
                )
            clash = next((d for d in self.deny_ranges if d.overlaps(net)), None)
            if clash is not None:
                raise SafetyError(
                    f"lab range {net} overlaps the deny range {clash}",
                    hint="take the range out of GOVNET_LAB_RANGES or GOVNET_DENY_RANGES",
                )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SafetySettings:
        """The settings from ``env`` (default: the process environment).

        >>> SafetySettings.from_env({"GOVNET_DENY_RANGES": "10.0.0.0/8"}).deny_ranges
        (IPv4Network('10.0.0.0/8'),)
        >>> SafetySettings.from_env({"GOVNET_DENY_RANGES": "198.18.0.0/24"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        govnet.errors.SafetyError: lab range 198.18.0.0/15 overlaps the deny range 198.18.0.0/24 ...
        """
        env = os.environ if env is None else env
        return cls(
            lab_ranges=parse_ranges(env.get("GOVNET_LAB_RANGES") or DEFAULT_LAB_RANGES, "GOVNET_LAB_RANGES"),
            deny_ranges=parse_ranges(
                env.get("GOVNET_DENY_RANGES", DEFAULT_DENY_RANGES), "GOVNET_DENY_RANGES"
            ),
        )

    def lab_hint(self) -> str:
        """What to use instead, for error hints."""
        return "use a subnet of " + " or ".join(map(str, self.lab_ranges))


#: This process's settings (read once: a route check must not change its mind mid-run).
SETTINGS = SafetySettings.from_env()
#: Ranges the lab may use.
LAB_RANGES = SETTINGS.lab_ranges
#: Never contacted, never a lab range.
DENIED = SETTINGS.deny_ranges

_checked: dict[tuple[str, str | None], float] = {}


def in_lab_range(address: IPv4Address | str, settings: SafetySettings = SETTINGS) -> bool:
    """Whether an address lies in a lab range.

    >>> in_lab_range("198.18.0.10"), in_lab_range("198.51.100.7"), in_lab_range("100.64.0.7")
    (True, True, False)
    """
    addr = IPv4Address(str(address))
    return any(addr in net for net in settings.lab_ranges)


def denied_range(address: IPv4Address | str, settings: SafetySettings = SETTINGS) -> IPv4Network | None:
    """The deny range holding ``address``, or None.

    >>> deny = SafetySettings.from_env({"GOVNET_DENY_RANGES": "10.0.0.0/8"})
    >>> denied_range("10.1.2.3", deny), denied_range("198.18.0.1", deny)
    (IPv4Network('10.0.0.0/8'), None)
    """
    addr = IPv4Address(str(address))
    return next((net for net in settings.deny_ranges if addr in net), None)


def _ip_json(args: list[str]) -> tuple[int, list[dict[str, object]], str]:
    try:
        proc = subprocess.run(["ip", "-j", *args], capture_output=True, text=True, timeout=10, check=False)
    except FileNotFoundError as exc:
        raise SafetyError(
            "cannot check routes: 'ip' (iproute2) is not installed", hint="run scripts/setup.sh"
        ) from exc
    data = json.loads(proc.stdout or "[]") if proc.returncode == 0 else []
    return proc.returncode, data, proc.stderr.strip()


def check_target(
    address: IPv4Address | str, namespace: str | None = None, settings: SafetySettings = SETTINGS
) -> None:
    """Refuse a denied address, and a lab-range address whose route is the default route or missing.

    >>> check_target("127.0.0.1")  # loopback always passes
    >>> check_target("localhost")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    govnet.errors.SafetyError: 'localhost' is not an IPv4 address: ...
    >>> deny = SafetySettings.from_env({"GOVNET_DENY_RANGES": "10.0.0.0/8"})
    >>> check_target("10.1.2.3", settings=deny)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    govnet.errors.SafetyError: 10.1.2.3 is in 10.0.0.0/8, a range govnet never contacts ...
    """
    try:
        addr = IPv4Address(str(address))
    except ValueError:
        # A name would be resolved after the check, past it; govnet reaches devices by address.
        raise SafetyError(
            f"{str(address)[:80]!r} is not an IPv4 address: govnet contacts devices by IPv4 address only",
            hint="give the device's IPv4 management address",
        ) from None
    denied = denied_range(addr, settings)
    if denied is not None:
        raise SafetyError(
            f"{addr} is in {denied}, a range govnet never contacts (GOVNET_DENY_RANGES)",
            hint="lab addresses come from " + ", ".join(map(str, settings.lab_ranges)),
        )
    if addr.is_loopback or not in_lab_range(addr, settings):
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
