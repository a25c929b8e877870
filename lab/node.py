"""One lab node: its namespace, its daemons' configuration files, and how to start and stop them.

A *router* node runs FRR in "native" pathspace mode (``/etc/frr/<namespace>/`` with
``watchfrr --netns``, so ``vtysh -N`` and ``frr-reload.py -N`` work and watchfrr restarts a
crashed daemon), sshd whose lab user's login shell is that node's vtysh, snmpd (v2c and v3
authPriv, linkUp/linkDown traps, AgentX master) and lldpd exporting LLDP-MIB over AgentX. A
*light* node runs sshd, snmpd and lldpd with static routes. Each node has its own UTS
namespace, so FRR, snmpd and lldpd all see the node's own hostname.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from pathlib import Path

from govnet.lab.shell import run
from govnet.lab.state import NodeState

FRR_ETC = Path("/etc/frr")
FRR_RUN = Path("/var/run/frr")
FRR_DAEMONS = ("zebra", "staticd", "ospfd", "bgpd")
IF_OPER = ".1.3.6.1.2.1.2.2.1.8"
#: How often each agent samples ifOperStatus for linkDown/linkUp (a change is trapped once sampled).
TRAP_SAMPLE_S = 2


def namespace_name(prefix: str, index: int, device: str) -> str:
    """The node's namespace (also its FRR pathspace): prefix, index, and as much name as fits.

    >>> namespace_name("gvl", 7, "cpe-benh-vien-da-khoa-tinh-binh-phuoc")
    'gvl-007-cpe-benh-vien-da-khoa-t'
    """
    return f"{prefix}-{index:03d}-{device}"[:31]


def daemons_file() -> str:
    """FRR's per-pathspace ``daemons`` file."""
    lines = [f"{d}=yes" for d in FRR_DAEMONS]
    lines += [
        "vtysh_enable=yes",
        'zebra_options="-A 127.0.0.1 -s 90000000"',
        'staticd_options="-A 127.0.0.1"',
        'ospfd_options="-A 127.0.0.1"',
        'bgpd_options="-A 127.0.0.1"',
        'watchfrr_options="--netns"',
    ]
    return "\n".join(lines) + "\n"


def bootstrap_frr(hostname: str) -> str:
    """Day-0 FRR configuration: a hostname and nothing else (``--bare``)."""
    return f"frr defaults traditional\nhostname {hostname}\nservice integrated-vtysh-config\n!\nend\n"


def sshd_config(
    node: NodeState, host_key: Path, pid_file: Path, user: str, node_dir: Path | None = None
) -> str:
    """sshd for one node: password login for the lab user only, on the management address."""
    extra = ""
    if node_dir is not None:
        extra = (
            f" LAB_LLDP_SOCK={node_dir / 'lldpd.sock'} LAB_CFG_DIR={node_dir / 'cfg'}"
            f" LAB_CFG_TOOL={node_dir.parent.parent / 'govnet-cfg'}"
        )
    return "\n".join(
        [
            f"ListenAddress {node.mgmt_ip}",
            "Port 22",
            f"HostKey {host_key}",
            f"PidFile {pid_file}",
            "UsePAM no",
            "PasswordAuthentication yes",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication no",
            "PermitRootLogin no",
            f"AllowUsers {user}",
            f"SetEnv LAB_NODE={node.namespace} LAB_DEVICE={node.name}{extra}",
            "PrintMotd no",
            "MaxStartups 50:30:100",
            "LogLevel ERROR",
            "",
        ]
    )


