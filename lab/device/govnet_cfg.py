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
                             replace the running config with CONFIG (frr-reload.py) and save it;
                             with --revert-in, go back to the previous config after N seconds
                             unless "confirm" comes first (commit confirmed)
  confirm                    keep the config applied with --revert-in
  pending                    "yes" while a commit waits for its confirmation
  rollback                   go back to the configuration before the last apply
  facts                      hostname and uptime as JSON

Standard library only: it runs with the node's system Python.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time

NODE = os.environ.get("LAB_NODE", "")
STATE = os.environ.get("LAB_CFG_DIR", "")
RELOAD = "/usr/lib/frr/frr-reload.py"


def vtysh(*commands: str) -> str:
    args = ["/usr/bin/vtysh", "-N", NODE]
    for command in commands:
        args += ["-c", command]
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"vtysh failed: {(out.stderr or out.stdout).strip()}")
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
    out = subprocess.run([*args, config_file], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        text = out.stdout + out.stderr
        rejected = re.findall(r"line \d+: % [^\\\n']+", text)
        if rejected:
            sys.exit("the device rejected the configuration: " + "; ".join(dict.fromkeys(rejected)))
        sys.exit(f"frr-reload failed ({out.returncode}): {text.strip()[-2000:]}")
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


def cancel_timer() -> None:
    try:
        with open(path("pending"), encoding="utf-8") as handle:
            pid = int(handle.read().strip() or 0)
    except (OSError, ValueError):
        return
    os.unlink(path("pending"))
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def main(argv: list[str]) -> None:
    if not NODE or not STATE:
        sys.exit("govnet-cfg runs on a lab node (LAB_NODE and LAB_CFG_DIR unset)")
    verb = argv[0] if argv else "help"
    if verb == "running":
        sys.stdout.write(running())
    elif verb == "startup":
        sys.stdout.write(read(f"/etc/frr/{NODE}/frr.conf"))
    elif verb == "diff":
        sys.stdout.write(diff_text(reload(write("compare.conf", sys.stdin.read()), test=True)))
    elif verb == "apply":
        revert_in = int(argv[2]) if len(argv) > 2 and argv[1] == "--revert-in" else 0
        candidate = sys.stdin.read()
        cancel_timer()
        write("checkpoint.conf", running())
        apply(candidate)
        if revert_in:
            timer = subprocess.Popen(  # detached: outlives this SSH session
                [sys.executable, __file__, "_revert-after", str(revert_in)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env=dict(os.environ),
            )
            write("pending", str(timer.pid))
    elif verb == "_revert-after":
        time.sleep(int(argv[1]))
        if os.path.exists(path("pending")):
            os.unlink(path("pending"))
            apply(read(path("checkpoint.conf")))
            write("reverted", time.strftime("%Y-%m-%dT%H:%M:%S"))
    elif verb == "confirm":
        cancel_timer()
    elif verb == "pending":
        print("yes" if os.path.exists(path("pending")) else "no")
    elif verb == "rollback":
        cancel_timer()
        previous = read(path("checkpoint.conf"))
        write("checkpoint.conf", running())
        apply(previous)
    elif verb == "facts":
        # The router's uptime is its routing stack's: seconds since zebra started.
        zebra = read(f"/var/run/frr/{NODE}/zebra.pid").strip()
        ticks = int(read(f"/proc/{zebra}/stat").rsplit(")", 1)[1].split()[19])
        since_boot = float(read("/proc/uptime").split()[0])
        uptime = since_boot - ticks / os.sysconf("SC_CLK_TCK")
        print(json.dumps({"hostname": os.uname().nodename, "uptime": uptime}))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
