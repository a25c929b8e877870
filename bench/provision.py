"""Benchmark: diff + push + verify across the medium lab, with N workers and with 1.

For each worker count the bench brings a fresh medium lab up bare (41 FRR nodes, prefix ``gvb``
on 198.18.210.0/24), then times, in one run: ``provision diff``, ``provision push --commit``
(waves, commit-confirm, post-checks) and a verifying diff that must find every device unchanged.
It prints the wall times, the speed-up, and the device-bound limit of the parallel run: the
slowest single device's own push time × the number of waves (waves run one after the other).

Run as root: ``.venv/bin/python bench/provision.py [--workers 16]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from ipaddress import IPv4Network
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.lab.lifecycle import down, missing_prerequisites, up
from govnet.lab.state import lab_dir
from govnet.tasks.provision import waves
from govnet.tasks.rollout import rollout

PREFIX = "gvb"
SUBNET = "198.18.210.0/24"


def one_run(workers: int) -> dict[str, float]:
    """Fresh bare medium lab; diff, push, verify with ``workers``; figures."""
    down(PREFIX)
    up(
        load_inventory(sample_dir()),
        size="medium",
        bare=True,
        prefix=PREFIX,
        mgmt_subnet=IPv4Network(SUBNET),
        trap_port=10166,
        wait=120,
    )
    try:
        network = load_inventory(lab_dir(PREFIX) / "inventory")
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
            "slowest_device_push": max(r.seconds for r in push),
        }
    finally:
        down(PREFIX)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    problems = missing_prerequisites()
    if problems:
        sys.exit("cannot run the lab here: " + "; ".join(problems))
    os.environ.setdefault("GOVNET_LAB_STATE", tempfile.mkdtemp(prefix="govnet-bench-provision-"))
    parallel = one_run(args.workers)
    serial = one_run(1)
    limit = parallel["slowest_device_push"] * parallel["waves"]
    print(
        f"# machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; medium lab, {parallel['devices']} FRR nodes, "
        f"{parallel['waves']} waves"
    )
    print("workers | diff | push (commit-confirm + post-checks) | verify | total")
    for label, run in ((str(args.workers), parallel), ("1", serial)):
        print(
            f"{label} | {run['diff']:.1f} s | {run['push']:.1f} s | {run['verify']:.1f} s | "
            f"{run['total']:.1f} s"
        )
    print(
        f"speed-up of the whole run: {serial['total'] / parallel['total']:.1f}x; push speed-up: "
        f"{serial['push'] / parallel['push']:.1f}x"
    )
    print(
        f"device-bound limit of the push: slowest device {parallel['slowest_device_push']:.1f} s × "
        f"{parallel['waves']} waves = {limit:.1f} s (measured {parallel['push']:.1f} s)"
    )


if __name__ == "__main__":
    main()
