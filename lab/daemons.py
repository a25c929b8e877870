"""Start a lab node's daemons: FRR (routers only), snmpd, lldpd over AgentX, and sshd.

Each node runs in its own network namespace and UTS namespace (its own hostname); every daemon
joins the lab's cgroup (:func:`govnet.lab.host.in_cgroup`). The run-time files (host key, lab
shell, device agent, per-node directories) live under ``runtime_dir(prefix)``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

import napalm_frr
from govnet.errors import LabError
from govnet.inventory.network import Network
from govnet.lab import mibdata
from govnet.lab import node as nodes
from govnet.lab.host import cgroup_dir, in_cgroup
from govnet.lab.shell import run
from govnet.lab.state import LabState, NodeState, lab_dir, runtime_dir
from govnet.lab.wiring import light_addressing


def lab_secret(network: Network, credential: str, field: str) -> str:
    """A secret of the lab's own secrets file, as text."""
    return network.secrets.get(credential, field).get_secret_value()


def _configs_dir(prefix: str) -> Path:
    return lab_dir(prefix) / "configs"


def save_configs(prefix: str, configs: Mapping[str, str]) -> None:
    """Keep each router's intended configuration (rendered by the caller) for its (re)starts."""
    directory = _configs_dir(prefix)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name, text in configs.items():
        nodes.write_private(directory / f"{name}.conf", text)


def intended_config(prefix: str, name: str) -> str:
    """The intended configuration :func:`save_configs` kept for a router."""
    path = _configs_dir(prefix) / f"{name}.conf"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LabError(
            f"no intended configuration for lab router '{name}' ({path})",
            hint="give up() the rendered configurations of every router (govnet.tasks.render)",
        ) from None


def prepare_runtime(state: LabState, lab_network: Network) -> None:
    """The run-time files every node shares: host key, lab shell, device agent, the lab user, the cgroup."""
    rt = runtime_dir(state.prefix)
    (rt / "uts").mkdir(parents=True, exist_ok=True)
    os.chmod(rt, 0o755)
    Path("/run/sshd").mkdir(exist_ok=True)
    Path("/run/lldpd").mkdir(exist_ok=True)
    key = rt / "ssh_host_ed25519_key"
    if not key.exists():
        run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                f"govnet lab {state.prefix}",
                "-f",
                str(key),
            ]
        )
    shell = rt / "lab-shell"
    shell.write_text(nodes.LAB_SHELL, encoding="utf-8")
    os.chmod(shell, 0o755)
    mibdata.install_program(state.prefix)
    tool = rt / "govnet-cfg"
    shutil.copyfile(Path(napalm_frr.__file__).parent / "govnet_cfg.py", tool)
    os.chmod(tool, 0o755)
    try:
        pwd.getpwnam(state.user)
    except KeyError:
        run(
            [
                "useradd",
                "-M",
                "-N",
                "-d",
                str(rt),
                "-s",
                str(shell),
                "-G",
                "frr,frrvty,adm",
                "-c",
                f"govnet lab {state.prefix}",
                state.user,
            ]
        )
    run(["chpasswd"], input_text=f"{state.user}:{lab_secret(lab_network, 'lab-ssh', 'password')}\n")
    group = cgroup_dir(state.prefix)
    if group is not None:
        group.mkdir(exist_ok=True)


def _uts_file(prefix: str, node: NodeState) -> Path:
    return runtime_dir(prefix) / "uts" / node.namespace


def _nsenter(prefix: str, node: NodeState) -> list[str]:
    return ["nsenter", f"--net=/run/netns/{node.namespace}", f"--uts={_uts_file(prefix, node)}", "--"]


