"""What a lab needs of the machine it runs on, and the lab's cgroup and login user there.

A lab needs root (network namespaces), a handful of commands (iproute2, util-linux, OpenSSH,
FRR's vtysh), the daemons' binaries and a cgroup v2 mount: every process a lab starts joins the
lab's own cgroup, so that teardown can kill exactly those. Two labs on one management subnet
would answer for each other, so a subnet already in use is refused.
"""

from __future__ import annotations

import json
import os
import shutil
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path

from govnet.errors import LabError
from govnet.lab.shell import run

REQUIRED_BINARIES = ("ip", "unshare", "nsenter", "ssh-keygen", "useradd", "userdel", "chpasswd", "vtysh")
REQUIRED_FILES = ("/usr/lib/frr/frrinit.sh", "/usr/sbin/sshd", "/usr/sbin/snmpd", "/usr/sbin/lldpd")


def missing_prerequisites() -> list[str]:
    """What stops a lab from running here (empty when it can)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("not root (network namespaces need root)")
    problems += [f"missing command '{b}'" for b in REQUIRED_BINARIES if shutil.which(b) is None]
    problems += [f"missing {f}" for f in REQUIRED_FILES if not Path(f).exists()]
    if cgroup_root() is None:
        problems.append("no cgroup v2 mount")
    return problems


def cgroup_root() -> Path | None:
    """The cgroup v2 mount point."""
    try:
        for line in Path("/proc/mounts").read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) > 2 and parts[2] == "cgroup2":
                return Path(parts[1])
    except OSError:
        return None
    return None


def cgroup_dir(prefix: str) -> Path | None:
    """The lab's cgroup."""
    root = cgroup_root()
    return root / f"govnet-lab-{prefix}" if root else None


def in_cgroup(prefix: str, argv: list[str]) -> list[str]:
    """Wrap a command so that it (and everything it forks) joins the lab's cgroup first."""
    group = cgroup_dir(prefix)
    if group is None:
        return argv
    return ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh", *argv]


def lab_user(prefix: str) -> str:
    """The lab's login user."""
    return f"{prefix}lab"


def subnet_user(subnet: IPv4Network) -> str | None:
    """The interface (and its address) that already has an address in ``subnet``, if any.

    Two labs on one management subnet would answer for each other, so ``up`` refuses such a
    subnet and test fixtures look for a free one with this.
    """
    for link in json.loads(run(["ip", "-j", "addr", "show"], check=False).stdout or "[]"):
        for addr in link.get("addr_info", []):
            if addr.get("family") == "inet" and IPv4Interface(
                f"{addr['local']}/{addr['prefixlen']}"
            ).network.overlaps(subnet):
                return f"{link['ifname']} ({addr['local']})"
    return None


def refuse_used_subnet(subnet: IPv4Network) -> None:
    """Refuse a management subnet another lab (or anything else here) already uses."""
    user = subnet_user(subnet)
    if user is not None:
        raise LabError(
            f"management subnet {subnet} is already used by {user}",
            hint="another lab is up there: take it down (govnet lab down --prefix P) or use "
            "--mgmt-subnet with a free range (e.g. 198.18.240.0/24; the tests use 198.51.100.0/24)",
        )
