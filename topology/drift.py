"""Drift: links discovered on the wire (LLDP) against the links the inventory says exist.

Discovery gives, per polled device, ``(local port, remote system, remote port)`` rows; each
link is usually seen from both ends. :func:`compare` folds them into adjacencies and sorts every
inventory link and every adjacency into *matched*, *missing* (in the inventory, not seen),
*unexpected* (seen, in no inventory link) or *mis-wired* (seen between ports the inventory
wires elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from govnet.inventory.network import Network

Port = tuple[str, str]


@dataclass(frozen=True)
class Neighbour:
    """One LLDP row as a device reports it."""

    device: str
    local_port: str
    remote_system: str
    remote_port: str


def _key(a: Port, b: Port) -> tuple[Port, Port]:
    return (a, b) if a <= b else (b, a)


@dataclass
class DriftReport:
    """The outcome of a comparison."""

    matched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[dict[str, str]] = field(default_factory=list)
    miswired: list[dict[str, str]] = field(default_factory=list)
    not_polled: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """No missing, unexpected or mis-wired link."""
        return not (self.missing or self.unexpected or self.miswired)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "clean": self.clean,
            "matched": self.matched,
            "missing": self.missing,
            "unexpected": self.unexpected,
            "miswired": self.miswired,
            "not_polled": self.not_polled,
        }


def compare(network: Network, neighbours: Iterable[Neighbour], polled: Iterable[str]) -> DriftReport:
    """Compare discovered neighbours with the inventory's links among the polled devices."""
    polled_set = set(polled)
    seen: dict[tuple[Port, Port], Neighbour] = {}
    for row in neighbours:
        seen[_key((row.device, row.local_port), (row.remote_system, row.remote_port))] = row
    intended: dict[tuple[Port, Port], str] = {}
    port_owner: dict[Port, str] = {}
    for link in network.links:
        a, b = (link.a_device, link.a_interface), (link.b_device, link.b_interface)
        intended[_key(a, b)] = link.id
        port_owner[a] = port_owner[b] = link.id
    report = DriftReport()
    for key, link_id in sorted(intended.items(), key=lambda kv: kv[1]):
        (da, _), (db, _) = key
        if da not in polled_set and db not in polled_set:
            report.not_polled.append(link_id)
        elif key in seen:
            report.matched.append(link_id)
        else:
            report.missing.append(link_id)
    for key, row in sorted(seen.items()):
        if key in intended:
            continue
        a, b = key
        owners = sorted({port_owner[p] for p in (a, b) if p in port_owner})
        entry = {"a": f"{a[0]}:{a[1]}", "b": f"{b[0]}:{b[1]}", "seen_from": row.device}
        if owners:
            report.miswired.append({**entry, "inventory_links": ", ".join(owners)})
        else:
            report.unexpected.append(entry)
    # A mis-wired port's intended link is also reported missing: say it once, as mis-wired.
    miswired_links = {o for m in report.miswired for o in m["inventory_links"].split(", ")}
    report.missing = [m for m in report.missing if m not in miswired_links]
    return report
