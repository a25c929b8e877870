"""Take a lab down: every process, namespace, link, file, user and guard route of its prefix.

``down`` works from what is on the machine (found by prefix, by cgroup and by PID), not only
from the state file, so it also cleans up after a ``lab up`` that died halfway;
:func:`leftovers` names what of a prefix is still there.

Killing is asynchronous. A SIGKILLed daemon leaves its cgroup's ``cgroup.procs`` as soon as its
threads start exiting, then stays in /proc as a zombie until its parent reaps it; the lab's
daemons are detached (their parent is PID 1), and this machine's PID 1 reaps every second or
two. ``lab down`` therefore remembers every process of the lab (PID and start time, so that a
reused PID is not mistaken for it) and waits, with a deadline, until none of them is left in
/proc at all; what is still there at the deadline is named.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pwd
import shutil
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path

from govnet.lab import node as nodes
from govnet.lab.guard import remove_guards
from govnet.lab.host import cgroup_dir, lab_user
from govnet.lab.shell import run
from govnet.lab.state import lab_dir, load_state, runtime_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabProcess:
    """One process of a lab, as it was when teardown first saw it."""

    pid: int
    start: str  # start time in clock ticks since boot (field 22 of /proc/<pid>/stat)
    comm: str


def _stat(pid: int) -> tuple[str, str, str] | None:
    """(comm, state, start time) of a PID, or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    head, _, rest = text.rpartition(")")
    fields = rest.split()
    if len(fields) < 20:
        return None
    return head.partition("(")[2], fields[0], fields[19]


def namespace_pids(namespaces: Iterable[str]) -> set[int]:
    """PIDs of the processes in these named network namespaces (one pass over /proc, as
    ``ip netns pids`` does for one namespace)."""
    wanted = set()
    for name in namespaces:
        with contextlib.suppress(OSError):
            st = os.stat(f"/run/netns/{name}")
            wanted.add((st.st_dev, st.st_ino))
    found: set[int] = set()
    if not wanted:
        return found
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            st = os.stat(f"/proc/{entry.name}/ns/net")
            if (st.st_dev, st.st_ino) in wanted:
                found.add(int(entry.name))
    return found


def track(pids: Iterable[int]) -> dict[int, LabProcess]:
    """The processes behind these PIDs (those that still exist), by PID."""
    out = {}
    for pid in pids:
        seen = _stat(pid)
        if seen is not None:
            out[pid] = LabProcess(pid, seen[2], seen[0])
    return out


def state(proc: LabProcess) -> str | None:
    """The process' state letter while it is still in /proc (``Z`` for a zombie), None when gone."""
    seen = _stat(proc.pid)
    if seen is None or seen[2] != proc.start:
        return None  # gone (or the PID now names another process)
    return seen[1]


def remaining(procs: Iterable[LabProcess]) -> list[tuple[LabProcess, str]]:
    """The processes still in /proc, with their state letters."""
    return [(proc, s) for proc in procs if (s := state(proc)) is not None]


def kill(procs: Iterable[LabProcess]) -> None:
    """SIGKILL each process that is still this lab's (checked by start time, not just PID)."""
    for proc in procs:
        current = state(proc)
        if current is not None and current != "Z":
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)


def wait_gone(
    tracked: dict[int, LabProcess], find: Callable[[], Iterable[int]], deadline: float
) -> list[tuple[LabProcess, str]]:
    """Kill and wait until every tracked process, and any the lab still has (``find``: the PIDs
    in its cgroup and namespaces now), is gone from /proc; return those left at the deadline."""
    while True:
        fresh = track(pid for pid in find() if pid not in tracked)
        tracked.update(fresh)
        left = remaining(tracked.values())
        if not left and not fresh:
            return []
        kill(proc for proc, _ in left)
        if time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def describe(left: list[tuple[LabProcess, str]]) -> list[str]:
    """One line per process left: PID, name and why it is still there."""
    out = []
    for proc, s in sorted(left, key=lambda item: item[0].pid):
        why = "zombie: its parent has not reaped it" if s == "Z" else f"still running (state {s})"
        out.append(f"{proc.pid} {proc.comm} ({why})")
    return out


def leftovers(prefix: str) -> dict[str, list[str]]:
    """Everything of this prefix still on the machine, by kind (empty lists when clean)."""
    found: dict[str, list[str]] = {}
    netns = run(["ip", "netns", "list"], check=False).stdout.split("\n")
    found["namespaces"] = sorted(line.split()[0] for line in netns if line.startswith(f"{prefix}-"))
    links = json.loads(run(["ip", "-j", "link", "show"], check=False).stdout or "[]")
    found["links"] = sorted(link["ifname"] for link in links if link.get("ifname", "").startswith(prefix))
    found["frr_pathspaces"] = sorted(
        str(p) for base in (nodes.FRR_ETC, nodes.FRR_RUN) if base.exists() for p in base.glob(f"{prefix}-*")
    )
    found["files"] = [str(p) for p in (runtime_dir(prefix), lab_dir(prefix)) if p.exists()]
    group = cgroup_dir(prefix)
    found["processes"] = []
    if group is not None and group.exists():
        procs = (group / "cgroup.procs").read_text(encoding="utf-8").split()
        found["processes"] = procs
        found["files"].append(str(group))
    try:
        pwd.getpwnam(lab_user(prefix))
        found["users"] = [lab_user(prefix)]
    except KeyError:
        found["users"] = []
    mounts = Path("/proc/mounts").read_text(encoding="utf-8")
    found["mounts"] = [m.split()[1] for m in mounts.splitlines() if f"/govnet-{prefix}/" in m.split()[1]]
    routes = json.loads(run(["ip", "-j", "route", "show", "table", "all"], check=False).stdout or "[]")
    found["routes"] = sorted(
        f"{r.get('dst', '?')} dev {r['dev']}" for r in routes if str(r.get("dev", "")).startswith(prefix)
    )
    return {k: v for k, v in found.items() if v}


