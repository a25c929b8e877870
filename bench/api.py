"""Benchmark: the status API under load, next to a bare FastAPI hello-world served the same way.

A store is filled for the whole sample province (360 devices, 318 agencies) by the real engine
from fake agents with one hub dead, then ``govnet``'s app and a one-line FastAPI app are each
served by uvicorn (1 worker, uvloop, httptools when present, no access log) on loopback, and
``wrk`` (C, from Debian) drives ``/api/v1/summary``, ``/api/v1/agencies`` and ``/hello`` with 50
and 200 connections for a bounded time. Printed: requests/s and p50/p99 latency per endpoint and
concurrency, and the ratio to hello-world in the same run.

Run: ``.venv/bin/python bench/api.py [--seconds 10]`` (needs ``wrk``: scripts/setup.sh --bench).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(REPO)  # the fake agents live with the tests

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
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), access_log=False, log_level="warning")
"""

_SERVE_HELLO = """
import sys, uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=False, log_level="warning")
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
    from govnet.monitor.store import open_store
    from tests.fakeagents import Agents

    network = load_inventory(sample_dir())
    store = open_store(str(path))
    agents = Agents(network)
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


def wrk(url: str, connections: int, seconds: int, token: str | None) -> dict[str, float]:
    """Run wrk; requests/s and p50/p99 in milliseconds."""
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", "--timeout", "10s"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        lat[pct] = float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses")
    return {"rps": rps, "p50_ms": lat["50"], "p99_ms": lat["99"]}


def row(name: str, connections: int, r: dict[str, float], ratio: float) -> None:
    """One line of the table."""
    figures = f"{r['rps']:>10.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{ratio:>10.2f}"
    print(f"{name:<28}{connections:>8}{figures}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="load time per run (bounded)")
    args = parser.parse_args()
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
        print("server: uvicorn, 1 worker, loopback; load: wrk -t2 (shares the cores with the server)")
        print(f"{'endpoint':<28}{'clients':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'vs hello':>10}")
        for connections in (50, 200):
            hello = wrk(f"http://127.0.0.1:{hport}/hello", connections, args.seconds, None)
            row("/hello (bare FastAPI)", connections, hello, 1.0)
            for path in ("/api/v1/summary", "/api/v1/agencies?limit=100"):
                r = wrk(f"http://127.0.0.1:{gport}{path}", connections, args.seconds, token)
                row(path, connections, r, r["rps"] / hello["rps"])
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=15)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
