"""Fail and restore a lab's links, nodes and ducts; attenuate fibers; set WiFi client counts.

A failed link is down at both ends (the far ends' transceivers then read "no light", as real
ones would); a failed node loses its processes and its links. Restoring a node starts its
daemons again on the configuration it had (what was pushed to it stays).
"""

from __future__ import annotations

import json

from govnet.errors import LabError
from govnet.inventory.loader import load_inventory
from govnet.inventory.models import Role
from govnet.inventory.network import Network
from govnet.lab import mibdata
from govnet.lab import node as nodes
from govnet.lab.daemons import start_node
from govnet.lab.readiness import wait_agents, wait_converged
from govnet.lab.shell import run
from govnet.lab.state import LabState, LinkState, NodeState, lab_dir, load_state, save_state
from govnet.lab.wiring import batch, set_link


def _require(prefix: str) -> tuple[LabState, Network]:
    state = load_state(prefix)
    if state is None:
        raise LabError(f"no lab '{prefix}' is up", hint="run 'govnet lab up' first")
    return state, load_inventory(lab_dir(prefix) / "inventory")


def _node(state: LabState, name: str) -> NodeState:
    node = state.nodes.get(name)
    if node is None:
        raise LabError(f"no lab node '{name}'", hint="see 'govnet lab status'")
    return node


def _links_for(state: LabState, kind: str, target: str) -> list[LinkState]:
    if kind == "duct":
        found = [lk for lk in state.links if target in lk.ducts]
        if not found:
            raise LabError(
                f"no lab link runs through duct '{target}'",
                hint="see the lab inventory's ducts ('govnet lab inventory')",
            )
        return found
    found = [lk for lk in state.links if lk.id == target]
    if not found:
        a, _, b = target.partition("--")
        found = [lk for lk in state.links if {lk.a_node, lk.b_node} == {a, b}]
    if not found:
        raise LabError(f"no lab link '{target}'", hint="write A:ethX--B:ethY as 'govnet lab status' lists")
    return found


def fail(prefix: str, kind: str, target: str) -> list[str]:
    """Fail a link, a node or every link of a duct; return what was failed.

    The far ends' transceivers then read "no light", as real ones would.
    """
    state, lab_network = _require(prefix)
    if kind == "node":
        node = _node(state, target)
        watch = nodes.frr_pids(node.namespace)
        nodes.kill_pids([p for p in (*nodes.namespace_pids(node.namespace), *watch.values()) if p])
        ifaces = json.loads(run(["ip", "-n", node.namespace, "-j", "link", "show"]).stdout or "[]")
        batch([f"link set {i['ifname']} down" for i in ifaces if i["ifname"] != "lo"], node.namespace)
        if target not in state.failed_nodes:
            state.failed_nodes.append(target)
        save_state(state)
        mibdata.refresh(state, lab_network, _neighbours(state, [target]))
        return [target]
    if kind not in {"link", "duct"}:
        raise LabError(f"cannot fail a '{kind}'", hint="use link, node or duct")
    done = []
    for link in _links_for(state, kind, target):
        set_link(state, link, False)
        if link.id not in state.failed_links:
            state.failed_links.append(link.id)
        done.append(link.id)
    save_state(state)
    mibdata.refresh(state, lab_network, _ends(state, done))
    return done


def _ends(state: LabState, link_ids: list[str]) -> set[str]:
    return {n for lk in state.links if lk.id in link_ids for n in (lk.a_node, lk.b_node)}


def _neighbours(state: LabState, names: list[str]) -> set[str]:
    return {n for lk in state.links if {lk.a_node, lk.b_node} & set(names) for n in (lk.a_node, lk.b_node)}


def attenuate(prefix: str, link_id: str, db: float) -> float:
    """Add ``db`` of loss to a lab fiber (0 removes it); return the receive power it now gives.

    Models a bent, dirty or aging fiber: the link stays up, the optics report less light.
    """
    state, lab_network = _require(prefix)
    (link,) = _links_for(state, "link", link_id)
    if db < 0 or db > 40:
        raise LabError(f"cannot attenuate by {db:g} dB", hint="give 0 (none) to 40 dB of extra loss")
    if db:
        state.attenuation[link.id] = db
    else:
        state.attenuation.pop(link.id, None)
    save_state(state)
    mibdata.refresh(state, lab_network, {link.a_node, link.b_node})
    return mibdata.receive_dbm(lab_network, link.id, db)


def set_wifi_clients(prefix: str, name: str, clients: int) -> None:
    """Make a lab WiFi AP or controller report ``clients`` associated clients."""
    state, lab_network = _require(prefix)
    node = _node(state, name)
    if lab_network.devices[name].role not in {Role.WIFI_AP, Role.WIFI_CONTROLLER}:
        raise LabError(f"'{name}' is not a WiFi AP or controller", hint="'govnet lab status' lists the nodes")
    if clients < 0:
        raise LabError(f"a client count cannot be negative ({clients})")
    state.wifi_clients[name] = clients
    save_state(state)
    mibdata.write_node_data(state, node, lab_network)


def restore(prefix: str, kind: str, target: str) -> list[str]:
    """Undo :func:`fail`; return what was restored."""
    state, lab_network = _require(prefix)
    if kind == "node":
        node = _node(state, target)
        failed_links = set(state.failed_links)
        lines = ["link set eth0 up", *(f"link set lan{i} up" for i in range(len(node.lan)))]
        lines += [f"link set lan{i}p up" for i in range(len(node.lan))]
        for link in state.links:
            if link.id in failed_links:
                continue
            if link.a_node == target:
                lines.append(f"link set {link.a_if} up")
            if link.b_node == target:
                lines.append(f"link set {link.b_if} up")
        batch(lines, node.namespace)
        for link in state.links:  # the neighbours' ends went down with ours
            if target in {link.a_node, link.b_node} and link.id not in failed_links:
                set_link(state, link, True)
        saved = nodes.FRR_ETC / node.namespace / "frr.conf"
        current = saved.read_text(encoding="utf-8") if node.kind == "router" and saved.exists() else None
        start_node(state, node, lab_network, bare=state.bare, frr_conf=current)
        wait_agents(state, lab_network, [target], timeout=30)
        state.failed_nodes = [n for n in state.failed_nodes if n != target]
        save_state(state)
        mibdata.refresh(state, lab_network, _neighbours(state, [target]))
        if not state.bare:
            wait_converged(state, lab_network, timeout=30)
        return [target]
    done = []
    for link in _links_for(state, kind, target):
        set_link(state, link, True)
        state.failed_links = [lk for lk in state.failed_links if lk != link.id]
        done.append(link.id)
    save_state(state)
    mibdata.refresh(state, lab_network, _ends(state, done))
    if not state.bare:  # the lab is back to normal when restore returns
        wait_converged(state, lab_network, timeout=30)
    return done