def snmpd_config(
    node: NodeState,
    *,
    community: str,
    v3_user: str,
    auth_key: str,
    priv_key: str,
    mgmt_subnet: str,
    trap_receiver: str,
    location: str,
    extra: list[str] | None = None,
    v3_traps: bool = False,
) -> str:
    """snmpd for one node: v2c from the management subnet, v3 authPriv, traps, AgentX master.

    Traps go as v3 authPriv (from the agent's own engine id) when the node's profile is v3,
    as v2c otherwise.
    """
    host, _, port = trap_receiver.partition(":")
    sink = f"{host}:{port or 162}"
    if v3_traps:
        trap = f"trapsess -v 3 -u {v3_user} -l authPriv -a SHA -A {auth_key} -x AES -X {priv_key} {sink}"
    else:
        trap = f"trap2sink {sink} {community}"
    oid_index, oid_admin = ".1.3.6.1.2.1.2.2.1.1", ".1.3.6.1.2.1.2.2.1.7"
    return "\n".join(
        [
            f"agentAddress udp:{node.mgmt_ip}:161",
            f"sysLocation {location}",
            "sysContact NOC govnet lab",
            f"rocommunity {community} {mgmt_subnet}",
            f'createUser {v3_user} SHA "{auth_key}" AES "{priv_key}"',
            f"rouser {v3_user} priv",
            "master agentx",
            "agentXSocket tcp:127.0.0.1:705",
            trap,
            "iquerySecName internalUser",
            "rouser internalUser",
            f"notificationEvent govnetLinkDown .1.3.6.1.6.3.1.1.5.3 {oid_index} {oid_admin} {IF_OPER}",
            f"notificationEvent govnetLinkUp .1.3.6.1.6.3.1.1.5.4 {oid_index} {oid_admin} {IF_OPER}",
            f'monitor -r {TRAP_SAMPLE_S} -e govnetLinkDown "ifDown" {IF_OPER} == 2',
            f'monitor -r {TRAP_SAMPLE_S} -e govnetLinkUp "ifUp" {IF_OPER} != 2',
            *(extra or []),
            "",
        ]
    )


LLDPD_CONF = "configure lldp tx-interval 5\nconfigure lldp portidsubtype ifname\n"

LAB_SHELL = """#!/bin/sh
# govnet lab login shell: the node's router CLI (vtysh). Over an SSH exec channel it also gives
# the node's read-only Linux views and its configuration agent, govnet-cfg (see napalm_frr/).
if [ "$1" = "-c" ]; then
  shift
  cmd="$*"
  case "$cmd" in
    "ip -j -s link"|"ip -j addr") exec $cmd ;;
    "lldpcli json") exec /usr/sbin/lldpcli -u "$LAB_LLDP_SOCK" -f json0 show neighbors details ;;
    "govnet-cfg"|"govnet-cfg "*) set -- ${cmd#govnet-cfg}; exec /usr/bin/python3 "$LAB_CFG_TOOL" "$@" ;;
    *) exec /usr/bin/vtysh -N "$LAB_NODE" -c "$cmd" ;;
  esac
fi
exec /usr/bin/vtysh -N "$LAB_NODE"
"""


def write_private(path: Path, text: str, mode: int = 0o600) -> None:
    """Write a file readable by root only (it may hold lab secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, mode)


def install_frr(namespace: str, frr_conf: str) -> None:
    """Write the pathspace's configuration, owned by frr as its daemons expect."""
    etc = FRR_ETC / namespace
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "daemons").write_text(daemons_file(), encoding="utf-8")
    (etc / "frr.conf").write_text(frr_conf, encoding="utf-8")
    (etc / "vtysh.conf").write_text("service integrated-vtysh-config\n", encoding="utf-8")
    shutil.chown(etc, "frr", "frrvty")
    os.chmod(etc, 0o2775)
    for name in ("daemons", "frr.conf", "vtysh.conf"):
        shutil.chown(etc / name, "frr", "frrvty")
        os.chmod(etc / name, 0o664)


def pid_alive(pid: int) -> bool:
    """Whether a process exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_pid(path: Path) -> int | None:
    """The PID in a pid file, if any."""
    try:
        return int(path.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def frr_pids(namespace: str) -> dict[str, int | None]:
    """PID of watchfrr and each FRR daemon of a pathspace (None when not running)."""
    out: dict[str, int | None] = {}
    for daemon in ("watchfrr", *FRR_DAEMONS):
        pid = read_pid(FRR_RUN / namespace / f"{daemon}.pid")
        out[daemon] = pid if pid is not None and pid_alive(pid) else None
    return out


def namespace_pids(namespace: str) -> list[int]:
    """Processes running in a network namespace (all started by the lab)."""
    proc = run(["ip", "netns", "pids", namespace], check=False)
    return [int(p) for p in proc.stdout.split() if p.isdigit()]


def kill_pids(pids: list[int]) -> None:
    """SIGKILL each PID (the lab's own processes only)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
