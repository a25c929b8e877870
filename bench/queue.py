"""Benchmark: what polling through Redis costs, against the same engine polling in process.

Both contenders run the real engine (:class:`govnet.monitor.engine.Monitor`, SQLite store) over the
sample province (360 devices) with every interval set to ``--interval`` seconds, and the fake
agents as the SNMP side (so that only the engine and the queue are measured, not SNMP):

* **in process**: ``monitor run``'s single-process path (the yardstick);
* **Redis**: the leader (``monitor run --redis``: the engine with the queue scraper, under its
  lease) and ``--workers`` worker(s) (``monitor worker``), all in this process, with a real
  redis-server on a Unix socket; its CPU is added to this process's.

Each repetition runs both, one after the other (interleaved, the order alternating between
repetitions), for ``--seconds`` each. Printed: polls per second done, and CPU-milliseconds per
poll (this process, plus redis-server for the queue), as the median and the minimum of ``--reps``
repetitions, with the load average before, after each run and after.

Run: ``.venv/bin/python bench/queue.py [--seconds 20] [--reps 3] [--interval 1]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.inventory.network import Network
from govnet.monitor.broker import Broker
from govnet.monitor.config import targets_from_inventory
from govnet.monitor.engine import Monitor
from govnet.monitor.failover import lead_or_wait
from govnet.monitor.fake import FakeScraper
from govnet.monitor.runner import RunOptions
from govnet.monitor.store import open_store
from govnet.monitor.worker import Worker


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def in_process(net: Network, interval: float, seconds: float) -> tuple[float, float]:
    agents = FakeScraper(net)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/m.db")
        targets = [replace(t, interval=interval) for t in targets_from_inventory(net)]
        monitor = Monitor(net, store, agents, targets)
        stop = asyncio.Event()

        async def main() -> None:
            asyncio.get_running_loop().call_later(seconds, stop.set)
            await monitor.run(stop)

        c0 = cpu_self()
        asyncio.run(main())
        cpu = cpu_self() - c0
        store.close()
    return len(agents.calls) / seconds, cpu / max(1, len(agents.calls)) * 1000


def through_redis(
    net: Network, url: str, pid: int, interval: float, seconds: float, workers: int
) -> tuple[float, float]:
    agents = FakeScraper(net)
    namespace = f"bench{time.time_ns()}"
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/m.db")
        crew = [Worker(net, Broker(url, namespace), agents, name=f"w{i}") for i in range(workers)]
        stop, stop_workers = asyncio.Event(), asyncio.Event()

        async def main() -> None:
            running = [asyncio.ensure_future(w.run(stop_workers)) for w in crew]
            asyncio.get_running_loop().call_later(seconds, stop.set)
            await lead_or_wait(
                net, store, RunOptions(interval=interval), Broker(url, namespace), "bench", stop
            )
            stop_workers.set()
            await asyncio.gather(*running)

        c0, r0 = cpu_self(), cpu_of(pid)
        asyncio.run(main())
        cpu = cpu_self() - c0 + cpu_of(pid) - r0
        store.close()
    polls = sum(w.stats.polled for w in crew)
    return polls / seconds, cpu / max(1, polls) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.reps < 3:
        sys.exit("--reps must be 3 or more (median and min of repetitions)")
    net = load_inventory(sample_dir())
    root = Path(tempfile.mkdtemp(prefix="govnet-bench-redis-"))
    sock = root / "redis.sock"
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700", "--save", "",
         "--appendonly", "no", "--dir", str(root), "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not sock.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            sys.exit("redis-server did not start (Debian package redis-server; scripts/setup.sh)")
        time.sleep(0.05)
    url = f"unix://{sock}"
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    figures: dict[str, list[tuple[float, float]]] = {"in process": [], "Redis": []}
    try:
        for rep in range(args.reps):
            order = ["in process", "Redis"] if rep % 2 == 0 else ["Redis", "in process"]
            for name in order:
                if name == "Redis":
                    got = through_redis(net, url, server.pid, args.interval, args.seconds, args.workers)
                else:
                    got = in_process(net, args.interval, args.seconds)
                figures[name].append(got)
                print(
                    f"rep {rep + 1} {name}: {got[0]:.0f} polls/s, {got[1]:.2f} CPU ms per poll; "
                    f"load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{len(net.devices)} devices every {args.interval:g} s, {args.seconds:g} s per run, "
        f"{args.reps} interleaved repetitions, {args.workers} worker(s); load {load_before} -> {load_after}"
    )
    print("path | polls/s median (min) | CPU ms per poll median (min)")
    for name, runs in figures.items():
        rates, costs = [r for r, _ in runs], [c for _, c in runs]
        rate = f"{statistics.median(rates):.0f} ({min(rates):.0f})"
        print(f"{name} | {rate} | {statistics.median(costs):.2f} ({min(costs):.2f})")


if __name__ == "__main__":
    main()
