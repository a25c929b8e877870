"""Teardown's process bookkeeping: a lab's processes by PID, and waiting until each is gone.

Killing is asynchronous. A SIGKILLed daemon leaves its cgroup's ``cgroup.procs`` as soon as its
threads start exiting, then stays in /proc as a zombie until its parent reaps it; the lab's
daemons are detached (their parent is PID 1), and this machine's PID 1 reaps every second or
two. ``lab down`` therefore remembers every process of the lab (PID and start time, so that a
reused PID is not mistaken for it) and waits, with a deadline, until none of them is left in
/proc at all; what is still there at the deadline is named.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path


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
