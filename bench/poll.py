"""Benchmark: the same SNMP walk by govnet's poller, Prometheus' snmp_exporter and net-snmp.

Brings up a small lab (prefix ``gvb`` on 198.18.210.0/24), gives one agent about 300 interfaces
(veth pairs), then walks its ifXTable (1.3.6.1.2.1.31.1.1, GETBULK, max-repetitions 25) ``--rounds``
times with each contender, the contenders interleaved, ``--repeats`` times (at least 3), and
prints the median and min of varbinds per second and of CPU-seconds per 10,000 varbinds, with the
load average:

* govnet fast path (:class:`govnet.snmp.client.V2cSession`), in process (CPU of this process);
* pysnmp 7's high-level API (:class:`govnet.snmp.client.PysnmpSession`), in process;
* snmp_exporter 0.21 (Debian ``prometheus-snmp-exporter``) with a module written here, scraped over
  HTTP on loopback (CPU of the exporter process);
* net-snmp's ``snmpbulkwalk`` (CPU of the child processes).

Needs root, the lab's packages and ``prometheus-snmp-exporter`` (``scripts/setup.sh --bench``).
Run: ``.venv/bin/python bench/poll.py [--rounds 20] [--interfaces 300]``; where other labs run
on the same machine, give the bench its own ``--prefix``, ``--subnet``, ``--exporter-port`` and
``--trap-port`` (it tears down and rebuilds the lab of its prefix).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from ipaddress import IPv4Network
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from pydantic import SecretStr

from govnet import aio
from govnet.paths import sample_inventory
from govnet.snmp.client import PysnmpSession, Session, Target, V2cSession
from inventory.loader import load_inventory
from lab.lifecycle import down, missing_prerequisites, up
from lab.state import lab_dir

PREFIX = "gvb"
SUBNET = "198.18.210.0/24"
ROOT = "1.3.6.1.2.1.31.1.1"
REPS = 25
EXPORTER_PORT = 9116


def proc_cpu(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU of reaped child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


Row = tuple[str, float, float, int]


def measure(name: str, rounds: int, one: Callable[[], int], cpu: Callable[[], float]) -> Row:
    """Run ``one`` rounds times; return (name, varbinds/s, CPU-s per 10k varbinds, varbinds per walk)."""
    count = one()  # warm-up (and the count)
    c0, t0 = cpu(), time.perf_counter()
    total = 0
    for _ in range(rounds):
        total += one()
    wall, used = time.perf_counter() - t0, cpu() - c0
    return name, total / wall, used / total * 10_000, count


def measure_async(name: str, rounds: int, session: Session) -> Row:
    """Like :func:`measure`, with every walk on one event loop, as a long-running poller has."""

    async def go() -> tuple[int, int, float, float]:
        count = len(await session.walk(ROOT))
        c0, t0 = time.process_time(), time.perf_counter()
        total = 0
        for _ in range(rounds):
            total += len(await session.walk(ROOT))
        wall, used = time.perf_counter() - t0, time.process_time() - c0
        await session.close()
        return count, total, wall, used

    count, total, wall, used = aio.run(go())
    return name, total / wall, used / total * 10_000, count


GOVNET = "govnet (fast v2c path, uvloop)"
PYSNMP = "pysnmp 7 high-level API"
EXPORTER = "snmp_exporter 0.21"
NETSNMP = "net-snmp snmpbulkwalk"


def report(runs: dict[str, list[Row]]) -> str:
    """Median and min of each contender's figures over the repetitions, and its CPU per varbind
    against snmp_exporter's: ratio of the medians, and median and min of the per-repetition ratios
    (each repetition ran every contender back to back, so its ratio pairs like with like)."""
    reference = [row[2] for row in runs[EXPORTER]]
    lines = [
        "poller | varbinds/walk | varbinds/s median (min) | CPU-s per 10k varbinds median (min) "
        "| CPU vs snmp_exporter: medians | paired median (min)"
    ]
    for name, rows in runs.items():
        rates = [r[1] for r in rows]
        cpus = [r[2] for r in rows]
        paired = [c / ref for c, ref in zip(cpus, reference, strict=True)]
        lines.append(
            f"{name} | {rows[0][3]} | {statistics.median(rates):,.0f} ({min(rates):,.0f}) | "
            f"{statistics.median(cpus):.4f} ({min(cpus):.4f}) | "
            f"{statistics.median(cpus) / statistics.median(reference):.2f}x | "
            f"{statistics.median(paired):.2f}x ({min(paired):.2f}x)"
        )
    return "\n".join(lines)


def exporter_config(path: Path, community: str) -> None:
    """An snmp_exporter 0.21 module walking ifXTable, with a few metrics defined."""
    index = "        indexes:\n          - labelname: ifIndex\n            type: gauge\n"
    metrics = ""
    for name, oid, kind in (
        ("ifName", "1", "DisplayString"),
        ("ifHCInOctets", "6", "counter"),
        ("ifHCOutOctets", "10", "counter"),
        ("ifHighSpeed", "15", "gauge"),
        ("ifAlias", "18", "DisplayString"),
    ):
        metrics += f"      - name: {name}\n        oid: {ROOT}.1.{oid}\n        type: {kind}\n{index}"
    path.write_text(
        f"bench:\n  walk:\n    - {ROOT}\n  metrics:\n{metrics}  version: 2\n  max_repetitions: {REPS}\n"
        f"  retries: 1\n  timeout: 5s\n  auth:\n    community: {community}\n",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--interfaces", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repetitions (>= 3)")
    parser.add_argument("--prefix", default=PREFIX, help="the bench lab's prefix")
    parser.add_argument("--subnet", default=SUBNET, help="the bench lab's management subnet")
    parser.add_argument("--exporter-port", type=int, default=EXPORTER_PORT)
    parser.add_argument("--trap-port", type=int, default=10165)
    args = parser.parse_args()
    prefix, exporter_port = args.prefix, args.exporter_port
    problems = missing_prerequisites()
    exporter = shutil.which("prometheus-snmp-exporter")
    if problems or not exporter or not shutil.which("snmpbulkwalk"):
        sys.exit(
            "cannot run: "
            + "; ".join(problems or ["install prometheus-snmp-exporter and snmp (setup.sh --bench)"])
        )
    os.environ.setdefault("GOVNET_LAB_STATE", tempfile.mkdtemp(prefix="govnet-bench-poll-"))
    down(prefix)
    state = up(
        load_inventory(sample_inventory()),
        size="small",
        prefix=prefix,
        mgmt_subnet=IPv4Network(args.subnet),
        trap_port=args.trap_port,
    )
    work = Path(tempfile.mkdtemp(prefix="govnet-bench-exporter-"))
    exporter_proc: subprocess.Popen[bytes] | None = None
    try:
        node = state.nodes["hub-dx"]
        script = "; ".join(
            f"ip link add b{i}a type veth peer name b{i}b && ip link set b{i}a up && ip link set b{i}b up"
            for i in range(args.interfaces // 2)
        )
        subprocess.run(["ip", "netns", "exec", node.namespace, "sh", "-c", script], check=True)
        from inventory.loader import load_inventory as load

        community = (
            load(lab_dir(prefix) / "inventory").secrets.get("lab-snmp-v2c", "community").get_secret_value()
        )
        target = Target(node.mgmt_ip, community=SecretStr(community), max_repetitions=REPS, timeout=5)

        def govnet_walk() -> int:
            async def go() -> int:
                session = V2cSession(target)
                try:
                    return len(await session.walk(ROOT))
                finally:
                    await session.close()

            return aio.run(go())

        def netsnmp_walk() -> int:
            out = subprocess.run(
                ["snmpbulkwalk", "-v2c", "-c", community, f"-Cr{REPS}", "-On", node.mgmt_ip, ROOT],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            return len(out.splitlines())

        deadline = time.monotonic() + 40  # snmpd caches its interface table for a while
        while govnet_walk() < args.interfaces * 15 and time.monotonic() < deadline:
            time.sleep(2)
        config = work / "snmp.yml"
        exporter_config(config, community)
        exporter_proc = subprocess.Popen(
            [exporter, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{exporter_port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{exporter_port}/snmp?target={node.mgmt_ip}&module=bench"
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{exporter_port}/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        walked = govnet_walk()

        def exporter_scrape() -> int:
            body = urllib.request.urlopen(url, timeout=30).read().decode()
            returned = next(
                line for line in body.splitlines() if line.startswith("snmp_scrape_pdus_returned")
            )
            return int(float(returned.split()[-1]))

        pid = exporter_proc.pid
        contenders: list[tuple[str, Callable[[], Row]]] = [
            (GOVNET, lambda: measure_async(GOVNET, args.rounds, V2cSession(target))),
            (PYSNMP, lambda: measure_async(PYSNMP, max(3, args.rounds // 5), PysnmpSession(target))),
            (EXPORTER, lambda: measure(EXPORTER, args.rounds, exporter_scrape, lambda: proc_cpu(pid))),
            (NETSNMP, lambda: measure(NETSNMP, args.rounds, netsnmp_walk, children_cpu)),
        ]
        load_before = os.getloadavg()
        runs: dict[str, list[Row]] = {name: [] for name, _ in contenders}
        for _ in range(args.repeats):  # interleaved: every contender once per repetition
            for name, run in contenders:
                runs[name].append(run())
        load_after = os.getloadavg()
        print(
            f"# machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; agent: net-snmp 5.9 with {walked} ifXTable varbinds; "
            f"{args.repeats} interleaved repetitions of {args.rounds} walks; load average "
            f"{' '.join(f'{x:.2f}' for x in load_before)} before, "
            f"{' '.join(f'{x:.2f}' for x in load_after)} after"
        )
        print(report(runs))
    finally:
        if exporter_proc is not None:
            exporter_proc.terminate()
            exporter_proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
        down(prefix)


if __name__ == "__main__":
    main()
