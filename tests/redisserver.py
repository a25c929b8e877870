"""A real Redis server for the tests, from Debian's package, on a private Unix socket only.

No TCP listener (``--port 0``): the server is reached through a socket in its own temporary
directory. Nothing is saved to disk. It can be stopped and started again on the same socket (a
broker outage); only the process started here is ever signalled, by PID.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis


class RedisServer:
    """One redis-server on ``unix://ROOT/redis.sock``; :meth:`stop` and :meth:`start` again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("no redis-server (Debian package 'redis-server'); run scripts/setup.sh")
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="govnet-redis-"))
        self.sock = self.root / "redis.sock"
        self.url = f"unix://{self.sock}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.sock.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port", "0",
                "--unixsocket", str(self.sock),
                "--unixsocketperm", "700",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.root),
                "--loglevel", "warning",
                "--logfile", str(self.root / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not self.sock.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start (exit {self.proc.poll()}): {self.log()}")
            time.sleep(0.05)

    def client(self) -> redis.Redis:
        """A (synchronous) client of this server, for a test to look at what is stored."""
        return redis.Redis(unix_socket_path=str(self.sock), socket_timeout=10)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        path = self.root / "redis.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[str]:
    """Start a throw-away server; yield its ``unix://`` URL; always stop it."""
    server = RedisServer()
    try:
        server.start()
        yield server.url
        if not server.alive():
            raise RuntimeError(f"redis-server died during the test: {server.log()}")
    finally:
        server.remove()
