"""Benchmark: bring a lab up, measure it at rest, tear it down.

Prints, per size: nodes and links, time to up (OSPF converged), memory of every lab process
(PSS, from /proc/<pid>/smaps_rollup of the lab's cgroup), idle CPU over a window (from the
cgroup's cpu.stat, as % of one core), and time to down. The sizes run interleaved, ``--reps`` (at
least 3) times each, the order turning between repetitions; each figure is printed as the median
and the minimum, with the load average before and after. Needs root and the lab's Debian packages.

Run: ``.venv/bin/python bench/lab.py [--sizes small,medium,province] [--idle 20] [--reps 3]
[--prefix gvb] [--trap-port 10164] [--subnet NET]`` (a prefix, port and subnet of your own).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.inventory.network import Network
from govnet.lab.host import cgroup_dir, missing_prerequisites
from govnet.lab.lifecycle import up
from govnet.lab.subset import lab_view
from govnet.lab.subset import routers as lab_routers
from govnet.lab.teardown import down
from govnet.tasks.render import render_device

FIGURES = ("up", "memory", "idle", "down")
UNITS = {"up": ("s", ".1f"), "memory": ("MB", ".0f"), "idle": ("%", ".1f"), "down": ("s", ".1f")}


def pss_mb(prefix: str) -> float:
    """Sum of PSS of every process in the lab's cgroup, in MB."""
    group = cgroup_dir(prefix)
    assert group is not None
    total_kb = 0
    for pid in (group / "cgroup.procs").read_text(encoding="utf-8").split():
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="utf-8").splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def cpu_usec(prefix: str) -> int:
    """CPU time used by the lab's cgroup so far."""
    group = cgroup_dir(prefix)
    assert group is not None
    for line in (group / "cpu.stat").read_text(encoding="utf-8").splitlines():
        if line.startswith("usage_usec"):
            return int(line.split()[1])
    return 0


def one_size(
    network: Network, size: str, prefix: str, subnet: IPv4Network | None, trap_port: int, idle_s: float
) -> dict[str, Any]:
    """Up, at rest, down: the figures of one lab of ``size``."""
    down(prefix)
    start = time.monotonic()
    view = lab_view(network, size=size, mgmt_subnet=subnet, trap_port=trap_port)
    configs = {name: render_device(view, name) for name in lab_routers(view)}
    state = up(network, configs, size=size, prefix=prefix, mgmt_subnet=subnet, trap_port=trap_port, wait=180)
    t_up = time.monotonic() - start
    try:
        time.sleep(3)
        memory = pss_mb(prefix)
        before = cpu_usec(prefix)
        time.sleep(idle_s)
        idle = (cpu_usec(prefix) - before) / (idle_s * 1e6) * 100
    finally:
        start = time.monotonic()
        left = down(prefix)
        t_down = time.monotonic() - start
    if left:
        raise SystemExit(f"the {size} lab left {left} behind")
    routers = sum(1 for n in state.nodes.values() if n.kind == "router")
    return {
        "nodes": f"{len(state.nodes)} ({routers} + {len(state.nodes) - routers})",
        "links": len(state.links),
        "up": t_up,
        "memory": memory,
        "idle": idle,
        "down": t_down,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="small,medium,province")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds to measure idle CPU over")
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions (>= 3)")
    parser.add_argument("--prefix", default="gvb", help="the bench lab's prefix (one of your own)")
    parser.add_argument("--trap-port", type=int, default=10164)
    parser.add_argument("--subnet", help="the labs' management subnet (default: the inventory's)")
    args = parser.parse_args()
    if args.reps < 3:
        sys.exit("--reps must be 3 or more (median and min of repetitions)")
    problems = missing_prerequisites()
    if problems:
        sys.exit("cannot run the lab here: " + "; ".join(problems))
    os.environ.setdefault("GOVNET_LAB_STATE", tempfile.mkdtemp(prefix="govnet-bench-lab-"))
    network = load_inventory(sample_dir())
    sizes = args.sizes.split(",")
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    runs: dict[str, list[dict[str, Any]]] = {size: [] for size in sizes}
    for rep in range(args.reps):
        k = rep % len(sizes)
        for size in sizes[k:] + sizes[:k]:
            subnet = IPv4Network(args.subnet) if args.subnet else None
            runs[size].append(one_size(network, size, args.prefix, subnet, args.trap_port, args.idle))
            print(f"# rep {rep + 1}/{args.reps}, {size}: done, load {os.getloadavg()[0]:.2f}", flush=True)
    print(
        f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.reps} interleaved repetitions, median (min); load average before {load_before}, "
        f"after {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print("size | nodes (routers + light) | links | up (OSPF Full) | memory PSS | idle CPU (one core) | down")
    for size, results in runs.items():
        cells = []
        for figure in FIGURES:
            unit, spec = UNITS[figure]
            values = [r[figure] for r in results]
            cells.append(f"{statistics.median(values):{spec}} {unit} ({min(values):{spec}})")
        print(f"{size} | {results[0]['nodes']} | {results[0]['links']} | " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
