"""A test run stopped with SIGTERM runs its session fixtures' teardown (where labs are taken down)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CONFTEST = """
from tests.termination import install


def pytest_configure(config):
    install()
"""

TESTS = """
import pathlib
import time

import pytest

HERE = pathlib.Path(__file__).parent


@pytest.fixture(scope="session")
def lab():
    (HERE / "up").write_text("up")
    try:
        yield
    finally:
        (HERE / "down").write_text("down")


def test_waits(lab):
    (HERE / "started").write_text("started")
    time.sleep(120)
"""


def _run(tmp_path: Path, extra: list[str]) -> subprocess.Popen[bytes]:
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_sleepy.py").write_text(TESTS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), *extra,
         str(tmp_path)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[0].decode(errors="replace")[-2000:]
        assert time.monotonic() < end, f"{path.name} did not appear within {timeout:g} s"
        time.sleep(0.1)


def test_sigterm_runs_the_session_teardown(tmp_path: Path) -> None:
    proc = _run(tmp_path, [])
    try:
        _wait_for(tmp_path / "started", proc, 60)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (tmp_path / "down").read_text() == "down"
    assert proc.returncode != 0  # interrupted, not passed
