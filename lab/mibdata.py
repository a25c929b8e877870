"""Transceiver and WiFi MIB data for lab nodes, served by each node's real snmpd.

Linux has no optics and no radios to report, and Debian's snmpd implements neither
ENTITY-SENSOR-MIB nor any WiFi vendor MIB. So each node's snmpd hands those subtrees to a tiny
``pass_persist`` program (awk) that answers GET and GETNEXT from a data file this module writes:

* every fiber interface is a port entity (mapped onto its ifIndex) holding an Rx and a Tx power
  sensor in dBm, with the transceiver's low thresholds in CISCO-ENTITY-SENSOR-MIB's threshold
  table. Receive power is the transmit power less the fiber's loss over the sites' distance,
  less any extra attenuation set with ``govnet lab attenuate`` (a bent or dirty fiber), and
  reads "no light" while the link or the far node is failed;
* WiFi APs and controllers have a MikroTik-style ``mtxrWlApTable`` row with an SSID and a
  client count.

The data file is replaced atomically, and the program reads it on every request, so a change
shows in the very next poll.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

from govnet.inventory.geo import haversine_km
from govnet.inventory.models import Medium, Role
from govnet.inventory.network import Network
from govnet.lab.shell import run
from govnet.lab.state import LabState, NodeState, runtime_dir
from govnet.snmp import entity, wireless

#: The subtrees each node's snmpd passes to the data program.
SUBTREES = (".1.3.6.1.2.1.47", ".1.3.6.1.2.1.99", ".1.3.6.1.4.1.9.9.91", ".1.3.6.1.4.1.14988.1.1.1.3")

#: snmpd's ``pass_persist`` protocol, spoken by one awk process per subtree: ``PING`` → ``PONG``;
#: ``get``/``getnext`` and an OID → OID, type, value, or ``NONE``; ``set`` → ``not-writable``.
#: It re-reads the data file on every request (a few hundred lines), so changes show at once,
#: and never forks: a walk costs no process starts (``pass`` forked two per varbind).
PASS_PROGRAM = r"""#!/bin/sh
# govnet lab: answers snmpd "pass_persist" requests for one subtree from a tab-separated data
# file (OID, type, value) sorted by OID. Arguments: DATA SUBTREE. "-W interactive": mawk (Debian's
# awk) otherwise reads stdin in blocks and would wait for more than snmpd's one request.
exec /usr/bin/awk -W interactive -v data="$1" -v root="$2." '
function cmp(a, b,   x, y, n, m, i) {
  n = split(a, x, "."); m = split(b, y, ".")
  for (i = 2; i <= n && i <= m; i++) {
    if (x[i] + 0 < y[i] + 0) return -1
    if (x[i] + 0 > y[i] + 0) return 1
  }
  return n < m ? -1 : (n > m ? 1 : 0)
}
function load(   line, f) {
  N = 0
  while ((getline line < data) > 0) {
    if (index(line, root) != 1) continue
    split(line, f, "\t"); N++; O[N] = f[1]; T[N] = f[2]; V[N] = f[3]
  }
  close(data)
}
function lookup(next_one, want,   i) {
  load()
  for (i = 1; i <= N; i++) {
    if ((!next_one && O[i] == want) || (next_one && cmp(O[i], want) > 0)) {
      print O[i]; print T[i]; print V[i]; return
    }
  }
  print "NONE"
}
$0 == "PING" { print "PONG"; fflush(); next }
$0 == "get" || $0 == "getnext" { cmd = $0; getline want; lookup(cmd == "getnext", want); fflush(); next }
$0 == "set" { getline; getline; print "not-writable"; fflush(); next }
'
"""

FIBER_LOSS_DB_PER_KM = 0.35
CONNECTOR_LOSS_DB = 1.0
#: (transmit dBm, low-warning dBm, low-alarm dBm) of a 10 km (LX) and an 80 km (ZX) transceiver.
LX = (-3.0, -18.0, -20.0)
ZX = (2.0, -23.0, -25.0)

Row = tuple[str, str, str]


def program_path(prefix: str) -> Path:
    """Where the lab's pass program lives (written by :func:`install_program`)."""
    return runtime_dir(prefix) / "lab-mib"


