"""Benchmark: the status API under load, next to a bare FastAPI hello-world served the same way.

A store is filled for the whole sample province (360 devices, 318 agencies) by the real engine
from fake agents with one hub dead, then ``govnet``'s app and a one-line FastAPI app are each
served by uvicorn in a process of its own (1 worker, uvloop, httptools: both the same, no access
log) on loopback, and ``wrk`` (C, from Debian; a third process) drives ``/hello`` (an ``async def``
returning a dict: the tougher yardstick, no threadpool hop), ``/api/v1/summary`` and
``/api/v1/agencies`` with 50 and 200 connections for a bounded time.

Every URL is first driven for ``--warmup`` seconds (not counted: caches, the store's answers, the
allocator). Then the runs are interleaved in pairs: for each repetition and endpoint, hello-world
and the endpoint back to back, the order alternating between repetitions (hello, ours; ours,
hello; ...), so that a change in the machine's load hits both sides of a ratio alike.

Printed per endpoint and concurrency: requests/s median and min over the repetitions, p50/p99
latency medians, and the ratio to hello-world (median of the per-repetition ratios, and their
min); each govnet endpoint twice: with ``Accept-Encoding: gzip, deflate`` (what browsers and
httpx send; both sides of the pair get it, the hello-world ignores it) and without (plain bytes);
the server process's CPU time per request (from /proc) and hello-world's over ours (median,
min): requests one core serves, relative to hello-world, which a loaded machine disturbs far
less than requests/s (wrk and every other process share the cores with the server); the load
average before, during (per repetition) and after.

Run: ``.venv/bin/python bench/api.py [--seconds 8] [--repeat 5] [--warmup 3]`` (needs ``wrk``:
scripts/setup.sh --bench).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # govnet is imported as installed, never from the source folders

_SERVE_GOVNET = """
import sys, uvicorn
from govnet.api.app import create_app
from govnet.api.auth import TokenStore
from govnet.api.deps import ApiState
from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory
from govnet.monitor.store import open_store
from pathlib import Path
network = load_inventory(sample_dir())
app = create_app(ApiState(network, open_store(sys.argv[1]), TokenStore(Path(sys.argv[2]))))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), access_log=False, log_level="warning",
            loop="uvloop", http="httptools")
"""

_SERVE_HELLO = """
import sys, uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=False, log_level="warning",
            loop="uvloop", http="httptools")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill_store(path: Path) -> None:
    """One settled snapshot of the province, a hub dead, from the real engine."""
    from govnet.inventory import sample_dir
    from govnet.inventory.loader import load_inventory
    from govnet.inventory.models import Role
    from govnet.monitor.config import targets_from_inventory
    from govnet.monitor.engine import Monitor
    from govnet.monitor.fake import FakeScraper
    from govnet.monitor.store import open_store

    network = load_inventory(sample_dir())
    store = open_store(str(path))
    agents = FakeScraper(network)
    now = [time.time() - 300]
    monitor = Monitor(network, store, agents, targets_from_inventory(network), clock=lambda: now[0])
    asyncio.run(monitor.tick())
    agents.kill(
        max(
            (d.name for d in network.devices_with_role(Role.HUB)),
            key=lambda h: len(network.links_by_device[h]),
        )
    )
    now[0] += 130
    asyncio.run(monitor.tick())
    store.close()


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited ({proc.returncode})") from None
            time.sleep(0.2)
    raise SystemExit("the server did not listen within 30 s")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


#: What each pair of runs sends as ``Accept-Encoding`` (both sides alike; the hello-world ignores it):
#: a browser's or httpx's value, and none (plain bytes).
ENCODINGS = {"gzip": "gzip, deflate", "plain": None}


def wrk(
    url: str, connections: int, seconds: int, token: str | None, encoding: str | None = None
) -> dict[str, float]:
    """Run wrk; requests/s and p50/p99 in milliseconds."""
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "--timeout", "10s"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if encoding:
        cmd += ["-H", f"Accept-Encoding: {encoding}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        lat[pct] = float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses")
    done = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50_ms": lat["50"], "p99_ms": lat["99"], "requests": done}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk_server(
    url: str, connections: int, seconds: int, token: str | None, encoding: str | None, pid: int
) -> dict[str, float]:
    """:func:`wrk`, plus the server's CPU microseconds per request (robust on a loaded machine)."""
    before = cpu_seconds(pid)
    result = wrk(url, connections, seconds, token, encoding)
    result["cpu_us"] = (cpu_seconds(pid) - before) / max(result["requests"], 1) * 1e6
    return result


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report(
    name: str, connections: int, runs: list[dict[str, float]], ratios: list[float], cpu_ratios: list[float]
) -> None:
    """One line of the table: req/s median and min, latency medians, ratios median and min, CPU."""
    rps = [r["rps"] for r in runs]
    cpu = [r["cpu_us"] for r in runs]
    figures = (
        f"{statistics.median(rps):>10.0f}{min(rps):>9.0f}"
        f"{statistics.median(r['p50_ms'] for r in runs):>9.2f}"
        f"{statistics.median(r['p99_ms'] for r in runs):>9.2f}"
        f"{statistics.median(ratios):>9.2f}{min(ratios):>8.2f}"
        f"{statistics.median(cpu):>11.0f}{min(cpu):>8.0f}"
        f"{statistics.median(cpu_ratios):>9.2f}{min(cpu_ratios):>8.2f}"
    )
    print(f"{name:<34}{connections:>8}{figures}", flush=True)


