"""Benchmark: bring a lab up, measure it at rest, tear it down.

Prints, per size: nodes and links, time to up (OSPF converged), memory of every lab process
(PSS, from /proc/<pid>/smaps_rollup of the lab's cgroup), idle CPU over a window (from the
cgroup's cpu.stat, as % of one core), and time to down. Needs root and the lab's Debian packages.

Run: ``.venv/bin/python bench/lab.py [--sizes small,medium,province] [--idle 20]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.lab.host import cgroup_dir, missing_prerequisites
from govnet.lab.lifecycle import up
from govnet.lab.subset import lab_view
from govnet.lab.subset import routers as lab_routers
from govnet.lab.teardown import down
from govnet.tasks.render import render_device

PREFIX = "gvb"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="small,medium,province")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds to measure idle CPU over")
    args = parser.parse_args()
    problems = missing_prerequisites()
    if problems:
        sys.exit("cannot run the lab here: " + "; ".join(problems))
    os.environ.setdefault("GOVNET_LAB_STATE", tempfile.mkdtemp(prefix="govnet-bench-lab-"))
    network = load_inventory(sample_dir())
    print(
        f"# machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print("size | nodes (routers + light) | links | up (OSPF Full) | memory PSS | idle CPU (one core) | down")
    for size in args.sizes.split(","):
        down(PREFIX)
        start = time.monotonic()
        view = lab_view(network, size=size, trap_port=10164)
        configs = {name: render_device(view, name) for name in lab_routers(view)}
        state = up(network, configs, size=size, prefix=PREFIX, trap_port=10164, wait=180)
        t_up = time.monotonic() - start
        try:
            time.sleep(3)
            memory = pss_mb(PREFIX)
            before = cpu_usec(PREFIX)
            time.sleep(args.idle)
            idle = (cpu_usec(PREFIX) - before) / (args.idle * 1e6) * 100
        finally:
            start = time.monotonic()
            left = down(PREFIX)
            t_down = time.monotonic() - start
        routers = sum(1 for n in state.nodes.values() if n.kind == "router")
        light = len(state.nodes) - routers
        print(
            f"{size} | {len(state.nodes)} ({routers} + {light}) | {len(state.links)} | {t_up:.1f} s | "
            f"{memory:.0f} MB | {idle:.1f} % | {t_down:.1f} s{'' if not left else f' LEFT {left}'}",
            flush=True,
        )


if __name__ == "__main__":
    main()
