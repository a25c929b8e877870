"""A real VictoriaMetrics (single node, Debian's ``victoria-metrics``) for the tests, on loopback.

Its own data directory, a free port on 127.0.0.1, no self-scraping, no latency offset (so what was
just written can be queried). Stopped by PID (only the process started here).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def victoria_metrics(port: int | None = None) -> Iterator[str]:
    """Start a throw-away server (on ``port``, or a free one); yield its URL; always stop it."""
    binary = shutil.which("victoria-metrics")
    if binary is None:
        raise FileNotFoundError(
            "no victoria-metrics (Debian package 'victoria-metrics'); run scripts/setup.sh"
        )
    root = Path(tempfile.mkdtemp(prefix="govnet-vm-"))
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log = (root / "log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"-httpListenAddr=127.0.0.1:{port}",
            f"-storageDataPath={root / 'data'}",
            "-retentionPeriod=100y",
            "-search.latencyOffset=0s",
            "-search.disableCache",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with opener.open(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"victoria-metrics did not start: {(root / 'log').read_text()[-1500:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)
