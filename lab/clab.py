"""The same lab as a containerlab topology, for users who have Docker (not tested here: no engine).

``govnet lab export-clab OUTDIR`` writes ``<name>.clab.yml``, per-node startup files under
``configs/<node>/`` (``frr.conf``, ``daemons``, ``snmpd.conf``, ``sshd_config``), the node
image's ``Dockerfile`` and its ``entrypoint.sh``. No secret is written: ``snmpd.conf`` carries
``@SNMP_COMMUNITY@``-style placeholders that the entrypoint fills from the container's
environment (``SNMP_COMMUNITY``, ``SNMP_V3_AUTH``, ``SNMP_V3_PRIV``, ``LAB_PASSWORD``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from govnet.errors import LabError
from govnet.inventory.network import Network
from govnet.inventory.yamlfile import dump_yaml
from govnet.lab import aliases
from govnet.lab import node as nodes
from govnet.lab.state import NodeState
from govnet.lab.subset import lab_inventory, lab_view, management_subnet, select

IMAGE = "govnet/frr-node:8.4"

DOCKERFILE = """# govnet lab node: FRR 8.4, sshd, snmpd, lldpd on Debian 12 (untested here: no Docker engine).
FROM debian:bookworm-slim
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      frr frr-pythontools snmpd snmp lldpd openssh-server iproute2 \\
 && rm -rf /var/lib/apt/lists/* \\
 && mkdir -p /run/sshd /run/lldpd \\
 && useradd -M -d /nonexistent -s /usr/local/bin/lab-shell -G frr,frrvty govnet
COPY lab-shell /usr/local/bin/lab-shell
COPY entrypoint.sh /usr/local/bin/entrypoint.sh
RUN chmod 0755 /usr/local/bin/lab-shell /usr/local/bin/entrypoint.sh
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
"""

ENTRYPOINT = """#!/bin/sh
# Fill the secret placeholders from the environment, then start the node's daemons.
set -eu
sed -i -e "s|@SNMP_COMMUNITY@|${SNMP_COMMUNITY:?}|g" -e "s|@SNMP_V3_AUTH@|${SNMP_V3_AUTH:?}|g" \\
       -e "s|@SNMP_V3_PRIV@|${SNMP_V3_PRIV:?}|g" /etc/snmp/snmpd.conf
echo "govnet:${LAB_PASSWORD:?}" | chpasswd
sysctl -q -w net.ipv4.ip_forward=1 || true
/usr/lib/frr/frrinit.sh start
/usr/sbin/snmpd -C -c /etc/snmp/snmpd.conf -I -smux -Lf /var/log/snmpd.log
/usr/sbin/lldpd -I 'eth*,!eth0' -x -X tcp:127.0.0.1:705
/usr/sbin/sshd -f /etc/ssh/sshd_config.govnet
exec sleep infinity
"""

CONTAINER_SHELL = nodes.LAB_SHELL.replace('-N "$LAB_NODE" ', "")


def export(
    network: Network,
    outdir: Path,
    configs: Mapping[str, str] | None = None,
    *,
    size: str = "small",
    bare: bool = False,
    name: str | None = None,
) -> Path:
    """Write the containerlab topology and its files; return the ``.clab.yml`` path.

    ``configs`` maps each node to its rendered FRR configuration (rendered from
    :func:`govnet.lab.subset.lab_view` of the same size); a ``bare`` export writes day-0 ones.
    """
    devices = select(network, size)
    subnet = management_subnet(network)
    controller = next(subnet.hosts())
    _, mgmt, renames = lab_inventory(
        network,
        devices,
        size=size,
        mgmt_subnet=subnet,
        controller=controller,
        trap_port=162,
        user="govnet",
    )
    missing = [] if bare else [d for d in devices if d not in (configs or {})]
    if missing:
        raise LabError(
            f"no rendered configuration for: {', '.join(missing)}",
            hint="render each node of lab_view(network, size=...) with govnet.tasks.render, or export bare",
        )
    topo_name = name or f"govnet-{size}"
    outdir.mkdir(parents=True, exist_ok=True)
    aliases.write(outdir, renames)  # the devices' own port names behind the Linux ones
    clab_nodes: dict[str, Any] = {}
    lab_network = lab_view(network, size=size, user="govnet")
    for index, device in enumerate(devices, start=1):
        conf_dir = outdir / "configs" / device
        conf_dir.mkdir(parents=True, exist_ok=True)
        frr = nodes.bootstrap_frr(device) if bare or configs is None else configs[device]
        (conf_dir / "frr.conf").write_text(frr, encoding="utf-8")
        (conf_dir / "daemons").write_text(
            nodes.daemons_file().replace('watchfrr_options="--netns"\n', ""), encoding="utf-8"
        )
        state = NodeState(
            name=device,
            index=index,
            namespace=device,
            mgmt_ip=mgmt[device],
            kind="router",
            role=network.devices[device].role.value,
            mgmt_veth="eth0",
        )
        site = lab_network.sites[lab_network.devices[device].site]
        (conf_dir / "snmpd.conf").write_text(
            nodes.snmpd_config(
                state,
                community="@SNMP_COMMUNITY@",
                v3_user="govnet-noc",
                auth_key="@SNMP_V3_AUTH@",
                priv_key="@SNMP_V3_PRIV@",
                mgmt_subnet=str(subnet),
                trap_receiver=f"{controller}:162",
                location=site.name,
            ).replace(f"agentAddress udp:{mgmt[device]}:161", "agentAddress udp:161"),
            encoding="utf-8",
        )
        (conf_dir / "sshd_config").write_text(
            nodes.sshd_config(
                state, Path("/etc/ssh/ssh_host_ed25519_key"), Path("/run/sshd.pid"), "govnet"
            ).replace(f"ListenAddress {mgmt[device]}\n", ""),
            encoding="utf-8",
        )
        rel = f"configs/{device}"
        clab_nodes[device] = {
            "kind": "linux",
            "image": IMAGE,
            "mgmt-ipv4": mgmt[device],
            "labels": {"govnet-role": network.devices[device].role.value, "govnet-site": site.id},
            "binds": [
                f"{rel}/frr.conf:/etc/frr/frr.conf",
                f"{rel}/daemons:/etc/frr/daemons",
                f"{rel}/snmpd.conf:/etc/snmp/snmpd.conf",
                f"{rel}/sshd_config:/etc/ssh/sshd_config.govnet",
            ],
            "env": {"LAB_NODE": device},
            "env-files": ["secrets.env"],
        }
    links = []
    keep = set(devices)
    for link in network.links:
        if link.a_device in keep and link.b_device in keep:
            links.append(
                {
                    "endpoints": [
                        f"{link.a_device}:{renames[link.a_device][link.a_interface]}",
                        f"{link.b_device}:{renames[link.b_device][link.b_interface]}",
                    ]
                }
            )
    topology = {
        "name": topo_name,
        "prefix": "govnet",
        "mgmt": {"network": f"{topo_name}-mgmt", "ipv4-subnet": str(subnet)},
        "topology": {"nodes": clab_nodes, "links": links},
    }
    path = outdir / f"{topo_name}.clab.yml"
    header = (
        f"# containerlab twin of the govnet '{size}' lab. Build the image from Dockerfile first\n"
        "# (docker build -t govnet/frr-node:8.4 .) and write secrets.env with SNMP_COMMUNITY, SNMP_V3_AUTH,\n"
        "# SNMP_V3_PRIV and LAB_PASSWORD. Not tested here: this machine has no Docker engine.\n"
    )
    path.write_text(header + dump_yaml(topology), encoding="utf-8")
    (outdir / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    (outdir / "entrypoint.sh").write_text(ENTRYPOINT, encoding="utf-8")
    (outdir / "lab-shell").write_text(CONTAINER_SHELL, encoding="utf-8")
    return path
