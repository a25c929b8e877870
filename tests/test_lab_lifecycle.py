"""Lab bring-up and teardown leave nothing behind, even when 'lab up' is killed halfway."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govnet.cli import main
from govnet.lab.guard import LAB_RANGES, guard_routes_present
from govnet.lab.host import cgroup_dir
from govnet.lab.state import lab_dir, runtime_dir
from govnet.lab.teardown import leftovers
from tests.labkit import SCRATCH_PREFIX, SCRATCH_SUBNET, TRAP_PORT, lab_skip_reason

pytestmark = pytest.mark.lab


@pytest.fixture(autouse=True)
def _needs_lab() -> None:
    reason = lab_skip_reason()
    if reason:
        pytest.skip(f"the lab cannot run here: {reason}")


def govnet(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "govnet.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def scratch_up() -> subprocess.Popen[str]:
    """``govnet lab up`` of a small throw-away lab on its own prefix and management subnet."""
    return govnet(
        "lab",
        "up",
        "--size",
        "small",
        "--prefix",
        SCRATCH_PREFIX,
        "--mgmt-subnet",
        SCRATCH_SUBNET,
        "--trap-port",
        str(TRAP_PORT + 2),
    )


def live_processes_mentioning(word: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            status = (proc / "status").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "State:\tZ" in status:
            continue  # already dead, waiting to be reaped by init
        if word in cmdline and "pytest" not in cmdline:
            found.append(f"{proc.name}: {cmdline.strip()}")
    return found


def assert_clean(prefix: str) -> None:
    """Check each kind of thing a lab makes, one by one."""
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert not [n for n in namespaces.splitlines() if n.startswith(f"{prefix}-")], "namespaces left"
    links = json.loads(
        subprocess.run(["ip", "-j", "link"], capture_output=True, text=True, check=True).stdout
    )
    assert not [ln["ifname"] for ln in links if ln["ifname"].startswith(prefix)], "veths or bridge left"
    routes = json.loads(
        subprocess.run(["ip", "-j", "route"], capture_output=True, text=True, check=True).stdout
    )
    lab_routes = [
        r
        for r in routes
        if str(r.get("dev", "")).startswith(prefix)
        or (r.get("dst") == SCRATCH_SUBNET and r.get("type") != "unreachable")
    ]
    assert not lab_routes, f"routes left: {lab_routes}"
    assert guard_routes_present() == list(LAB_RANGES), "guard routes installed by the suite must stay"
    assert not live_processes_mentioning(f"{prefix}-"), "processes left"
    assert not list(Path("/etc/frr").glob(f"{prefix}-*")) and not list(
        Path("/var/run/frr").glob(f"{prefix}-*")
    )
    assert not runtime_dir(prefix).exists() and not lab_dir(prefix).exists(), "files left"
    group = cgroup_dir(prefix)
    assert group is None or not group.exists(), "cgroup left"
    assert f"{prefix}lab:" not in Path("/etc/passwd").read_text(), "lab user left"
    assert f"govnet-{prefix}" not in Path("/proc/mounts").read_text(), "mounts left"
    assert leftovers(prefix) == {}


def test_down_after_up_leaves_nothing_behind() -> None:
    up = scratch_up()
    _out, err = up.communicate(timeout=120)
    assert up.returncode == 0, err
    assert leftovers(SCRATCH_PREFIX)["namespaces"]
    assert main(["lab", "down", "--prefix", SCRATCH_PREFIX]) == 0
    assert_clean(SCRATCH_PREFIX)


def lab_processes(prefix: str) -> dict[int, tuple[str, str]]:
    """PID -> (name, start time) of every process of the lab now: its cgroup's and its namespaces'."""
    pids: set[int] = set()
    group = cgroup_dir(prefix)
    if group is not None and group.exists():
        pids.update(int(p) for p in (group / "cgroup.procs").read_text().split())
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    for line in namespaces.splitlines():
        if line.startswith(f"{prefix}-"):
            out = subprocess.run(
                ["ip", "netns", "pids", line.split()[0]], capture_output=True, text=True, check=True
            )
            pids.update(int(p) for p in out.stdout.split())
    found = {}
    for pid in pids:
        seen = stat(pid)
        if seen is not None:
            found[pid] = (seen[0], seen[2])
    return found


def stat(pid: int) -> tuple[str, str, str] | None:
    """(name, state, start time) of a process still in /proc (a zombie too), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    head, _, rest = text.rpartition(")")
    fields = rest.split()
    return head.partition("(")[2], fields[0], fields[19]


def test_down_returns_only_once_every_process_of_the_lab_is_gone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Right after 'lab down' says "nothing left behind", none of the lab's processes is in
    /proc any more: not running, not dying, not a zombie waiting to be reaped."""
    up = scratch_up()
    _out, err = up.communicate(timeout=120)
    assert up.returncode == 0, err
    before = lab_processes(SCRATCH_PREFIX)
    names = {name for name, _ in before.values()}
    assert {"zebra", "snmpd", "sshd"} <= names, names
    capsys.readouterr()
    assert main(["lab", "down", "--prefix", SCRATCH_PREFIX]) == 0
    still = []
    for pid, (name, start) in before.items():
        seen = stat(pid)
        if seen is not None and seen[2] == start:
            still.append(f"{pid} {name} (state {seen[1]})")
    assert not still, f"'lab down' returned while these lab processes were still there: {still}"
    assert "nothing left behind" in capsys.readouterr().out
    assert_clean(SCRATCH_PREFIX)


def test_lab_up_killed_halfway_is_cleaned_by_down() -> None:
    up = scratch_up()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:  # wait until daemons are being started, then kill
            if list(Path("/etc/frr").glob(f"{SCRATCH_PREFIX}-*")):
                break
            time.sleep(0.02)
        else:
            pytest.fail("lab up never reached the daemons")
    finally:
        up.send_signal(signal.SIGKILL)
        up.wait(timeout=10)
    left = leftovers(SCRATCH_PREFIX)
    assert left.get("namespaces"), f"the kill came too late to test anything: {left}"
    assert main(["lab", "down", "--prefix", SCRATCH_PREFIX]) == 0
    assert_clean(SCRATCH_PREFIX)


def test_guard_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "guard"]) == 0
    assert main(["lab", "guard"]) == 0
    routes = json.loads(
        subprocess.run(
            ["ip", "-j", "route", "show", "type", "unreachable"], capture_output=True, text=True, check=True
        ).stdout
    )
    for net in LAB_RANGES:
        assert sum(1 for r in routes if r["dst"] == str(net)) == 1
