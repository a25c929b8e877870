#!/usr/bin/python3
"""govnet-cfg: the configuration agent of a govnet lab router (FRR on Linux).

A real router offers "show running", "compare", "commit confirmed" and "rollback"; an FRR box
offers vtysh and frr-reload.py. This small tool, installed on every lab router and reached
through the lab user's login shell (``govnet-cfg ...`` over an SSH exec channel), gives FRR
those router verbs, so that NAPALM's FRR driver can manage a lab node as it would a vendor box:

  running                    the running configuration (vtysh "show running-config")
  startup                    the saved configuration (frr.conf)
  diff            < CONFIG   what replacing the running config with CONFIG would change
  apply [--revert-in N] < CONFIG
                             replace the running config with CONFIG (frr-reload.py) and save it,
                             all or nothing: when any line fails, the previous config is put
                             back and checked line by line (exit 3: back; exit 4: state unknown);
                             with --revert-in, go back to the previous config after N seconds
                             unless "confirm" comes first (commit confirmed)
  confirm                    keep the config applied with --revert-in (exit 5: none waits)
  pending                    "yes" while a commit waits for its confirmation, and until its
                             timer has really put the previous config back
  rollback                   go back to the configuration before the last apply
  facts                      hostname and uptime as JSON

One change at a time: apply, confirm, rollback and the timer's revert hold a lock on the node.

Standard library only: it runs with the node's system Python.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

NODE = os.environ.get("LAB_NODE", "")
STATE = os.environ.get("LAB_CFG_DIR", "")
RELOAD = "/usr/lib/frr/frr-reload.py"
#: Seconds one vtysh run may take: a routing daemon that does not answer must not hold a change
#: (and the node's lock, which the confirm timer needs to revert) for ever.
VTYSH_TIMEOUT_S = 30
#: Seconds one frr-reload.py run may take (it runs vtysh several times, and applies line by line).
RELOAD_TIMEOUT_S = 120
#: vtysh's word for a line that parsed but that a daemon refused to apply.
APPLY_REFUSED = r"line \d+: Failure to communicate\[\d+\] to (\S+), line: +(.+)"


class VerbError(Exception):
    """A verb failed: its message for the caller and the exit code that classifies it."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def vtysh(*commands: str) -> str:
    args = ["/usr/bin/vtysh", "-N", NODE]
    for command in commands:
        args += ["-c", command]
    try:
        out = subprocess.run(
            args, capture_output=True, text=True, check=False, pass_fds=held(), timeout=VTYSH_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise VerbError(
            f"vtysh did not answer within {VTYSH_TIMEOUT_S} s: a routing daemon is stuck "
            "(check the node's FRR daemons)"
        ) from None
    if out.returncode != 0:
        raise VerbError(f"vtysh failed: {(out.stderr or out.stdout).strip()}")
    return out.stdout


def running() -> str:
    text = vtysh("show running-config")
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("frr version")), 0)
    return "\n".join(lines[start:]) + "\n"


def read(name: str) -> str:
    with open(name, encoding="utf-8") as handle:
        return handle.read()


def path(name: str) -> str:
    return os.path.join(STATE, name)


def write(name: str, text: str) -> str:
    target = path(name)
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(text)
    return target


