"""A link's state from its ends' polls and from traps, kept in memory; only what changed is written.

An end whose device answered says up or down (ifOperStatus of the inventory's interface); any
answering end down → ``down``; no end answering → ``unknown``. A trap wins until a poll that
started at least :data:`TRAP_HOLD_S` after it: agents cache their interface tables (net-snmp for
about 3 s, measured in the lab), so a poll right after a trap can still read the state from
before it, and taking that for the truth made a clean cut look like a flapping link.

Only the links that can have changed are worked out on a tick: those of the devices whose polls
came back, those with a trap pending, and those flapping (or flagged so when last written); and of
those, only the ones whose state or detail differ from what was last written are written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from govnet.inventory.network import Network
from govnet.monitor.alerts import FlapDetector
from govnet.monitor.collector import DeviceState
from govnet.monitor.rates import Rates
from govnet.monitor.store import StateUpdate

#: How long a trap's word holds against polls (see the module's docstring).
TRAP_HOLD_S = 4.0


def link_value(oper: list[str]) -> str:
    """A link's state from its answering ends' ifOperStatus: down when any end is not up.

    >>> link_value([]), link_value(["up", "up"]), link_value(["up", "down"])
    ('unknown', 'up', 'down')
    """
    return "unknown" if not oper else ("up" if all(s == "up" for s in oper) else "down")


class LinkState:
    """The links of the devices this process polls: what they are, what was last written."""

    def __init__(self, network: Network, polled: Iterable[str]) -> None:
        self.network = network
        mine = set(polled)
        #: The links this process writes (those with an end it polls), in inventory order.
        self.order = {
            link.id: i
            for i, link in enumerate(network.links)
            if link.a_device in mine or link.b_device in mine
        }
        self.traps: dict[str, tuple[str, float]] = {}  # link id → (state, at)
        #: (state, detail) of each link as last written by this process.
        self.written: dict[str, tuple[str, dict[str, Any] | None]] = {}
        self._flagged: set[str] = set()  # links last written with "flapping"

    def trap(self, link_id: str, state: str, at: float) -> None:
        """A linkDown/linkUp trap's word on the link."""
        self.traps[link_id] = (state, at)

    def candidates(self, devices: Iterable[str], flaps: FlapDetector, at: float) -> list[str]:
        """The links that may have changed: of ``devices``, trapped, flapping or flagged so."""
        out = set(self.traps) | self._flagged | set(flaps.subjects(at))
        for device in devices:
            out.update(link.id for link in self.network.links_by_device.get(device, []))
        return sorted((x for x in out if x in self.order), key=self.order.__getitem__)

    def updates(
        self,
        links: Iterable[str],
        at: float,
        last: Mapping[str, DeviceState],
        polled_at: Mapping[str, float],
        rates: Mapping[str, Mapping[str, Rates]],
        flaps: FlapDetector,
    ) -> dict[str, list[StateUpdate]]:
        """The rows to write per source (``trap``, ``poll``): only links that changed."""
        out: dict[str, list[StateUpdate]] = {"trap": [], "poll": []}
        for link_id in links:
            link = self.network.links_by_id[link_id]
            ends = [(link.a_device, link.a_interface), (link.b_device, link.b_interface)]
            if link_id not in self.traps and all(last.get(dev) is None for dev, _ in ends):
                continue  # neither end polled yet by this process (just started): the stored state stands
            seen: list[tuple[str, float]] = []  # (oper status, when that poll started) per end
            detail: dict[str, Any] = {}
            for dev, ifname in ends:
                state = last.get(dev)
                if state is None or not state.reachable:
                    continue
                iface = next((i for i in state.interfaces if i.name == ifname), None)
                if iface is None:
                    continue
                if iface.oper_status != "unknown":  # what the agent did not say is not "down"
                    seen.append((iface.oper_status, polled_at.get(dev, 0.0)))
                end_rates = rates.get(dev, {}).get(ifname)
                if end_rates is not None and end_rates.utilisation_pct is not None:
                    detail["util_pct"] = max(detail.get("util_pct", 0.0), end_rates.utilisation_pct)
                for optic in state.optics:
                    rx = optic.dbm if optic.direction == "rx" else None
                    if rx is not None and optic.if_index == iface.if_index:
                        detail["rx_dbm"] = min(detail.get("rx_dbm", rx), rx)
            value, source = link_value([s for s, _ in seen]), "poll"
            trap = self.traps.get(link_id)
            if trap is not None:
                # Only an end polled after the trap (and the agents' cache) says what the link is
                # now: the other end's last answer is from before, and taking its "down" after an
                # up trap held every restored link down until that end's poll came back too.
                fresh = [s for s, started in seen if started >= trap[1] + TRAP_HOLD_S]
                if not fresh:
                    value, source = trap[0], "trap"
                else:
                    value = link_value(fresh)
                    if len(fresh) == len(seen):
                        del self.traps[link_id]  # the polls after the trap have the last word
            if flaps.flapping(link_id, at):
                detail["flapping"] = True
                self._flagged.add(link_id)
            else:
                self._flagged.discard(link_id)
            row = (value, detail or None)
            if self.written.get(link_id) == row:
                continue
            self.written[link_id] = row
            out[source].append(("link", link_id, value, detail or None))
        return out