def start_node(
    state: LabState, node: NodeState, lab_network: Network, *, bare: bool, frr_conf: str | None = None
) -> None:
    """Start every daemon of one node (its namespace and links exist already).

    ``frr_conf`` restarts a router with that configuration (a restored node keeps what was
    pushed to it); by default it gets its day-0 (``bare``) or its intended configuration as
    :func:`save_configs` kept it when the lab came up.
    """
    prefix = state.prefix
    rt = runtime_dir(prefix)
    node_dir = rt / "nodes" / node.namespace
    node_dir.mkdir(parents=True, exist_ok=True)
    cfg_dir = node_dir / "cfg"  # govnet-cfg's checkpoints, as the lab user
    cfg_dir.mkdir(mode=0o700, exist_ok=True)
    shutil.chown(cfg_dir, state.user, "frr")
    # A router that died with a commit awaiting confirmation boots on the configuration from
    # before that commit, as IOS's "configure replace ... time N" or Junos' "commit confirmed"
    # leave it (frr-reload.py saves every change at once, so the saved file cannot tell).
    pending = cfg_dir / "pending"
    if pending.exists():
        checkpoint = cfg_dir / "checkpoint.conf"
        if node.kind == "router" and checkpoint.exists():
            frr_conf = checkpoint.read_text(encoding="utf-8")
        pending.unlink()
    uts = _uts_file(prefix, node)
    if not uts.exists():
        uts.touch()
        run(["unshare", f"--uts={uts}", "hostname", node.name])
    enter = _nsenter(prefix, node)
    if node.kind == "router":
        conf = frr_conf
        if conf is None:
            conf = nodes.bootstrap_frr(node.name) if bare else intended_config(prefix, node.name)
        nodes.install_frr(node.namespace, conf)
        run(
            in_cgroup(
                prefix, ["nsenter", f"--uts={uts}", "--", "/usr/lib/frr/frrinit.sh", "start", node.namespace]
            ),
            timeout=60,
        )
    elif not bare:
        light_addressing(node, lab_network)
    dev = lab_network.devices[node.name]
    site = lab_network.sites[dev.site]
    mib_rows = mibdata.write_node_data(state, node, lab_network)
    v3 = next(c for c in lab_network.credentials.values() if c.kind == "snmp_v3")
    nodes.write_private(
        node_dir / "snmpd.conf",
        nodes.snmpd_config(
            node,
            community=lab_secret(lab_network, "lab-snmp-v2c", "community"),
            v3_user=getattr(v3, "username", "govnet-noc"),
            auth_key=lab_secret(lab_network, "lab-snmp-v3", "auth_key"),
            priv_key=lab_secret(lab_network, "lab-snmp-v3", "priv_key"),
            mgmt_subnet=state.mgmt_subnet,
            trap_receiver=state.trap_receiver,
            location=site.name,
            extra=mibdata.snmpd_lines(prefix, node, mib_rows),
            v3_traps=lab_network.snmp_profiles[dev.snmp_profile].version == "3",
        ),
    )
    persistent = node_dir / "snmp"
    persistent.mkdir(exist_ok=True)
    # snmpd -C reads no file but -c's, so name its persistent state too: a restarted node keeps
    # its engine id and counts snmpEngineBoots up, as a real device does (v3 managers rely on it).
    configs = [node_dir / "snmpd.conf", *[p for p in [persistent / "snmpd.conf"] if p.exists()]]
    snmp_env = ["env", f"SNMP_PERSISTENT_DIR={persistent}", "MIBS="]
    run(
        in_cgroup(
            prefix,
            [
                *enter,
                *snmp_env,
                "/usr/sbin/snmpd",
                "-C",
                "-c",
                ",".join(map(str, configs)),
                "-I",
                "-smux",
                "-Lf",
                str(node_dir / "snmpd.log"),
                "-p",
                str(node_dir / "snmpd.pid"),
            ],
        )
    )
    # lldpd registers with snmpd over AgentX. When that first attempt fails (it sometimes does,
    # even with snmpd listening) it retries only after 15-25 s; so start it once snmpd's AgentX
    # port listens, check the session is there, and start it again if not.
    _wait_listening(node, 705)
    (node_dir / "lldpd.conf").write_text(nodes.LLDPD_CONF, encoding="utf-8")
    lldpd = ["/usr/sbin/lldpd", "-u", str(node_dir / "lldpd.sock"), "-I", "eth*,!eth0"]
    lldpd += ["-O", str(node_dir / "lldpd.conf"), "-x", "-X", "tcp:127.0.0.1:705"]
    for _attempt in range(5):
        run(in_cgroup(prefix, [*enter, *lldpd]))
        if _agentx_connected(node, timeout=2.0):
            break
        nodes.kill_pids([p for p in nodes.namespace_pids(node.namespace) if _comm(p) == "lldpd"])
        time.sleep(0.2)
    (node_dir / "sshd_config").write_text(
        nodes.sshd_config(node, rt / "ssh_host_ed25519_key", node_dir / "sshd.pid", state.user, node_dir),
        encoding="utf-8",
    )
    run(
        in_cgroup(
            prefix,
            [*enter, "/usr/sbin/sshd", "-f", str(node_dir / "sshd_config"), "-E", str(node_dir / "sshd.log")],
        )
    )


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _agentx_connected(node: NodeState, timeout: float) -> bool:
    """Whether a sub-agent holds an AgentX session with the node's snmpd."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = run(
            ["ip", "netns", "exec", node.namespace, "ss", "-Htn", "state", "established", "( dport = :705 )"],
            check=False,
        ).stdout
        if out.strip():
            return True
        time.sleep(0.1)
    return False


def _wait_listening(node: NodeState, port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = run(
            ["ip", "netns", "exec", node.namespace, "ss", "-Htln", f"sport = :{port}"], check=False
        ).stdout
        if out.strip():
            return
        time.sleep(0.05)
    raise LabError(f"{node.name}: nothing listens on TCP port {port} after {timeout:g} s (snmpd AgentX)")


def running_daemons(prefix: str, node: NodeState) -> dict[str, bool]:
    """Which of the node's daemons run now (watchfrr by its pid file)."""
    running = set()
    for pid in nodes.namespace_pids(node.namespace):
        try:
            running.add(Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip())
        except OSError:
            continue
    wanted = ["sshd", "snmpd", "lldpd"]
    if node.kind == "router":
        wanted = [*nodes.FRR_DAEMONS, *wanted]
    out = {d: d in running for d in wanted}
    if node.kind == "router":
        out["watchfrr"] = nodes.frr_pids(node.namespace)["watchfrr"] is not None
    return out
