"""The built wheel: one import root (top_level.txt names govnet and NAPALM's driver package only),
the data the packages read at run time, and a fresh venv that serves the NOC page.

Slowish (a wheel build and a venv install, the dependencies from pip's cache): 30-90 s.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from govnet.monitor.store.migrate import head

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.wheel


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers.get("content-type", ""), response.read()


def _source_copy(dest: Path) -> Path:
    """The source files (tracked or new, as git sees them) copied to dest: a build in the working
    tree would leave build/lib behind, whose stale files later wheels would pick up."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return REPO  # not a git checkout: build from the tree itself
    for rel in filter(None, listed.split("\0")):
        if (REPO / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, dest / rel)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = _source_copy(tmp_path_factory.mktemp("source"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=out,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = out.glob("govnet-*.whl")
    return built


def test_the_wheel_has_one_import_root_and_its_data(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        assert zf.read(top_level).decode().split() == ["govnet", "napalm_frr"]
        entry_points = zf.read(top_level.replace("top_level.txt", "entry_points.txt")).decode()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {
        "govnet",
        "napalm_frr",
    }
    for data in (
        "govnet/api/static/noc.html",
        "govnet/api/static/noc.js",
        "govnet/inventory/sample/province.yaml",
        "govnet/inventory/sample/districts/dong-xoai.yaml",
        "govnet/inventory/samplefacts.yaml",
        "govnet/tasks/templates/frr/device.j2",
        "govnet/py.typed",
        "govnet/cli/inventory.py",
        "govnet/cli/__main__.py",
        "govnet/inventory/checks/rules.py",
        "govnet/snmp/ber.py",
        "napalm_frr/driver.py",
        "napalm_frr/govnet_cfg.py",
        "govnet/monitor/store/migrations/env.py",
        "govnet/monitor/store/migrations/versions/0001_baseline.py",
    ):
        assert data in names, data
    assert "govnet = govnet.cli:main" in entry_points
    assert "GovnetInventory = govnet.inventory.nornir_plugin:GovnetInventory" in entry_points


def test_a_fresh_venv_from_the_wheel_serves_the_noc_page(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # this venv's pip installs into the fresh one; dependencies come from pip's cache / wheel dirs
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # the fresh venv sees only its own copy: no repository folder, no editable install
    where = subprocess.run(
        [str(python), "-c", "import govnet.api, napalm_frr; print(govnet.api.__file__, napalm_frr.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where

    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVNET_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".state"),
        GOVNET_API_TOKENS=str(home / "tokens.json"),
    )
    port = _free_port()
    store = f"sqlite:///{tmp_path / 'mon.db'}"
    server = subprocess.Popen(
        [str(venv / "bin" / "govnet"), "serve", "--port", str(port), "--store", store],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"govnet serve exited with {server.returncode}: {server.stdout.read()}")  # type: ignore[union-attr]
                if time.monotonic() > deadline:
                    pytest.fail("govnet serve did not listen within 60 s")
                time.sleep(0.2)
        status, ctype, body = _get(f"{base}/")
        assert status == 200 and ctype.startswith("text/html")
        assert b"<title>govnet NOC</title>" in body
        status, ctype, body = _get(f"{base}/noc.js")
        assert status == 200 and ctype.startswith("text/javascript") and len(body) > 1000
        status, ctype, body = _get(f"{base}/api/v1/openapi.json")
        assert status == 200 and ctype.startswith("application/json")
        spec = json.loads(body)
        assert spec["openapi"].startswith("3.")
        assert any(path.startswith("/api/v1/devices") for path in spec["paths"])
        # serve opened the store, which the wheel's migrations created at their newest revision
        with contextlib.closing(sqlite3.connect(tmp_path / "mon.db")) as db:
            (revision,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
        assert revision == head()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
