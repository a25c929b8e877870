"""Benchmark: diff + push + verify across the medium lab, with N workers and with 1, interleaved.

Each run brings a fresh medium lab up bare (41 FRR nodes; prefix ``gvb`` on 198.18.210.0/24 unless
``--prefix``/``--subnet``/``--trap-port`` say otherwise: take your own), then
times ``provision diff``, ``provision push --commit`` (waves, commit-confirm, post-checks) and a
verifying diff that must find every device unchanged. The two contenders (N workers, 1 worker) run
interleaved, ``--reps`` (at least 3) times each, the order alternating (N, 1; 1, N; N, 1; ...), and
the bench prints the median and the minimum of each figure with the load average before, after
each run and after.

The yardstick for the parallel push is its **critical path**: waves run one after the other and the
devices of a wave run side by side, so no scheduler can push faster than the sum over the waves of
each wave's slowest device (that device's own push time, measured in the same run). The bench
prints the measured push time against that sum: the ratio says what the worker pool and Nornir cost
above the devices themselves.

Run as root: ``.venv/bin/python bench/provision.py [--workers 16] [--reps 3] [--prefix gvb]
[--subnet 198.18.210.0/24] [--trap-port 10166]``.
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

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.lab.host import missing_prerequisites
from govnet.lab.lifecycle import up
from govnet.lab.state import lab_dir
from govnet.lab.teardown import down
from govnet.tasks.provision import waves
from govnet.tasks.rollout import DeviceResult, rollout

FIGURES = ("diff", "push", "verify", "total", "critical_path")


def critical_path(plan: list[list[str]], push: list[DeviceResult]) -> float:
    """Sum over the waves of the slowest device's own push time in that wave."""
    took = {r.name: r.seconds for r in push}
    return sum(max((took.get(name, 0.0) for name in wave), default=0.0) for wave in plan)


def one_run(workers: int, prefix: str, subnet: IPv4Network, trap_port: int) -> dict[str, float]:
    """Fresh bare medium lab; diff, push, verify with ``workers``; figures."""
    down(prefix)
    up(
        load_inventory(sample_dir()),
        size="medium",
        bare=True,
        prefix=prefix,
        mgmt_subnet=subnet,
        trap_port=trap_port,
        wait=120,
    )
    try:
        network = load_inventory(lab_dir(prefix) / "inventory")
        names = sorted(network.devices)
        t0 = time.perf_counter()
        diff = rollout(network, names, mode="diff", workers=workers)
        t1 = time.perf_counter()
        push = rollout(network, names, mode="push", workers=workers, max_failures=len(names))
        t2 = time.perf_counter()
        verify = rollout(network, names, mode="diff", workers=workers)
        t3 = time.perf_counter()
        bad = [r.name for r in push if r.status != "changed"] + [
            r.name for r in verify if r.status != "unchanged"
        ]
        if bad or any(r.status != "changed" for r in diff):
            raise SystemExit(f"the rollout did not converge cleanly: {bad}")
        plan = waves(network, names, canary=1)
        return {
            "devices": len(names),
            "waves": len(plan),
            "diff": t1 - t0,
            "push": t2 - t1,
            "verify": t3 - t2,
            "total": t3 - t0,
            "critical_path": critical_path(plan, push),
        }
    finally:
        down(prefix)


def load() -> str:
    """The 1-, 5- and 15-minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions (>= 3)")
    parser.add_argument("--prefix", default="gvb", help="the bench lab's prefix (one of your own)")
    parser.add_argument("--subnet", default="198.18.210.0/24", help="the bench lab's management subnet")
    parser.add_argument("--trap-port", type=int, default=10166)
    args = parser.parse_args()
    if args.reps < 3 or args.workers < 2:
        sys.exit("--reps must be at least 3 (median and min) and --workers at least 2")
    problems = missing_prerequisites()
    if problems:
        sys.exit("cannot run the lab here: " + "; ".join(problems))
    os.environ.setdefault("GOVNET_LAB_STATE", tempfile.mkdtemp(prefix="govnet-bench-provision-"))
    load_before = load()
    runs: dict[int, list[dict[str, float]]] = {args.workers: [], 1: []}
    for rep in range(args.reps):
        for workers in (args.workers, 1) if rep % 2 == 0 else (1, args.workers):
            runs[workers].append(one_run(workers, args.prefix, IPv4Network(args.subnet), args.trap_port))
            print(f"# rep {rep + 1}/{args.reps}, {workers} worker(s): done, load {load()}", flush=True)
    first = runs[args.workers][0]
    print(
        f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; medium lab, {first['devices']:.0f} FRR nodes, "
        f"{first['waves']:.0f} waves; {args.reps} interleaved repetitions; "
        f"load average before {load_before}, after {load()}"
    )
    print("workers | " + " | ".join(f"{f} median (min)" for f in FIGURES))
    med: dict[int, dict[str, float]] = {}
    for workers, results in runs.items():
        med[workers] = {f: statistics.median(r[f] for r in results) for f in FIGURES}
        cells = [f"{med[workers][f]:.1f} s ({min(r[f] for r in results):.1f})" for f in FIGURES]
        print(f"{workers} | " + " | ".join(cells))
    par, ser = med[args.workers], med[1]
    print(
        f"speed-up of the whole run (medians): {ser['total'] / par['total']:.2f}x; "
        f"push: {ser['push'] / par['push']:.2f}x"
    )
    ratios = [r["push"] / r["critical_path"] for r in runs[args.workers]]
    print(
        f"parallel push against its critical path (sum over waves of each wave's slowest device): "
        f"median {statistics.median(ratios):.2f}x, min {min(ratios):.2f}x "
        f"(1.00x = no cost above the devices themselves)"
    )


if __name__ == "__main__":
    main()