def reload(config_file: str, test: bool) -> str:
    args = [sys.executable, RELOAD, "-N", NODE, "--rundir", STATE, "--stdout"]
    args += ["--test"] if test else ["--reload"]
    try:
        out = subprocess.run(
            [*args, config_file],
            capture_output=True,
            text=True,
            check=False,
            pass_fds=held(),
            timeout=RELOAD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise VerbError(
            f"frr-reload did not finish within {RELOAD_TIMEOUT_S} s: a routing daemon is stuck "
            "(check the node's FRR daemons)"
        ) from None
    if out.returncode != 0:
        text = out.stdout + out.stderr
        rejected = re.findall(r"line \d+: % [^\\\n']+", text)
        if rejected:
            raise VerbError("the device rejected the configuration: " + "; ".join(dict.fromkeys(rejected)))
        # A line the parser took but a daemon refused when applying it (frr-reload goes on).
        refused = [
            f"{daemon.rstrip(',')} refused '{line.strip()}'"
            for daemon, line in re.findall(APPLY_REFUSED, text)
        ]
        refused += [
            f"could not remove '{line.split(' -- ')[-1].strip()}'"
            for line in re.findall(r'"(.+)" we failed to remove this command', text)
        ]
        if refused:
            raise VerbError(
                "the device rejected the configuration while applying it: "
                + "; ".join(dict.fromkeys(refused))
            )
        raise VerbError(f"frr-reload failed ({out.returncode}): {text.strip()[-2000:]}")
    return out.stdout


def diff_text(report: str) -> str:
    """frr-reload's "Lines To Delete / Lines To Add" report as a readable diff.

    A top-level line followed by indented lines is context (shown once, unsigned); deletions
    lose frr-reload's "no " so that "-" and "+" read as in any diff.
    """
    sections: dict[str, list[str]] = {"-": [], "+": []}
    sign = ""
    for line in report.splitlines():
        if line.startswith("Lines To Delete"):
            sign = "-"
        elif line.startswith("Lines To Add"):
            sign = "+"
        elif (
            sign
            and line.strip()
            and not set(line) <= {"="}
            and line.strip() not in {"exit", "end"}
            and not line.startswith("frr version")  # the version line is not configuration
        ):
            sections[sign].append(line)
    out: list[str] = []
    for sign, lines in sections.items():
        context = None
        for i, line in enumerate(lines):
            indented = line.startswith(" ")
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if not indented and nxt == line:
                continue  # a new context announced before its own lines: they say it
            if not indented and nxt.startswith(" "):
                if line != context:
                    out.append(" " + line)
                    context = line
                continue
            body = line
            if sign == "-":
                stripped = body.lstrip()
                if stripped.startswith("no "):
                    body = body[: len(body) - len(stripped)] + stripped[3:]
            if not indented:
                context = None
            out.append(sign + body)
    return "\n".join(out) + ("\n" if out else "")


def apply(text: str) -> None:
    """Make ``text`` the running and the startup config (frr-reload.py saves by itself, so a
    commit awaiting confirmation cannot stay unsaved: the lab boots a restarted node from
    checkpoint.conf while one is pending)."""
    reload(write("candidate.conf", text), test=False)
    vtysh("write memory")


def differences(wanted: str, now: str, limit: int = 6) -> str:
    """The lines in which the running config ``now`` differs from ``wanted`` (a short summary)."""
    lines = [
        line
        for line in difflib.unified_diff(wanted.splitlines(), now.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    more = f" (and {len(lines) - limit} more)" if len(lines) > limit else ""
    return ", ".join(repr(line) for line in lines[:limit]) + more


def restore(wanted: str, attempts: int = 3) -> str | None:
    """Make ``wanted`` (an earlier ``running()``) the running config again, then read the running
    config back and compare it line by line; try again while they differ (frr-reload recomputes
    what is left each time). None when it is back (and saved), else how it still differs."""
    write("restore.conf", wanted)
    left = "not tried"
    for _ in range(attempts):
        with contextlib.suppress(VerbError):  # judged by what runs afterwards, not by the exit code
            reload(path("restore.conf"), test=False)
        try:
            now = running()
        except VerbError as exc:
            left = f"cannot read the running config back: {exc.message}"
            continue
        if now == wanted:
            vtysh("write memory")
            return None
        left = differences(wanted, now)
    return left


#: The lock's file descriptor while this process holds it.
_LOCK: list[int] = []


def held() -> tuple[int, ...]:
    """The lock's descriptor for the commands run under it (vtysh, frr-reload): they hold the
    lock with this process, so if this process dies mid-change, the lock stays taken until the
    command it started has finished too; nobody reverts under a reload still running."""
    return tuple(_LOCK)


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """One configuration change at a time on this node: apply, confirm, rollback and the confirm
    timer's revert each hold this lock from start to end, so none sees another half-done."""
    fd = os.open(path("lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _LOCK.append(fd)
        yield
    finally:
        if fd in _LOCK:
            _LOCK.remove(fd)
        os.close(fd)  # releases the lock (also when this process dies)


def pending_pid() -> int | None:
    """The PID of the confirm timer of the commit awaiting confirmation, if one is."""
    try:
        with open(path("pending"), encoding="utf-8") as handle:
            return int(handle.read().strip() or 0)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return 0


def cancel_timer() -> None:
    """Forget the commit awaiting confirmation and stop its timer (called with the lock held,
    so the timer is asleep or waiting for the lock: never in the middle of a revert)."""
    pid = pending_pid()
    if pid is None:
        return
    os.unlink(path("pending"))
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def arm_timer(seconds: int) -> None:
    """Start the confirm timer (detached: it outlives this SSH session) and mark the commit
    pending. Armed before the change is applied, so even an apply that dies half-way (session
    lost, process killed) is reverted when the timer expires."""
    timer = subprocess.Popen(
        [sys.executable, __file__, "_revert-after", str(seconds)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=dict(os.environ),
    )
    write("pending", str(timer.pid))


def commit(candidate: str, revert_in: int) -> None:
    """Replace the running config with ``candidate``, all or nothing.

    If the change fails at any point (frr-reload applies deletions one by one and additions from
    a file, and stops nowhere: a line the daemon rejects leaves the lines before it live), the
    previous configuration is put back and checked line by line: exit 3 when it is back, exit 4
    (state unknown) when it is not, in which case an armed confirm timer keeps trying.
    """
    with locked():
        if pending_pid() is not None:
            raise VerbError("a commit is waiting for confirmation; confirm or roll it back first", 2)
        before = running()
        write("checkpoint.conf", before)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path("reverted"))
        if revert_in:
            arm_timer(revert_in)
        try:
            apply(candidate)
        except Exception as exc:  # whatever stopped the change, it must not stay half-done
            reason = exc.message if isinstance(exc, VerbError) else f"{type(exc).__name__}: {exc}"
            left = restore(before)
            if left is None:
                cancel_timer()
                raise VerbError(
                    f"{reason}; rolled back: the previous configuration runs again (checked line by line)",
                    3,
                ) from None
            retry = f"; the confirm timer tries again in {revert_in} s" if revert_in else ""
            raise VerbError(
                f"{reason}; device state unknown, previous config restored: no "
                f"(still differs: {left}){retry}",
                4,
            ) from None


def revert_after(seconds: int) -> None:
    """The confirm timer: once the commit that armed it is done, wait ``seconds``; if that commit
    is still pending, put the checkpoint back. The pending marker goes only once the checkpoint
    runs again (checked line by line), so "pending" never says "no" over an unconfirmed config."""
    with locked():
        pass  # the commit that armed this timer has finished (applied or restored)
    time.sleep(seconds)
    with locked():
        if pending_pid() != os.getpid():
            return  # confirmed, rolled back or replaced meanwhile
        checkpoint = read(path("checkpoint.conf"))
        for _attempt in range(5):
            left = restore(checkpoint)
            if left is None:
                os.unlink(path("pending"))
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path("revert-failed"))
                write("reverted", time.strftime("%Y-%m-%dT%H:%M:%S"))
                return
            write("revert-failed", f"{time.strftime('%Y-%m-%dT%H:%M:%S')} still differs: {left}\n")
            time.sleep(2)
        # Still not back: the commit stays pending (a restarted node boots on the checkpoint).


def rollback() -> None:
    """Go back to the configuration before the last commit (confirmed or not), checked line by
    line; the current one becomes the checkpoint (a second rollback goes forward again)."""
    with locked():
        previous = read(path("checkpoint.conf"))
        current = running()
        left = restore(previous)
        if left is not None:
            raise VerbError(
                "rollback failed; device state unknown, previous config restored: no "
                f"(still differs: {left})",
                4,
            )
        cancel_timer()
        write("checkpoint.conf", current)


def confirm() -> None:
    """Keep the configuration of the commit awaiting confirmation."""
    with locked():
        if pending_pid() is None:
            reverted = os.path.exists(path("reverted"))
            raise VerbError(
                "no commit is waiting for confirmation"
                + (" (the confirm timer already restored the previous configuration)" if reverted else ""),
                5,
            )
        cancel_timer()


def main(argv: list[str]) -> None:
    if not NODE or not STATE:
        sys.exit("govnet-cfg runs on a lab node (LAB_NODE and LAB_CFG_DIR unset)")
    # A configuration change runs to its end even when the SSH session that asked for it drops.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    verb = argv[0] if argv else "help"
    try:
        if verb == "running":
            sys.stdout.write(running())
        elif verb == "startup":
            sys.stdout.write(read(f"/etc/frr/{NODE}/frr.conf"))
        elif verb == "diff":
            sys.stdout.write(diff_text(reload(write("compare.conf", sys.stdin.read()), test=True)))
        elif verb == "apply":
            revert_in = int(argv[2]) if len(argv) > 2 and argv[1] == "--revert-in" else 0
            commit(sys.stdin.read(), revert_in)
        elif verb == "_revert-after":
            revert_after(int(argv[1]))
        elif verb == "confirm":
            confirm()
        elif verb == "pending":
            print("yes" if pending_pid() is not None else "no")
        elif verb == "rollback":
            rollback()
        elif verb == "facts":
            # The router's uptime is its routing stack's: seconds since zebra started.
            zebra = read(f"/var/run/frr/{NODE}/zebra.pid").strip()
            ticks = int(read(f"/proc/{zebra}/stat").rsplit(")", 1)[1].split()[19])
            since_boot = float(read("/proc/uptime").split()[0])
            uptime = since_boot - ticks / os.sysconf("SC_CLK_TCK")
            print(json.dumps({"hostname": os.uname().nodename, "uptime": uptime}))
        else:
            sys.exit(__doc__)
    except VerbError as exc:
        sys.stderr.write(exc.message + "\n")
        sys.exit(exc.code)


if __name__ == "__main__":
    main(sys.argv[1:])
