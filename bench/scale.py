"""Benchmark: a province and more on one machine — thousands of SNMP agents polled by ``monitor run``.

What it builds, all inside one network namespace (``<prefix>-scale``, ``--prefix`` ``gvs`` unless
told otherwise; nothing leaves loopback):

* an **agent farm**: ``--agents`` net-snmp ``snmpd`` processes answering together on ``--devices``
  loopback addresses (127.1.x.y; one process serves thousands of addresses), each address a
  "device" whose interface table is the namespace's own: ``--interfaces`` veth ends (HC counters),
  with a v2c community and a v3 authPriv SHA/AES user;
* a matching **inventory** of that many devices (``--v3-share`` of them on SNMPv3 authPriv SHA/AES,
  the rest on v2c), written to a temporary directory with its secrets in the environment;
* then, interleaved, ``--reps`` times each: **govnet** (``govnet monitor run`` as a process, inside
  the namespace, polling every device every ``--interval`` seconds for ``--cycles`` cycles), and
  **snmp_exporter** (Debian's ``prometheus-snmp-exporter``, inside the namespace, scraped once per
  device over HTTP by a bounded client with the same columns, v2c and v3; ``--exporter-devices``
  of them per run, 1,000 unless told: its CPU per varbind does not need more), as the yardstick.

It prints, per repetition and as median and min: interfaces polled per minute, CPU-s per 10k
varbinds of the whole ``monitor run`` process (poller, engine and SQLite store; v2c and v3
separately, from runs where every device uses one version, and the mixed inventory), the
exporter's CPU-s per 10k varbinds, memory (max RSS), store growth per hour, how much CPU the
monitor had and how long it stood runnable waiting for a CPU (``/proc/PID/task/*/schedstat``), the
agents' CPU and the whole machine's, and interfaces per minute per core the monitor had (its
speed apart from what else the machine runs); and the monitoring
engine's CPU per idle tick at 360 and at ``--devices`` devices (in process, nothing due), with the
load average. Needs root and ``scripts/setup.sh --bench``.

Run: ``.venv/bin/python bench/scale.py [--devices 5000] [--interfaces 48] [--reps 3]``;
``--idle-only`` measures only the engine's idle tick (no root, no agents: the sizes interleaved,
``--reps`` times each, median and min).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from govnet.inventory.loader import load_inventory
from govnet.inventory.yamlfile import dump_yaml
from govnet.monitor.config import targets_from_inventory
from govnet.monitor.engine import Monitor
from govnet.monitor.fake import FakeScraper
from govnet.monitor.scraper import Scrape
from govnet.monitor.store import open_store
from govnet.snmp import mibs

#: Where the agent farm lives: its namespace (``--prefix``: a prefix of your own, :func:`use_prefix`).
WHERE = {"namespace": "gvs-scale"}
COMMUNITY = "bench-scale-community"
V3_USER = "benchv3"
V3_AUTH = "bench-scale-auth-key"
V3_PRIV = "bench-scale-priv-key"
EXPORTER_PORT = 9117
#: IF-MIB columns govnet's interface module walks (the exporter is given the same ones).
COLUMNS = (*mibs.IF_COLUMNS.values(), *mibs.IFX_COLUMNS.values())


def address(i: int) -> str:
    """The i-th device's loopback address (127.1.0.1 onwards, 250 per /24).

    >>> address(0), address(249), address(250)
    ('127.1.0.1', '127.1.0.250', '127.1.1.1')
    """
    return f"127.1.{i // 250}.{i % 250 + 1}"


def use_prefix(prefix: str) -> None:
    """Put the farm in ``<prefix>-scale`` (a lower-case letter, then lower-case letters or digits,
    at most 6 characters, as lab prefixes are)."""
    if not re.fullmatch(r"[a-z][a-z0-9]{0,5}", prefix):
        raise SystemExit(
            f"--prefix {prefix!r}: use a lower-case letter, then up to 5 lower-case letters or digits "
            "(a lab prefix of your own)"
        )
    WHERE["namespace"] = f"{prefix}-scale"


def sh(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, check=check)


def in_ns(*cmd: str) -> list[str]:
    return ["ip", "netns", "exec", WHERE["namespace"], *cmd]


def proc_cpu(pid: int) -> float:
    """utime + stime of a live process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_sched(pid: int) -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable but waiting for one) of a live process's threads, from
    /proc/PID/task/*/schedstat: the second is what a process that "uses half a core" lost to the
    others on a busy machine, which its CPU time does not show."""
    run = wait = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            on_cpu, waiting, _ = (task / "schedstat").read_text(encoding="utf-8").split()
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue  # a thread that ended meanwhile
        run, wait = run + int(on_cpu), wait + int(waiting)
    return run / 1e9, wait / 1e9


def machine_busy() -> float:
    """CPU-seconds the whole machine spent busy since boot (every process, ours and others')."""
    fields = [int(x) for x in Path("/proc/stat").read_text(encoding="utf-8").splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    """Peak resident memory of a live process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ---------------------------------------------------------------------------------------- the farm
@dataclass
class Farm:
    """The namespace, its interfaces and the snmpd processes (by PID) serving every device."""

    work: Path
    devices: int
    pids: list[int] = field(default_factory=list)


def teardown(farm: Farm | None) -> None:
    """Stop what this bench started (by PID), then remove the namespace."""
    for pid in farm.pids if farm else []:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + 10
    for pid in farm.pids if farm else []:
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)
    sh("ip", "netns", "del", WHERE["namespace"], check=False)


@contextmanager
def farm_up(devices: int, interfaces: int, agents: int, work: Path) -> Iterator[Farm]:
    """Bring the farm up; always take it down."""
    farm = Farm(work, devices)
    teardown(None)  # a namespace left by a killed run
    try:
        sh("ip", "netns", "add", WHERE["namespace"])
        script = ["ip link set lo up"] + [
            f"ip link add eth{2 * i + 1} type veth peer name eth{2 * i + 2}"
            f" && ip link set eth{2 * i + 1} up && ip link set eth{2 * i + 2} up"
            for i in range(interfaces // 2)
        ]
        sh(*in_ns("sh", "-ec", " && ".join(script)))
        conf = work / "snmpd.conf"
        conf.write_text(
            f"rocommunity {COMMUNITY} 127.0.0.0/8\n"
            f'createUser {V3_USER} SHA "{V3_AUTH}" AES "{V3_PRIV}"\n'
            f"rouser {V3_USER} priv\n"
            "dontLogTCPWrappersConnects yes\n",
            encoding="utf-8",
        )
        conf.chmod(0o600)
        for k in range(agents):
            mine = [address(i) for i in range(k, devices, agents)]
            persist = work / f"snmpd-{k}"
            persist.mkdir()
            proc = subprocess.Popen(
                in_ns(
                    "/usr/sbin/snmpd",
                    "-f",
                    "-Lf",
                    str(work / f"snmpd-{k}.log"),
                    "-C",
                    "-c",
                    str(conf),
                    f"--persistentDir={persist}",
                    "-I",
                    "-smux",
                    ",".join(f"udp:{a}:161" for a in mine),
                ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "MIBS": ""},
            )
            farm.pids.append(proc.pid)
        deadline = time.monotonic() + 60
        for probe in (address(0), address(devices - 1)):
            while True:
                ok = sh(
                    *in_ns("snmpget", "-v2c", "-c", COMMUNITY, "-On", "-t", "1", probe, mibs.SYS_UPTIME),
                    check=False,
                )
                if ok.returncode == 0:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the agent farm does not answer on {probe}: {ok.stderr.strip()}")
                time.sleep(0.5)
        yield farm
    finally:
        teardown(farm)


# ----------------------------------------------------------------------------------- the inventory
def inventory_files(devices: int, v3_share: float, interfaces: int) -> dict[str, dict[str, Any]]:
    """A valid inventory of ``devices`` on the farm's addresses: a core, hubs on the core, and CPEs
    under the hubs (uplink eth1), named after the farm's interfaces; v3 for the first share."""
    districts = [{"id": f"d{d:02d}", "name": f"Huyện {d:02d}"} for d in range(11)]
    v3_count = round(devices * v3_share)
    per_hub = max(1, interfaces - 1)
    hubs = max(1, -(-(devices - 1) // (per_hub + 1)))
    sites, devs, links = [], [], []
    for i in range(devices):
        role = "core" if i == 0 else "hub" if i <= hubs else "cpe"
        name = "core-01" if i == 0 else f"{role}-{i:05d}"
        sites.append(
            {
                "id": f"s{i:05d}",
                "name": f"Điểm {i:05d}",
                "kind": {"core": "datacenter", "hub": "hub", "cpe": "agency"}[role],
                "district": districts[i % len(districts)]["id"],
                "lat": 11.0 + (i % 100) / 100,
                "lon": 106.0 + (i // 100 % 100) / 100,
            }
        )
        devs.append(
            {
                "name": name,
                "role": role,
                "platform": "linux",
                "site": f"s{i:05d}",
                "mgmt_ip": address(i),
                "snmp_profile": "v3" if i < v3_count else "v2c",
                "ssh_credential": "ssh",
                "interfaces": [f"eth[1-{max(interfaces, hubs) if i == 0 else interfaces}]"],
            }
        )
        if role == "hub":
            links.append(
                {"a": f"core-01:eth{i}", "b": f"{name}:eth1", "capacity_mbps": 1000, "medium": "fiber"}
            )
        elif role == "cpe":
            hub = 1 + (i - hubs - 1) % hubs
            port = 2 + (i - hubs - 1) // hubs
            links.append(
                {
                    "a": f"hub-{hub:05d}:eth{port}",
                    "b": f"{name}:eth1",
                    "capacity_mbps": 100,
                    "medium": "fiber",
                    "protocol": "static",
                }
            )
    for link in links:
        link.setdefault("protocol", "static")
    province = {
        "province": {
            "name": "Tỉnh Đo Tải",
            "code": "DT",
            "bbox": {"min_lat": 10.9, "max_lat": 12.1, "min_lon": 105.9, "max_lon": 107.1},
            "districts": districts,
        },
        "subnets": [{"name": "mgmt", "prefix": "127.1.0.0/16", "purpose": "management"}],
        "credentials": [
            {"name": "ssh", "kind": "ssh", "username": "bench", "password": {"env": "BENCH_SCALE_AUTH"}},
            {"name": "v2c", "kind": "snmp_v2c", "community": {"env": "BENCH_SCALE_COMMUNITY"}},
            {
                "name": "v3",
                "kind": "snmp_v3",
                "username": V3_USER,
                "auth_protocol": "sha",
                "auth_key": {"env": "BENCH_SCALE_AUTH"},
                "priv_protocol": "aes",
                "priv_key": {"env": "BENCH_SCALE_PRIV"},
            },
        ],
        "snmp_profiles": [
            {"name": "v2c", "version": "2c", "credential": "v2c", "timeout_s": 5, "retries": 1},
            {"name": "v3", "version": "3", "credential": "v3", "timeout_s": 5, "retries": 1},
        ],
    }
    network = {"sites": sites, "devices": devs, "links": links}
    return {"province.yaml": province, "network.yaml": network}


def write_inventory(path: Path, files: dict[str, dict[str, Any]]) -> Path:
    path.mkdir(parents=True)
    for name, data in files.items():
        (path / name).write_text(dump_yaml(data), encoding="utf-8")
    return path


SECRETS = {"BENCH_SCALE_COMMUNITY": COMMUNITY, "BENCH_SCALE_AUTH": V3_AUTH, "BENCH_SCALE_PRIV": V3_PRIV}


# ------------------------------------------------------------------------------------ govnet's run
@dataclass
class GovnetRun:
    label: str
    minutes: float
    polls_ok: int
    polls_failed: int
    interfaces: int
    varbinds: int
    cpu_s: float
    rss_mb: float
    store_bytes_per_hour: float
    #: Cores' worth of the measured time: the monitor on a CPU, the monitor runnable but waiting
    #: for a CPU (taken by other processes), the agents on a CPU, the whole machine busy.
    cores: float = 0.0
    waited: float = 0.0
    agents: float = 0.0
    busy: float = 0.0

    @property
    def interfaces_per_minute(self) -> float:
        return self.interfaces / self.minutes

    @property
    def interfaces_per_core_minute(self) -> float:
        """Interfaces per minute per core the monitor had: its speed apart from the machine's load."""
        return self.interfaces_per_minute / max(self.cores, 1e-9)

    @property
    def cpu_per_10k(self) -> float:
        return self.cpu_s / max(1, self.varbinds) * 10_000


def govnet_run(
    label: str, inventory: Path, work: Path, interval: float, cycles: int, agents: list[int]
) -> GovnetRun:
    """``monitor run`` for ``cycles`` intervals after one warm-up interval; what it did in them."""
    store = work / f"{label}.db"
    store.unlink(missing_ok=True)
    env = {**os.environ, **SECRETS}
    proc = subprocess.Popen(
        in_ns(
            sys.executable,
            "-m",
            "govnet.cli",
            "--inventory",
            str(inventory),
            "monitor",
            "run",
            "--store",
            f"sqlite:///{store}",
            "--interval",
            str(interval),
            "--duration",
            str(interval * (cycles + 1) + 300),  # stopped below once measured; bounded regardless
            "--no-live",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        # Start-up (the inventory of thousands of devices is loaded and checked) until the first
        # poll is stored, then one interval of warm-up: the first cycle (discovery, first samples).
        deadline = time.monotonic() + 300
        while polls_stored(store) == 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"monitor run stored no poll ({label}); exit code {proc.poll()}")
            time.sleep(0.5)
        time.sleep(interval)
        cpu0, t0, size0 = proc_cpu(proc.pid), time.time(), store_bytes(store)
        sched0, agents0, busy0 = proc_sched(proc.pid), sum(proc_cpu(p) for p in agents), machine_busy()
        time.sleep(interval * cycles)
        cpu1, t1 = proc_cpu(proc.pid), time.time()
        sched1, agents1, busy1 = proc_sched(proc.pid), sum(proc_cpu(p) for p in agents), machine_busy()
        rss = proc_rss_mb(proc.pid)
        size1 = store_bytes(store)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # as Ctrl-C: the monitor stops cleanly
        _, err = proc.communicate(timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"monitor run failed ({proc.returncode}): {err[-2000:]}")
    with sqlite3.connect(store) as db:
        rows = db.execute(
            "SELECT ok, COUNT(*), SUM(varbinds) FROM polls WHERE at >= ? AND at < ? GROUP BY ok",
            (t0, t1),
        ).fetchall()
    ok = next((r for r in rows if r[0] == 1), (1, 0, 0))
    failed = next((r for r in rows if r[0] == 0), (0, 0, 0))
    varbinds = int(ok[2] or 0) + int(failed[2] or 0)
    # every device of the farm shows the namespace's interfaces: count them from one answer
    per_device = interfaces_per_device()
    minutes = (t1 - t0) / 60
    return GovnetRun(
        label,
        minutes,
        int(ok[1]),
        int(failed[1]),
        int(ok[1]) * per_device,
        varbinds,
        cpu1 - cpu0,
        rss,
        (size1 - size0) / (t1 - t0) * 3600,
        (sched1[0] - sched0[0]) / (t1 - t0),
        (sched1[1] - sched0[1]) / (t1 - t0),
        (agents1 - agents0) / (t1 - t0),
        (busy1 - busy0) / (t1 - t0),
    )


def store_bytes(path: Path) -> int:
    """The store's size as a reader sees it (pages × page size, what its write-ahead log holds
    included): the files' sizes mislead over a short run, as the log grows to its checkpoint."""
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:  # reads only
        pages = int(db.execute("PRAGMA page_count").fetchone()[0])
        return pages * int(db.execute("PRAGMA page_size").fetchone()[0])


def polls_stored(path: Path) -> int:
    """Poll records in the store so far (0 before the monitor created it)."""
    if not path.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
            return int(db.execute("SELECT COUNT(*) FROM polls").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def interfaces_per_device() -> int:
    out = sh(
        *in_ns("snmpbulkwalk", "-v2c", "-c", COMMUNITY, "-On", address(0), mibs.IF_COLUMNS["ifOperStatus"])
    )
    return len(out.stdout.splitlines())


# ------------------------------------------------------------------------------- the exporter's run
def exporter_config(path: Path) -> None:
    """An snmp_exporter 0.21 module per SNMP version, walking the same IF-MIB columns govnet walks."""
    index = "        indexes:\n          - labelname: ifIndex\n            type: gauge\n"
    walk = "".join(f"    - {oid}\n" for oid in COLUMNS)
    metrics = "".join(
        f"      - name: c{n}\n        oid: {oid}\n"
        f"        type: {'DisplayString' if n in (0, 11, 15) else 'gauge'}\n{index}"
        for n, oid in enumerate(COLUMNS)
    )
    common = f"  walk:\n{walk}  metrics:\n{metrics}  max_repetitions: 25\n  retries: 1\n  timeout: 5s\n"
    path.write_text(
        f"v2c:\n{common}  version: 2\n  auth:\n    community: {COMMUNITY}\n"
        f"v3:\n{common}  version: 3\n  auth:\n    username: {V3_USER}\n    security_level: authPriv\n"
        f"    password: {V3_AUTH}\n    auth_protocol: SHA\n    priv_protocol: AES\n"
        f"    priv_password: {V3_PRIV}\n",
        encoding="utf-8",
    )


@dataclass
class ExporterRun:
    label: str
    scrapes: int
    varbinds: int
    cpu_s: float
    seconds: float

    @property
    def cpu_per_10k(self) -> float:
        return self.cpu_s / max(1, self.varbinds) * 10_000


def exporter_run(label: str, module: str, pid: int, devices: int, concurrency: int = 64) -> ExporterRun:
    """Scrape every device once through the exporter (HTTP on the namespace's loopback)."""
    script = f"""
import asyncio, sys
async def one(addr):
    r, w = await asyncio.open_connection("127.0.0.1", {EXPORTER_PORT})
    w.write(f"GET /snmp?target={{addr}}&module={module} HTTP/1.0\\r\\n\\r\\n".encode())
    body = (await r.read()).decode()
    w.close()
    for line in body.splitlines():
        if line.startswith("snmp_scrape_pdus_returned"):
            return int(float(line.split()[-1]))
    return 0
async def main():
    sem = asyncio.Semaphore({concurrency})
    async def guarded(a):
        async with sem:
            return await one(a)
    addrs = sys.stdin.read().split()
    counts = await asyncio.gather(*(guarded(a) for a in addrs))
    print(sum(counts), sum(1 for c in counts if c))
asyncio.run(main())
"""
    addrs = " ".join(address(i) for i in range(devices))
    cpu0, t0 = proc_cpu(pid), time.perf_counter()
    out = subprocess.run(
        in_ns(sys.executable, "-c", script), input=addrs, capture_output=True, text=True, check=True
    ).stdout.split()
    seconds, cpu = time.perf_counter() - t0, proc_cpu(pid) - cpu0
    return ExporterRun(label, int(out[1]), int(out[0]), cpu, seconds)


# ------------------------------------------------------------------------------ engine idle tick
def idle_tick_cpu(devices: int, ticks: int = 50) -> tuple[float, float, float]:
    """CPU-ms of one engine tick, every device already polled once (in process): with nothing due
    (the clock moves within the time until the next device is due), and with the clock moving
    10 ms a tick (at 5,000 devices about one device is then due per tick); and the polls per tick
    of the latter."""
    with tempfile.TemporaryDirectory() as tmp:
        for key, value in SECRETS.items():
            os.environ[key] = value
        network = load_inventory(write_inventory(Path(tmp) / "inv", inventory_files(devices, 0.0, 4)))
        store = open_store(f"sqlite:///{tmp}/idle.db")
        targets = targets_from_inventory(network)
        recorded = {t.target.host: Scrape(t.target.host, varbinds=10) for t in targets}
        now = [1_000_000.0]
        monitor = Monitor(network, store, FakeScraper(recorded=recorded), targets, clock=lambda: now[0])

        async def measure(step: Callable[[], float]) -> tuple[float, int]:
            polled, t0 = 0, time.process_time()
            for _ in range(ticks):
                now[0] += step()
                polled += len((await monitor.tick()).polled)
            return (time.process_time() - t0) / ticks * 1000, polled

        async def go() -> tuple[float, float, float]:
            await monitor.tick()  # everything due: the first poll of every device
            now[0] += 0.5
            await monitor.tick()
            await monitor.tick()
            quiet = monitor.next_wakeup(now[0]) / (ticks + 1)
            idle, polled = await measure(lambda: quiet)
            assert polled == 0, f"{polled} polls in the idle ticks"
            stepped, polled = await measure(lambda: 0.01)
            return idle, stepped, polled / ticks

        try:
            return asyncio.run(go())
        finally:
            store.close()


def idle_ticks(sizes: list[int], reps: int) -> dict[int, list[float]]:
    """The idle tick at each size, the sizes interleaved, ``reps`` times; printed as they come."""
    out: dict[int, list[float]] = {n: [] for n in sizes}
    stepped: dict[int, list[float]] = {n: [] for n in sizes}
    for rep in range(reps):
        for n in sizes:
            idle, busy, polls = idle_tick_cpu(n)
            out[n].append(idle)
            stepped[n].append(busy)
            print(f"rep {rep + 1}: {n} devices {idle:.3f} ms per idle tick; {busy:.3f} ms per 10 ms "
                  f"tick ({polls:.2f} polls a tick); load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    for n in sizes:
        print(f"engine CPU per idle tick, {n} devices: {fmt(out[n], '.3f')} ms; "
              f"per 10 ms tick: {fmt(stepped[n], '.3f')} ms")  # fmt: skip
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return out


# ------------------------------------------------------------------------------------------- main
def fmt(values: list[float], spec: str = ",.0f") -> str:
    return f"median {statistics.median(values):{spec}}, min {min(values):{spec}}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--interfaces", type=int, default=48)
    parser.add_argument("--agents", type=int, default=2, help="snmpd processes sharing the devices")
    parser.add_argument("--v3-share", type=float, default=0.8)
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--idle-only", action="store_true", help="only the engine's idle tick")
    parser.add_argument("--prefix", default="gvs", help="the farm's namespace prefix (one of your own)")
    parser.add_argument(
        "--exporter-devices",
        type=int,
        default=1000,
        help="devices snmp_exporter scrapes per run (its CPU per varbind needs no more)",
    )
    args = parser.parse_args()
    if args.reps < 3:
        sys.exit("--reps must be 3 or more (median and min of repetitions)")
    use_prefix(args.prefix)
    if args.idle_only:
        print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        idle_ticks([360, args.devices], args.reps)
        return
    if os.geteuid() != 0:
        sys.exit("cannot run: needs root (a network namespace)")
    exporter = shutil.which("prometheus-snmp-exporter")
    if not exporter or not shutil.which("snmpd"):
        sys.exit("cannot run: install snmpd and prometheus-snmp-exporter (scripts/setup.sh --bench)")
    print(
        f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.devices} devices x {args.interfaces} veth interfaces on {args.agents} snmpd; "
        f"interval {args.interval:g} s, {args.cycles} measured cycles, {args.reps} repetitions; "
        f"snmp_exporter scrapes {min(args.exporter_devices, args.devices)} of them per run"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    idle_ticks([360, args.devices], args.reps)
    exporter_devices = max(1, min(args.exporter_devices, args.devices))
    work = Path(tempfile.mkdtemp(prefix="govnet-bench-scale-"))
    inventories = {
        "mixed": write_inventory(
            work / "inv-mixed", inventory_files(args.devices, args.v3_share, args.interfaces)
        ),
        "v2c": write_inventory(work / "inv-v2c", inventory_files(args.devices, 0.0, args.interfaces)),
        "v3": write_inventory(work / "inv-v3", inventory_files(args.devices, 1.0, args.interfaces)),
    }
    exporter_proc: subprocess.Popen[bytes] | None = None
    results: dict[str, list[Any]] = {}
    try:
        with farm_up(args.devices, args.interfaces, args.agents, work) as farm:
            agent_pids = list(farm.pids)  # the snmpd processes (the exporter is added below)
            config = work / "snmp.yml"
            exporter_config(config)
            exporter_proc = subprocess.Popen(
                in_ns(exporter, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{EXPORTER_PORT}"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            farm.pids.append(exporter_proc.pid)
            time.sleep(1)
            for rep in range(args.reps):
                # The contenders interleaved, the order turning each repetition.
                order: list[str] = ["mixed", "v2c", "v3", "exporter v2c", "exporter v3"]
                order = order[rep % len(order) :] + order[: rep % len(order)]
                for label in order:
                    if label.startswith("exporter"):
                        module = label.split()[1]
                        ex = exporter_run(label, module, exporter_proc.pid, exporter_devices)
                        results.setdefault(f"snmp_exporter {module}", []).append(ex)
                        print(
                            f"rep {rep + 1} snmp_exporter {module}: {ex.scrapes} scrapes, "
                            f"{ex.varbinds / ex.seconds:,.0f} varbinds/s, "
                            f"{ex.cpu_per_10k:.3f} CPU-s/10k varbinds; "
                            f"load {os.getloadavg()[0]:.2f}",
                            flush=True,
                        )
                        continue
                    run = govnet_run(label, inventories[label], work, args.interval, args.cycles, agent_pids)
                    results.setdefault(f"govnet {label}", []).append(run)
                    print(
                        f"rep {rep + 1} govnet {label}: {run.interfaces_per_minute:,.0f} interfaces/min, "
                        f"{run.polls_ok} polls ok, {run.polls_failed} failed, "
                        f"{run.cpu_per_10k:.3f} CPU-s/10k varbinds, max RSS {run.rss_mb:.0f} MB, "
                        f"store +{run.store_bytes_per_hour / 1e6:.0f} MB/h; monitor on a CPU {run.cores:.2f} "
                        f"cores, waiting for one {run.waited:.2f}, agents {run.agents:.2f}, machine busy "
                        f"{run.busy:.2f} of {os.cpu_count()}; "
                        f"{run.interfaces_per_core_minute:,.0f} interfaces per minute per monitor core; "
                        f"load {os.getloadavg()[0]:.2f}",
                        flush=True,
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\nsummary (median and min over repetitions)")
    yard = [r.cpu_per_10k for r in results["snmp_exporter v2c"]]
    for name, runs in results.items():
        cpu = [r.cpu_per_10k for r in runs]
        line = f"{name}: CPU-s/10k varbinds {fmt(cpu, '.3f')}"
        if isinstance(runs[0], GovnetRun):
            line += f"; interfaces/min {fmt([r.interfaces_per_minute for r in runs])}"
            line += f"; max RSS {fmt([r.rss_mb for r in runs])} MB"
            line += f"; store growth {fmt([r.store_bytes_per_hour / 1e6 for r in runs])} MB/h"
            line += f"; monitor cores on a CPU {fmt([r.cores for r in runs], '.2f')}"
            line += f", waiting for a CPU {fmt([r.waited for r in runs], '.2f')}"
            line += f"; machine busy {fmt([r.busy for r in runs], '.2f')} cores"
            line += f"; interfaces/min per monitor core {fmt([r.interfaces_per_core_minute for r in runs])}"
        line += f"; vs snmp_exporter v2c {statistics.median(cpu) / statistics.median(yard):.2f}x"
        print(line)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