def data_path(prefix: str, node: NodeState) -> Path:
    """The node's data file."""
    return runtime_dir(prefix) / "nodes" / node.namespace / "mib.tsv"


def install_program(prefix: str) -> None:
    """Write the pass program into the lab's runtime directory."""
    path = program_path(prefix)
    path.write_text(PASS_PROGRAM, encoding="utf-8")
    os.chmod(path, 0o755)


def snmpd_lines(prefix: str, node: NodeState, rows: list[Row]) -> list[str]:
    """The ``pass_persist`` directives for the subtrees the node has data in (one process each)."""
    prog, data = program_path(prefix), data_path(prefix, node)
    used = [tree for tree in SUBTREES if any(oid.startswith(tree + ".") for oid, _, _ in rows)]
    return [f"pass_persist {tree} /bin/sh {prog} {data} {tree}" for tree in used]


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(x) for x in oid.strip(".").split("."))


def link_loss_db(network: Network, link_id: str) -> float:
    """The fiber's loss end to end: distance between the sites plus connectors.

    >>> from govnet.inventory.loader import load_inventory
    >>> from govnet.inventory import sample_dir
    >>> net = load_inventory(sample_dir())
    >>> link = next(lk for lk in net.links if lk.medium.value == "fiber")
    >>> link_loss_db(net, link.id) >= CONNECTOR_LOSS_DB
    True
    """
    link = network.links_by_id[link_id]
    a = network.sites[network.devices[link.a_device].site]
    b = network.sites[network.devices[link.b_device].site]
    return round(haversine_km(a.lat, a.lon, b.lat, b.lon) * FIBER_LOSS_DB_PER_KM + CONNECTOR_LOSS_DB, 1)


def transceiver(network: Network, link_id: str) -> tuple[float, float, float]:
    """The optics a link's length calls for: LX up to 12 dB of loss, ZX beyond."""
    return LX if link_loss_db(network, link_id) < 12 else ZX


def receive_dbm(network: Network, link_id: str, extra_db: float = 0.0) -> float:
    """What the far transceiver receives: transmit power less the fiber's loss and ``extra_db``."""
    rx = transceiver(network, link_id)[0] - link_loss_db(network, link_id) - extra_db
    return round(max(entity.NO_LIGHT_DBM, rx), 1)


def interface_indexes(node: NodeState) -> dict[str, int]:
    """The node's interfaces by name → kernel ifindex (which is snmpd's ifIndex)."""
    out = run(["ip", "-n", node.namespace, "-j", "link", "show"], check=False).stdout or "[]"
    return {i["ifname"]: int(i["ifindex"]) for i in json.loads(out)}