def _lab_pids(prefix: str, namespaces: list[str]) -> list[int]:
    """The PIDs the lab has now: its cgroup's, its namespaces' and its FRR pid files' (FRR only)."""
    pids: set[int] = set()
    group = cgroup_dir(prefix)
    if group is not None and group.exists():
        with contextlib.suppress(OSError):
            pids.update(int(p) for p in (group / "cgroup.procs").read_text(encoding="utf-8").split())
    pids.update(namespace_pids(namespaces))
    for pathspace in nodes.FRR_RUN.glob(f"{prefix}-*") if nodes.FRR_RUN.exists() else []:
        found = [nodes.read_pid(p) for p in pathspace.glob("*.pid")]
        pids.update(p for p in found if p is not None and _is_frr(p))
    pids.discard(os.getpid())
    return sorted(pids)


def down(prefix: str, timeout: float = 20.0) -> dict[str, list[str]]:
    """Remove everything of this lab; return what was left behind (empty when clean).

    Returns only once every process of the lab has left /proc (zombies included), and its
    namespaces, links and routes are gone, or ``timeout`` seconds have passed: then the
    result names what is still there.
    """
    state = load_state(prefix)
    group = cgroup_dir(prefix)
    deadline = time.monotonic() + timeout
    namespaces = leftovers(prefix).get("namespaces", [])
    # 1. processes: every one the lab has, remembered by PID and start time, then killed (the
    #    cgroup at once, and each PID), and waited for until it has left /proc
    tracked = track(_lab_pids(prefix, namespaces))
    if group is not None and (group / "cgroup.kill").exists():
        (group / "cgroup.kill").write_text("1", encoding="utf-8")
    kill(tracked.values())
    processes_left = wait_gone(tracked, lambda: _lab_pids(prefix, namespaces), deadline)
    # 2. mounts (UTS handles), namespaces, root-side links
    mounts = Path("/proc/mounts").read_text(encoding="utf-8")
    for line in mounts.splitlines():
        target = line.split()[1]
        if f"/govnet-{prefix}/" in target:
            run(["umount", "-l", target], check=False)
    for ns in namespaces:
        run(["ip", "netns", "del", ns], check=False)
    links = json.loads(run(["ip", "-j", "link", "show"], check=False).stdout or "[]")
    for link in links:
        if link.get("ifname", "").startswith(prefix):
            run(["ip", "link", "del", link["ifname"]], check=False)
    # 3. files, user, cgroup
    for base in (nodes.FRR_ETC, nodes.FRR_RUN):
        for path in base.glob(f"{prefix}-*") if base.exists() else []:
            shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree(runtime_dir(prefix), ignore_errors=True)
    graceful = nodes.FRR_RUN / "ospfd-gr.json"  # ospfd writes it whatever the pathspace
    if (
        graceful.exists()
        and not any(nodes.FRR_RUN.glob("*/ospfd.pid"))
        and not (nodes.FRR_RUN / "ospfd.pid").exists()
    ):
        graceful.unlink()
    try:
        entry = pwd.getpwnam(lab_user(prefix))
        if entry.pw_gecos.startswith("govnet lab"):
            run(["userdel", lab_user(prefix)], check=False)
    except KeyError:
        pass
    while group is not None and group.exists():
        try:
            group.rmdir()
        except OSError:  # busy a moment after its last process left; named below if it stays
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
    # 4. guard routes this lab installed, and the state
    if state is not None and state.guards_installed and not _other_labs(prefix):
        remove_guards([IPv4Network(n) for n in state.guards_installed])
    shutil.rmtree(lab_dir(prefix), ignore_errors=True)
    # 5. check: nothing of the lab left (the kernel frees some things asynchronously)
    while True:
        left = leftovers(prefix)
        processes_left = remaining(proc for proc, _ in processes_left)
        if processes_left:
            left["processes"] = [*left.get("processes", []), *describe(processes_left)]
        if not left or time.monotonic() > deadline:
            if left:
                log.error("lab down left things behind", extra={"prefix": prefix, "left": left})
            else:
                log.info("lab down", extra={"prefix": prefix})
            return left
        time.sleep(0.1)


def _is_frr(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/exe").resolve().parent == Path("/usr/lib/frr")
    except OSError:
        return False


def _other_labs(prefix: str) -> bool:
    netns = run(["ip", "netns", "list"], check=False).stdout.split("\n")
    return any(line and not line.startswith(f"{prefix}-") for line in netns)
