"""Bring a lab up and report its status.

Order matters for safety: guard routes first, then the state file naming everything about to be
made, then namespaces, links and daemons. Every process the lab starts joins the lab's own
cgroup (v2), so ``lab down`` (:func:`govnet.lab.teardown.down`) can kill exactly those, by cgroup
and by PID, even when ``lab up`` died halfway; namespaces, links, FRR pathspaces, run-time files
and the lab user are also found by prefix.

The lab does not render configurations: the caller renders the lab routers' configurations from
the lab's view of the inventory (:func:`govnet.lab.subset.lab_view`) and hands them to :func:`up`.

The seams: :mod:`govnet.lab.host` (what the machine needs), :mod:`govnet.lab.wiring`
(namespaces and links), :mod:`govnet.lab.daemons`, :mod:`govnet.lab.readiness` (agents answer,
OSPF converged), :mod:`govnet.lab.teardown`, :mod:`govnet.lab.faults`.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Callable, Mapping
from ipaddress import IPv4Network
from typing import Any

from govnet.errors import LabError
from govnet.inventory.loader import load_inventory
from govnet.inventory.network import Network
from govnet.lab.daemons import prepare_runtime, running_daemons, save_configs, start_node
from govnet.lab.guard import LAB_RANGES, install_guards
from govnet.lab.host import lab_user, missing_prerequisites, refuse_used_subnet
from govnet.lab.readiness import expected_adjacencies, ospf_full, wait_agents, wait_converged
from govnet.lab.state import LabState, lab_dir, load_state, save_state
from govnet.lab.subset import is_light, management_subnet, select
from govnet.lab.teardown import down, leftovers
from govnet.lab.wiring import (
    WORKERS,
    link_nodes,
    link_states,
    make_bridge,
    make_namespaces,
    node_states,
    write_lab_inventory,
)
from govnet.safety import SETTINGS

log = logging.getLogger(__name__)

#: ``progress(what, total)``: told when each phase of :func:`up` starts.
Progress = Callable[[str, int], None]


def _check_configs(network: Network, size: str, configs: Mapping[str, str] | None) -> None:
    """Every router of the lab has a rendered configuration, and nothing else is given one."""
    wanted = {d for d in select(network, size) if not is_light(network, d, size)}
    given = set(configs or {})
    missing, extra = sorted(wanted - given), sorted(given - wanted)
    if missing or extra:
        raise LabError(
            "the rendered configurations do not match the lab's routers"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; not lab routers: {', '.join(extra)}" if extra else ""),
            hint="render one for each of govnet.lab.subset.routers(lab_view(...)) with govnet.tasks.render",
        )


def up(
    network: Network,
    configs: Mapping[str, str] | None = None,
    *,
    size: str = "small",
    bare: bool = False,
    prefix: str,
    mgmt_subnet: IPv4Network | None = None,
    trap_port: int = 162,
    wait: float = 60.0,
    progress: Progress | None = None,
) -> LabState:
    """Build the lab; return its state. Raises :class:`LabError` (after cleaning up) on failure.

    ``configs`` maps each lab router to its rendered configuration (render them from
    :func:`govnet.lab.subset.lab_view` with the same size, management subnet and trap port);
    a ``bare`` lab boots day-0 configurations and needs none.
    """
    if not bare:  # before anything is made
        _check_configs(network, size, configs)
    problems = missing_prerequisites()
    if problems:
        raise LabError("the lab cannot run here: " + "; ".join(problems), hint="run scripts/setup.sh as root")
    if load_state(prefix) is not None or leftovers(prefix):
        raise LabError(f"a lab with prefix '{prefix}' already exists", hint="run 'govnet lab down' first")
    subnet = management_subnet(network, mgmt_subnet)
    if not any(subnet.subnet_of(r) for r in LAB_RANGES):
        raise LabError(
            f"lab management subnet {subnet} is outside the lab ranges (GOVNET_LAB_RANGES)",
            hint=SETTINGS.lab_hint(),
        )
    refuse_used_subnet(subnet)
    t0 = time.monotonic()
    installed = install_guards()  # before anything else exists
    controller = next(subnet.hosts())
    state = LabState(
        prefix=prefix,
        size=size,
        bare=bare,
        source_inventory=str(network.path),
        mgmt_subnet=str(subnet),
        controller_ip=str(controller),
        trap_receiver=f"{controller}:{trap_port}",
        user=lab_user(prefix),
        guards_installed=[str(n) for n in installed],
    )
    save_state(state)
    try:
        devices = select(network, size)
        lab_network, mgmt = write_lab_inventory(state, network, devices, subnet, controller, trap_port)
        state.nodes = node_states(network, devices, size, mgmt, prefix, lab_network)
        state.links = link_states(lab_network)
        save_state(state)
        if configs and not bare:
            save_configs(prefix, configs)
        prepare_runtime(state, lab_network)
        bridge = make_bridge(prefix, controller, subnet.prefixlen)
        _step(progress, "namespaces", len(state.nodes))
        make_namespaces(state, bridge, subnet.prefixlen)
        link_nodes(state)
        state.timings["wired_s"] = round(time.monotonic() - t0, 2)
        _step(progress, "daemons", len(state.nodes))
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda n: start_node(state, n, lab_network, bare=bare), state.nodes.values()))
        state.timings["daemons_s"] = round(time.monotonic() - t0, 2)
        save_state(state)
        if wait > 0:
            _step(progress, "snmp agents", len(state.nodes))
            wait_agents(state, lab_network, list(state.nodes), timeout=wait)
        if not bare and wait > 0:
            _step(progress, "ospf", 1)
            wait_converged(state, lab_network, timeout=wait)
        state.timings["converged_s"] = round(time.monotonic() - t0, 2)
        state.phase = "up"
        save_state(state)
        log.info(
            "lab up",
            extra={"prefix": prefix, "nodes": len(state.nodes), "seconds": state.timings["converged_s"]},
        )
        return state
    except BaseException as exc:
        log.error(
            "lab up failed: tearing it down",
            extra={"prefix": prefix, "error": str(exc) or type(exc).__name__},
        )
        down(prefix)
        raise


def _step(progress: Progress | None, what: str, total: int) -> None:
    if progress is not None:
        progress(what, total)


def status(prefix: str) -> dict[str, Any]:
    """The ``lab status --json`` document."""
    state = load_state(prefix)
    if state is None:
        return {"prefix": prefix, "up": False, "leftovers": leftovers(prefix), "nodes": []}
    lab_network = load_inventory(lab_dir(prefix) / "inventory")
    want = expected_adjacencies(state, lab_network)
    rows = []
    for node in state.nodes.values():
        alive = running_daemons(prefix, node)
        dead = [d for d, ok in alive.items() if not ok]
        if dead and node.name not in state.failed_nodes:  # a node stopped on purpose is no failure
            log.warning(
                "lab daemons not running", extra={"prefix": prefix, "node": node.name, "daemons": dead}
            )
        full = ospf_full(node) if node.kind == "router" and alive.get("ospfd") else 0
        rows.append(
            {
                "name": node.name,
                "namespace": node.namespace,
                "mgmt_ip": node.mgmt_ip,
                "kind": node.kind,
                "role": node.role,
                "daemons": alive,
                "ospf_full": full,
                "ospf_expected": want.get(node.name, 0),
                "failed": node.name in state.failed_nodes,
            }
        )
    return {
        "prefix": prefix,
        "up": state.phase == "up",
        "phase": state.phase,
        "size": state.size,
        "bare": state.bare,
        "inventory": str(lab_dir(prefix) / "inventory"),
        "controller_ip": state.controller_ip,
        "trap_receiver": state.trap_receiver,
        "failed_links": state.failed_links,
        "failed_nodes": state.failed_nodes,
        "timings": state.timings,
        "nodes": rows,
    }
