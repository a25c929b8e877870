"""A real Redis server for the tests, from Debian's package, on a private Unix socket only.

No TCP listener (``--port 0``): the server is reached through a socket in its own temporary
directory. Nothing is saved to disk. Stopped by PID (only the process started here).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def redis_server() -> Iterator[str]:
    """Start a throw-away server; yield its ``unix://`` URL; always stop it."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("no redis-server (Debian package 'redis-server'); run scripts/setup.sh")
    root = Path(tempfile.mkdtemp(prefix="govnet-redis-"))
    sock = root / "redis.sock"
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
            "--loglevel",
            "warning",
            "--logfile",
            str(root / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start (exit {proc.poll()})")
            time.sleep(0.05)
        yield f"unix://{sock}"
        if proc.poll() is not None:
            log = (root / "redis.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"redis-server died during the test (exit {proc.returncode}): {log}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)
