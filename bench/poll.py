"""Benchmark: the same SNMP walk by govnet's poller, Prometheus' snmp_exporter and net-snmp, v2c and v3.

Brings up a small lab (prefix ``gvb`` on 198.18.210.0/24 unless told otherwise), gives one agent
about 300 interfaces (veth pairs), then walks its ifXTable (1.3.6.1.2.1.31.1.1, GETBULK,
max-repetitions 25) with each contender, and prints varbinds per second and CPU-seconds per
10,000 varbinds, as the median and the minimum of ``--reps`` repetitions. The contenders run
interleaved: each repetition runs every contender once, one after the other, so load from
elsewhere on the machine falls on all of them alike (the load average is printed before and after).

v2c (the community of the lab):

* govnet fast path (:class:`govnet.snmp.client.V2cSession`), in process (CPU of this process);
* pysnmp 7's high-level API (:class:`govnet.snmp.client.PysnmpSession`), in process;
* snmp_exporter 0.21 (Debian ``prometheus-snmp-exporter``) with a module written here, scraped over
  HTTP on loopback (CPU of the exporter process): the yardstick;
* net-snmp's ``snmpbulkwalk`` (CPU of the child processes).

v3 authPriv with the lab's SHA/AES user, the way the sample inventory polls most devices:

* govnet fast v3 path (:class:`govnet.snmp.v3.V3Session`), in process;
* pysnmp 7 (what ``engine="pysnmp"`` uses), in process;
* snmp_exporter 0.21 with a ``version: 3`` module;
* ``snmpbulkwalk -v3 -l authPriv -a SHA -x AES``.

And the poller as ``monitor run`` polls a device (:class:`govnet.monitor.scraper.SnmpScraper`, the
interfaces module: 16 ifTable/ifXTable columns in one multi-column walk, a session per scrape), v2c
and v3, on the same agent: its CPU per 10k varbinds is the figure compared with snmp_exporter's
on v2c (the target for v3: at most 1.5x).

Needs root, the lab's packages and ``prometheus-snmp-exporter`` (``scripts/setup.sh --bench``).
Run: ``.venv/bin/python bench/poll.py [--rounds 10] [--reps 3] [--interfaces 300]``.
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
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from pydantic import SecretStr

from govnet import aio
from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.lab.host import missing_prerequisites
from govnet.lab.lifecycle import up
from govnet.lab.state import lab_dir
from govnet.lab.subset import lab_view, routers
from govnet.lab.teardown import down
from govnet.monitor.config import INTERFACES
from govnet.monitor.scraper import SnmpScraper
from govnet.snmp.client import PysnmpSession, Session, Target, V2cSession
from govnet.snmp.v3 import V3Session
from govnet.tasks.render import render_device

ROOT = "1.3.6.1.2.1.31.1.1"
REPS = 25


def proc_cpu(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU of reaped child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])


@dataclass
class Contender:
    """One way of walking the table: ``run(rounds)`` -> (varbinds, wall seconds, CPU seconds)."""

    name: str
    run: Callable[[int], tuple[int, float, float]]
    rounds_divisor: int = 1
    cpu: list[float] = field(default_factory=list)
    rate: list[float] = field(default_factory=list)
    per_walk: int = 0


def timed(one: Callable[[], int], cpu: Callable[[], float]) -> Callable[[int], tuple[int, float, float]]:
    """Rounds of a blocking walk, with the CPU ``cpu`` reports (another process's, or children's)."""

    def run(rounds: int) -> tuple[int, float, float]:
        c0, t0 = cpu(), time.perf_counter()
        total = sum(one() for _ in range(rounds))
        return total, time.perf_counter() - t0, cpu() - c0

    return run


def in_process(make: Callable[[], Session]) -> Callable[[int], tuple[int, float, float]]:
    """Rounds of walks on one session and one event loop, as a long-running poller has."""

    def run(rounds: int) -> tuple[int, float, float]:
        async def go() -> tuple[int, float, float]:
            session = make()
            try:
                await session.walk(ROOT)  # warm: sockets, v3 discovery and keys
                c0, t0 = time.process_time(), time.perf_counter()
                total = 0
                for _ in range(rounds):
                    total += len(await session.walk(ROOT))
                return total, time.perf_counter() - t0, time.process_time() - c0
            finally:
                await session.close()

        return aio.run(go())

    return run


def polled(target: Target) -> Callable[[int], tuple[int, float, float]]:
    """Rounds of what the poller does per device: :class:`SnmpScraper` with the interfaces module
    (16 ifTable/ifXTable columns at once, a session per scrape, as ``monitor run`` has it)."""

    def run(rounds: int) -> tuple[int, float, float]:
        async def go() -> tuple[int, float, float]:
            scraper = SnmpScraper()
            try:

                async def one() -> int:
                    result = await scraper.scrape(target, (INTERFACES,), deadline=60)
                    if result.error:
                        raise SystemExit(f"the poller failed: {result.error}")
                    return result.varbinds

                await one()
                c0, t0 = time.process_time(), time.perf_counter()
                total = 0
                for _ in range(rounds):
                    total += await one()
                return total, time.perf_counter() - t0, time.process_time() - c0
            finally:
                scraper.close()

        return aio.run(go())

    return run


def exporter_config(path: Path, community: str, v3: tuple[str, str, str]) -> None:
    """snmp_exporter 0.21 modules walking ifXTable, v2c (``bench``) and v3 authPriv (``bench_v3``)."""
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
    common = f"  walk:\n    - {ROOT}\n  metrics:\n{metrics}"
    common += f"  max_repetitions: {REPS}\n  retries: 1\n  timeout: 5s\n"
    user, auth, priv = v3
    path.write_text(
        f"bench:\n{common}  version: 2\n  auth:\n    community: {community}\n"
        f"bench_v3:\n{common}  version: 3\n  auth:\n    username: {user}\n    security_level: authPriv\n"
        f"    password: {auth}\n    auth_protocol: SHA\n    priv_protocol: AES\n    priv_password: {priv}\n",
        encoding="utf-8",
    )
    path.chmod(0o600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=10, help="walks per contender and repetition")
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions (>= 3)")
    parser.add_argument("--interfaces", type=int, default=300)
    parser.add_argument("--prefix", default="gvb", help="the bench lab's prefix (one of your own)")
    parser.add_argument("--subnet", default="198.18.210.0/24", help="the bench lab's management subnet")
    parser.add_argument("--exporter-port", type=int, default=9116)
    parser.add_argument("--trap-port", type=int, default=10165)
    args = parser.parse_args()
    if args.reps < 3:
        sys.exit("--reps must be 3 or more (median and min of repetitions)")
    problems = missing_prerequisites()
    exporter = shutil.which("prometheus-snmp-exporter")
    if problems or not exporter or not shutil.which("snmpbulkwalk"):
        sys.exit(
            "cannot run: "
            + "; ".join(problems or ["install prometheus-snmp-exporter and snmp (setup.sh --bench)"])
        )
    prefix = args.prefix
    os.environ.setdefault("GOVNET_LAB_STATE", tempfile.mkdtemp(prefix="govnet-bench-poll-"))
    down(prefix)
    network = load_inventory(sample_dir())
    view = lab_view(network, size="small", mgmt_subnet=IPv4Network(args.subnet), trap_port=args.trap_port)
    state = up(
        network,
        {name: render_device(view, name) for name in routers(view)},
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
        lab_inventory = load_inventory(lab_dir(prefix) / "inventory")
        secrets = lab_inventory.secrets
        community = secrets.get("lab-snmp-v2c", "community").get_secret_value()
        user = getattr(lab_inventory.credentials["lab-snmp-v3"], "username", "")
        auth = secrets.get("lab-snmp-v3", "auth_key").get_secret_value()
        priv = secrets.get("lab-snmp-v3", "priv_key").get_secret_value()
        target = Target(node.mgmt_ip, community=SecretStr(community), max_repetitions=REPS, timeout=5)
        target_v3 = Target(
            node.mgmt_ip,
            version="3",
            user=user,
            auth_protocol="sha",
            auth_key=SecretStr(auth),
            priv_protocol="aes",
            priv_key=SecretStr(priv),
            max_repetitions=REPS,
            timeout=5,
        )

        def walked() -> int:
            return in_process(lambda: V2cSession(target))(1)[0]

        deadline = time.monotonic() + 40  # snmpd caches its interface table for a while
        while walked() < args.interfaces * 15 and time.monotonic() < deadline:
            time.sleep(2)
        config = work / "snmp.yml"
        exporter_config(config, community, (user, auth, priv))
        exporter_proc = subprocess.Popen(
            [exporter, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{args.exporter_port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{args.exporter_port}"
        for _ in range(50):
            try:
                urllib.request.urlopen(f"{base}/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        pid = exporter_proc.pid

        def exporter_scrape(module: str) -> Callable[[], int]:
            url = f"{base}/snmp?target={node.mgmt_ip}&module={module}"

            def one() -> int:
                body = urllib.request.urlopen(url, timeout=30).read().decode()
                returned = next(
                    line for line in body.splitlines() if line.startswith("snmp_scrape_pdus_returned")
                )
                return int(float(returned.split()[-1]))

            return one

        def netsnmp(*auth_args: str) -> Callable[[], int]:
            argv = ["snmpbulkwalk", *auth_args, f"-Cr{REPS}", "-On", node.mgmt_ip, ROOT]

            def one() -> int:
                out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
                return len(out.splitlines())

            return one

        v3_args = ("-v3", "-l", "authPriv", "-u", user, "-a", "SHA", "-A", auth, "-x", "AES", "-X", priv)
        contenders = [
            Contender("govnet fast v2c", in_process(lambda: V2cSession(target))),
            Contender("snmp_exporter 0.21 v2c", timed(exporter_scrape("bench"), lambda: proc_cpu(pid))),
            Contender("govnet fast v3 (SHA/AES)", in_process(lambda: V3Session(target_v3))),
            Contender(
                "snmp_exporter 0.21 v3 (SHA/AES)", timed(exporter_scrape("bench_v3"), lambda: proc_cpu(pid))
            ),
            Contender("pysnmp 7 v2c", in_process(lambda: PysnmpSession(target)), 5),
            Contender("pysnmp 7 v3 (SHA/AES)", in_process(lambda: PysnmpSession(target_v3)), 5),
            Contender("net-snmp snmpbulkwalk v2c", timed(netsnmp("-v2c", "-c", community), children_cpu)),
            Contender("net-snmp snmpbulkwalk v3 (SHA/AES)", timed(netsnmp(*v3_args), children_cpu)),
            Contender("govnet poller v2c (SnmpScraper, 16 interface columns)", polled(target)),
            Contender("govnet poller v3 (SnmpScraper, 16 interface columns)", polled(target_v3)),
        ]
        load_before = load_average()
        for contender in contenders:  # warm-up, and the count per walk
            contender.per_walk = contender.run(1)[0]
        for rep in range(args.reps):
            order = contenders[rep % len(contenders) :] + contenders[: rep % len(contenders)]
            for contender in order:
                total, wall, cpu = contender.run(max(1, args.rounds // contender.rounds_divisor))
                contender.cpu.append(cpu / total * 10_000)
                contender.rate.append(total / wall)
        load_after = load_average()
        print(
            f"# machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; agent: net-snmp 5.9 with {contenders[0].per_walk} "
            f"ifXTable varbinds; {args.reps} interleaved repetitions of {args.rounds} walks; "
            f"load average {load_before} before, {load_after} after"
        )
        yardstick = statistics.median(contenders[1].cpu)
        v3_yardstick = statistics.median(contenders[3].cpu)
        print(
            "poller | varbinds/walk | varbinds/s median | CPU-s per 10k varbinds median (min) "
            "| CPU vs snmp_exporter v2c | vs snmp_exporter v3"
        )
        for c in contenders:
            cpu = statistics.median(c.cpu)
            print(
                f"{c.name} | {c.per_walk} | {statistics.median(c.rate):,.0f} | {cpu:.3f} ({min(c.cpu):.3f}) "
                f"| {cpu / yardstick:.2f}x | {cpu / v3_yardstick:.2f}x"
            )
    finally:
        if exporter_proc is not None:
            exporter_proc.terminate()
            exporter_proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
        down(prefix)


if __name__ == "__main__":
    main()