def measure(
    hello_server: tuple[int, int],
    ours_server: tuple[int, int],
    token: str,
    seconds: int,
    repeat: int,
    warmup: int,
) -> None:
    """Warm-up, interleaved pairs, then the table.

    Columns: requests/s (median, min), latency p50/p99 (medians), the requests/s ratio to
    hello-world of the same repetition (median, min); the server's CPU microseconds per request
    (median, min) and hello-world's CPU per request over ours (median, min): on a loaded machine
    the CPU ratio is the steadier measure of the same thing (requests a core can serve).
    """
    (hport, hpid), (gport, gpid) = hello_server, ours_server
    paths = ("/api/v1/summary", "/api/v1/agencies?limit=100")
    rows = [(path, name) for path in paths for name in ENCODINGS]
    hello_url = f"http://127.0.0.1:{hport}/hello"
    if warmup:
        for connections in (50, 200):
            wrk(hello_url, connections, warmup, None)
            for path, name in rows:
                wrk(f"http://127.0.0.1:{gport}{path}", connections, warmup, token, ENCODINGS[name])
        print(f"warm-up done ({warmup} s per URL and concurrency), load average {loadavg()}", flush=True)
    print(
        f"{'endpoint (Accept-Encoding)':<34}{'clients':>8}{'req/s med':>10}{'min':>9}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'x hello':>9}{'min':>8}{'cpu us/req':>11}{'min':>8}{'x hello':>9}{'min':>8}"
    )
    for connections in (50, 200):
        hello: list[dict[str, float]] = []
        ours: dict[tuple[str, str], list[dict[str, float]]] = {row: [] for row in rows}
        ratios: dict[tuple[str, str], list[float]] = {row: [] for row in rows}
        cpu_ratios: dict[tuple[str, str], list[float]] = {row: [] for row in rows}
        loads: list[str] = []
        for rep in range(repeat):
            # Alternate which side goes first, so neither always runs on a warmer (or busier) machine.
            for row in rows:
                encoding = ENCODINGS[row[1]]
                pair = [("hello", hello_url, None, hpid)]
                pair.append(("ours", f"http://127.0.0.1:{gport}{row[0]}", token, gpid))
                if rep % 2:
                    pair.reverse()
                got = {
                    side: wrk_server(url, connections, seconds, tok, encoding, pid)
                    for side, url, tok, pid in pair
                }
                hello.append(got["hello"])
                ours[row].append(got["ours"])
                ratios[row].append(got["ours"]["rps"] / got["hello"]["rps"])
                cpu_ratios[row].append(got["hello"]["cpu_us"] / got["ours"]["cpu_us"])
            loads.append(f"{os.getloadavg()[0]:.1f}")
        report("/hello (bare FastAPI async)", connections, hello, [1.0], [1.0])
        for row in rows:
            report(f"{row[0]} ({row[1]})", connections, ours[row], ratios[row], cpu_ratios[row])
        print(f"{'':<34}1-minute load average after each repetition: {', '.join(loads)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="load time per run (bounded)")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved repetitions (>= 3)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds per URL before measuring")
    args = parser.parse_args()
    if args.repeat < 3:
        raise SystemExit("--repeat must be at least 3 (median and min need them)")
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: scripts/setup.sh --bench")
    tmp = Path(tempfile.mkdtemp(prefix="govnet-bench-api-"))
    os.environ["HOME"] = str(tmp)
    os.environ["XDG_CONFIG_HOME"] = str(tmp / ".config")
    fill_store(tmp / "monitor.db")
    from govnet.api.auth import Role, TokenStore

    token, _ = TokenStore(tmp / "tokens.json").create(Role.IOC)
    gport, hport = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _SERVE_GOVNET,
                str(tmp / "monitor.db"),
                str(tmp / "tokens.json"),
                str(gport),
            ],
            env=env,
            cwd=REPO,
        ),
        subprocess.Popen([sys.executable, "-c", _SERVE_HELLO, str(hport)], env=env, cwd=REPO),
    ]
    try:
        wait_listening(gport, servers[0])
        wait_listening(hport, servers[1])
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(
            "servers: uvicorn 1 worker each (uvloop, httptools), loopback; "
            "client: wrk -t2, its own process, sharing the cores with the server"
        )
        print(f"runs: {args.repeat} interleaved repetitions of {args.seconds} s per endpoint and concurrency")
        print(f"load average before: {loadavg()}", flush=True)
        measure(
            (hport, servers[1].pid), (gport, servers[0].pid), token, args.seconds, args.repeat, args.warmup
        )
        print(f"load average after: {loadavg()}")
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=15)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