def node_rows(state: LabState, node: NodeState, network: Network, ifindex: dict[str, int]) -> list[Row]:
    """Every varbind the node's pass program serves, sorted by OID."""
    rows: list[Row] = []
    failed = set(state.failed_links)
    for lab_link in state.links:
        link = network.links_by_id.get(lab_link.id)
        if link is None or link.medium != Medium.FIBER or node.name not in {lab_link.a_node, lab_link.b_node}:
            continue
        mine, far = (
            (lab_link.a_if, lab_link.b_node)
            if lab_link.a_node == node.name
            else (lab_link.b_if, lab_link.a_node)
        )
        index = ifindex.get(mine)
        if index is None:
            continue
        tx, warning, alarm = transceiver(network, link.id)
        dark = link.id in failed or far in state.failed_nodes
        rx = (
            entity.NO_LIGHT_DBM
            if dark
            else receive_dbm(network, link.id, state.attenuation.get(link.id, 0.0))
        )
        port, rx_sensor, tx_sensor = 1000 + index, 2000 + index, 3000 + index
        rows += [
            (f".{entity.ENT_PHYSICAL_NAME}.{port}", "string", mine),
            (f".{entity.ENT_PHYSICAL_CONTAINED_IN}.{port}", "integer", "1"),
            (
                f".{entity.ENT_ALIAS_MAPPING_IDENTIFIER}.{port}.0",
                "objectid",
                f".{entity.IF_INDEX_OID}{index}",
            ),
        ]
        for sensor, label, value in ((rx_sensor, "Rx", rx), (tx_sensor, "Tx", tx)):
            rows += [
                (f".{entity.ENT_PHYSICAL_NAME}.{sensor}", "string", f"{mine} {label} Power"),
                (f".{entity.ENT_PHYSICAL_CONTAINED_IN}.{sensor}", "integer", str(port)),
                (f".{entity.SENSOR_TYPE}.{sensor}", "integer", str(entity.DBM)),
                (f".{entity.SENSOR_SCALE}.{sensor}", "integer", "9"),
                (f".{entity.SENSOR_PRECISION}.{sensor}", "integer", "1"),
                (f".{entity.SENSOR_VALUE}.{sensor}", "integer", str(round(value * 10))),
                (f".{entity.SENSOR_OPER_STATUS}.{sensor}", "integer", "1"),
            ]
        for number, severity, level in ((1, 10, warning), (2, 20, alarm)):  # minor, major; lessThan
            rows += [
                (f".{entity.THRESHOLD_SEVERITY}.{rx_sensor}.{number}", "integer", str(severity)),
                (f".{entity.THRESHOLD_RELATION}.{rx_sensor}.{number}", "integer", "1"),
                (f".{entity.THRESHOLD_VALUE}.{rx_sensor}.{number}", "integer", str(round(level * 10))),
            ]
    if rows:  # the ports' chassis (no ports: no ENTITY-MIB subtree, no pass process for it)
        rows += [
            (f".{entity.ENT_PHYSICAL_NAME}.1", "string", "chassis"),
            (f".{entity.ENT_PHYSICAL_CONTAINED_IN}.1", "integer", "0"),
        ]
    role = network.devices[node.name].role if node.name in network.devices else None
    if role in (Role.WIFI_AP, Role.WIFI_CONTROLLER):
        radio = ifindex.get(node.lan[0] if node.lan else "", 1)
        clients = state.wifi_clients.get(node.name, wifi_clients_default(node.name))
        rows += [
            (f".{wireless.MIKROTIK_WL_AP_SSID}.{radio}", "string", "govnet-wifi"),
            (f".{wireless.MIKROTIK_WL_AP_CLIENT_COUNT}.{radio}", "counter", str(clients)),
        ]
    return sorted(rows, key=lambda r: _oid_key(r[0]))


def wifi_clients_default(name: str) -> int:
    """A steady, made-up client count for an AP (5 to 44), until a test sets one.

    >>> wifi_clients_default("ap-cong-vien") == wifi_clients_default("ap-cong-vien")
    True
    """
    return 5 + zlib.crc32(name.encode()) % 40


def write_node_data(state: LabState, node: NodeState, network: Network) -> list[Row]:
    """(Re)write one node's data file, atomically: the next SNMP request sees the new values."""
    rows = node_rows(state, node, network, interface_indexes(node))
    path = data_path(state.prefix, node)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{o}\t{t}\t{v}\n" for o, t, v in rows), encoding="utf-8")
    os.replace(tmp, path)
    return rows


def refresh(state: LabState, network: Network, names: set[str]) -> None:
    """Rewrite the data of the named nodes that are running (after a fail, restore or attenuate)."""
    for name in sorted(names):
        node = state.nodes.get(name)
        if node is not None and name not in state.failed_nodes:
            write_node_data(state, node, network)
