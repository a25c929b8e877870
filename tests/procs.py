"""Subprocesses the integration tests start — `govnet monitor run`, `govnet serve` — always stopped."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.labkit import LabHandle

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    """A `govnet monitor run` subprocess and the JSON events it printed."""

    proc: subprocess.Popen[str]
    store: str
    metrics_port: int
    events: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    seen: list[dict[str, Any]] = field(default_factory=list)

    def drain(self) -> None:
        while True:
            try:
                self.seen.append(self.events.get_nowait())
            except queue.Empty:
                return

    def wait_for(self, match: Callable[[dict[str, Any]], bool], timeout: float, what: str) -> dict[str, Any]:
        """The first event (from now on) that matches, within ``timeout`` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                event = self.events.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(event)
            if match(event):
                return event
        assert self.proc.poll() is None, f"the monitor exited ({self.proc.returncode})"
        recent = [e for e in self.seen if e.get("kind") != "endpoint"][-12:]
        raise AssertionError(f"no event within {timeout:g} s: {what}; last events: {recent}")


def start_monitor(lab: LabHandle, store: str, *extra: str) -> Running:
    port = free_port()
    env = {**os.environ, "GOVNET_INVENTORY": str(lab.inventory), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "govnet.cli", "monitor", "run", "--store", store, "--events", "--no-live"]
    proc = subprocess.Popen(
        [*cmd, "--metrics-listen", f"127.0.0.1:{port}", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
    )
    running = Running(proc, store, port)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("{"):
                running.events.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()
    return running


def stop_monitor(running: Running) -> None:
    """Stop a monitor started by :func:`start_monitor`."""
    stop_process(running.proc)


def start_server(lab: LabHandle, store: str, tokens: Path) -> tuple[subprocess.Popen[str], str]:
    """`govnet serve` on a free loopback port over the lab inventory; returns (process, base URL)."""
    port = free_port()
    env = {**os.environ, "GOVNET_INVENTORY": str(lab.inventory), "GOVNET_API_TOKENS": str(tokens)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "govnet.cli", "serve", "--port", str(port), "--store", store],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 30
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, base
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(f"govnet serve exited with {proc.returncode}") from None
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("govnet serve did not listen within 30 s")


def stop_process(proc: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL after 15 s (only the process this test started)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
