"""A NAPALM driver for FRRouting (the lab platform; none exists on PyPI).

NAPALM finds it with ``get_network_driver("frr")`` through the ``napalm_frr`` module this project
installs. It talks SSH exec channels (paramiko) to the device's login shell, which on a govnet
lab node is the node's vtysh plus three read-only Linux views and the node's configuration agent
``govnet-cfg`` (see ``napalm_frr/govnet_cfg.py``): ``show ... json`` for state, ``ip -j -s link``
for counters, ``lldpcli json`` for LLDP, and ``govnet-cfg diff|apply|confirm|rollback`` for
configuration, where ``apply --revert-in N`` is a commit-confirmed: the device rolls back by
itself unless :meth:`FrrDriver.confirm_commit` comes in time.

Configuration is replace-by-default (frr-reload.py computes the change); a merge candidate is
the running configuration with the merge text appended, so only additions result.
"""

from __future__ import annotations

import json
import re
from typing import Any

import paramiko
from napalm.base import NetworkDriver
from napalm.base.exceptions import (
    CommitError,
    ConnectionException,
    MergeConfigException,
    ReplaceConfigException,
)

from govnet.safety import check_target

_VERSION = re.compile(r"FRRouting (\S+) \((\S+)\)")


class FrrDriver(NetworkDriver):  # type: ignore[misc]
    """NAPALM driver for FRR reached over SSH."""

    def __init__(
        self,
        hostname: str,
        username: str,
        password: str,
        timeout: int = 60,
        optional_args: dict[str, Any] | None = None,
    ) -> None:
        self.hostname = hostname
        self.username = username
        self.password = password
        self.timeout = timeout
        self.port = int((optional_args or {}).get("port", 22))
        self._client: paramiko.SSHClient | None = None
        self._candidate: str | None = None
        self._merge = False

    # ------------------------------------------------------------------ session

    def open(self) -> None:
        """Connect (after the lab interlock checked the address)."""
        check_target(self.hostname)
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(
                self.hostname,
                port=self.port,
                username=self.username,
                password=self.password,
                timeout=self.timeout,
                look_for_keys=False,
                allow_agent=False,
                banner_timeout=self.timeout,
            )
        except (TimeoutError, paramiko.SSHException, OSError) as exc:
            raise ConnectionException(f"cannot reach {self.hostname}:{self.port} over SSH: {exc}") from exc
        self._client = client

    def close(self) -> None:
        """Disconnect."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def is_alive(self) -> dict[str, bool]:
        """Whether the SSH transport is up."""
        transport = self._client.get_transport() if self._client else None
        return {"is_alive": bool(transport and transport.is_active())}

    def _run(self, command: str, stdin: str | None = None, check: bool = True) -> str:
        if self._client is None:
            raise ConnectionException(f"{self.hostname}: not connected (call open() first)")
        try:
            chan_in, chan_out, chan_err = self._client.exec_command(command, timeout=self.timeout)
            if stdin is not None:
                chan_in.write(stdin)
                chan_in.channel.shutdown_write()
            out: str = chan_out.read().decode("utf-8", errors="replace")
            err: str = chan_err.read().decode("utf-8", errors="replace")
            status = int(chan_out.channel.recv_exit_status())
        except (TimeoutError, paramiko.SSHException, OSError) as exc:
            raise ConnectionException(
                f"{self.hostname}: SSH session failed during '{command}': {exc}"
            ) from exc
        if check and status != 0:
            raise CommitError(
                f"{self.hostname}: '{command}' failed ({status}): {(err or out).strip()[-500:]}"
            )
        return out

    def _json(self, command: str) -> Any:
        text = self._run(command)
        try:
            return json.loads(text or "{}")
        except json.JSONDecodeError as exc:
            raise CommitError(f"{self.hostname}: '{command}' did not answer JSON") from exc

    # ------------------------------------------------------------------ getters

    def cli(self, commands: list[str], encoding: str = "text") -> dict[str, str]:
        """Run vtysh commands; output per command."""
        return {command: self._run(command) for command in commands}

    def ospf_full_neighbors(self) -> set[str]:
        """Router ids of OSPF neighbours in state Full (not a NAPALM getter; used by post-checks)."""
        data = self._json("show ip ospf neighbor json")
        full = set()
        for router_id, entries in data.get("neighbors", {}).items():
            for entry in entries if isinstance(entries, list) else [entries]:
                if str(entry.get("state", entry.get("nbrState", ""))).startswith("Full"):
                    full.add(router_id)
        return full

    def get_facts(self) -> dict[str, Any]:
        """Vendor, version, hostname, uptime and interfaces."""
        version = self._run("show version")
        match = _VERSION.search(version)
        facts = self._json("govnet-cfg facts")
        interfaces = sorted(self._json("show interface json"))
        return {
            "uptime": float(facts["uptime"]),
            "vendor": "FRRouting",
            "os_version": match.group(1) if match else "",
            "serial_number": "",
            "model": "FRR",
            "hostname": facts["hostname"],
            "fqdn": facts["hostname"],
            "interface_list": interfaces,
        }

    def get_interfaces(self) -> dict[str, dict[str, Any]]:
        """State of every interface."""
        out = {}
        for name, data in self._json("show interface json").items():
            out[name] = {
                "is_up": data.get("operationalStatus") == "up",
                "is_enabled": data.get("administrativeStatus") == "up",
                "description": data.get("description", ""),
                "last_flapped": -1.0,
                "speed": float(data.get("speed", 0) or 0),
                "mtu": int(data.get("mtu", 0)),
                "mac_address": data.get("hardwareAddress", ""),
            }
        return out

    def get_interfaces_ip(self) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
        """IPv4 and IPv6 addresses of every interface."""
        out: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
        for name, data in self._json("show interface json").items():
            for entry in data.get("ipAddresses", []):
                address, _, length = entry["address"].partition("/")
                family = "ipv6" if ":" in address else "ipv4"
                out.setdefault(name, {}).setdefault(family, {})[address] = {"prefix_length": int(length)}
        return out

    def get_interfaces_counters(self) -> dict[str, dict[str, int]]:
        """Kernel counters of every interface (unicast = packets less multicast; no broadcast split)."""
        out = {}
        for link in self._json("ip -j -s link"):
            stats = link.get("stats64", {})
            rx, tx = stats.get("rx", {}), stats.get("tx", {})
            out[link["ifname"]] = {
                "tx_errors": int(tx.get("errors", 0)),
                "rx_errors": int(rx.get("errors", 0)),
                "tx_discards": int(tx.get("dropped", 0)),
                "rx_discards": int(rx.get("dropped", 0)),
                "tx_octets": int(tx.get("bytes", 0)),
                "rx_octets": int(rx.get("bytes", 0)),
                "tx_unicast_packets": int(tx.get("packets", 0)),
                "rx_unicast_packets": int(rx.get("packets", 0)) - int(rx.get("multicast", 0)),
                "tx_multicast_packets": 0,
                "rx_multicast_packets": int(rx.get("multicast", 0)),
                "tx_broadcast_packets": 0,
                "rx_broadcast_packets": 0,
            }
        return out

    def _lldp(self) -> list[dict[str, Any]]:
        data = self._json("lldpcli json")
        interfaces: list[dict[str, Any]] = []
        for block in data.get("lldp", []):
            interfaces.extend(block.get("interface", []))
        return interfaces

    @staticmethod
    def _first(items: list[dict[str, Any]] | None, key: str = "value") -> str:
        return str(items[0].get(key, "")) if items else ""

    def get_lldp_neighbors(self) -> dict[str, list[dict[str, str]]]:
        """Neighbours per local interface: remote hostname and port."""
        out: dict[str, list[dict[str, str]]] = {}
        for iface in self._lldp():
            chassis = (iface.get("chassis") or [{}])[0]
            port = (iface.get("port") or [{}])[0]
            out.setdefault(iface["name"], []).append(
                {"hostname": self._first(chassis.get("name")), "port": self._first(port.get("id"))}
            )
        return out

    def get_lldp_neighbors_detail(self, interface: str = "") -> dict[str, list[dict[str, Any]]]:
        """Everything LLDP says about each neighbour."""
        out: dict[str, list[dict[str, Any]]] = {}
        for iface in self._lldp():
            if interface and iface["name"] != interface:
                continue
            chassis = (iface.get("chassis") or [{}])[0]
            port = (iface.get("port") or [{}])[0]
            capabilities = chassis.get("capability", [])
            out.setdefault(iface["name"], []).append(
                {
                    "parent_interface": "",
                    "remote_port": self._first(port.get("id")),
                    "remote_port_description": self._first(port.get("descr")),
                    "remote_chassis_id": self._first(chassis.get("id")),
                    "remote_system_name": self._first(chassis.get("name")),
                    "remote_system_description": self._first(chassis.get("descr")),
                    "remote_system_capab": sorted(c["type"].lower() for c in capabilities),
                    "remote_system_enable_capab": sorted(
                        c["type"].lower() for c in capabilities if c.get("enabled")
                    ),
                }
            )
        return out

    def get_bgp_neighbors(self) -> dict[str, dict[str, Any]]:
        """BGP peers of the default VRF."""
        neighbours = self._json("show bgp neighbors json")
        summary = self._json("show bgp ipv4 unicast summary json")
        router_id = str(summary.get("routerId", ""))
        peers_summary = summary.get("peers", {})
        peers = {}
        for address, data in neighbours.items():
            if not isinstance(data, dict) or "remoteAs" not in data:
                continue
            ps = peers_summary.get(address, {})
            received = int(ps.get("pfxRcd", 0) or 0)
            peers[address] = {
                "local_as": int(data.get("localAs", 0)),
                "remote_as": int(data.get("remoteAs", 0)),
                "remote_id": str(data.get("remoteRouterId", "")),
                "is_up": data.get("bgpState") == "Established",
                "is_enabled": data.get("adminShutDown") is not True,
                "description": str(data.get("nbrDesc", "")),
                "uptime": int(data.get("bgpTimerUpMsec", 0)) // 1000,
                "address_family": {
                    "ipv4": {
                        "received_prefixes": received,
                        "accepted_prefixes": received,
                        "sent_prefixes": int(ps.get("pfxSnt", 0) or 0),
                    }
                },
            }
        return {"global": {"router_id": router_id, "peers": peers}}

    def get_config(
        self, retrieve: str = "all", full: bool = False, sanitized: bool = False, format: str = "text"
    ) -> dict[str, str]:
        """Running, startup and candidate configuration."""
        running = self._run("govnet-cfg running") if retrieve in {"all", "running"} else ""
        startup = self._run("govnet-cfg startup") if retrieve in {"all", "startup"} else ""
        candidate = (self._candidate or "") if retrieve in {"all", "candidate"} else ""
        return {"running": running, "startup": startup, "candidate": candidate}

    # ------------------------------------------------------------------ configuration

    def load_replace_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        """The whole intended configuration."""
        self._candidate = self._read(filename, config, ReplaceConfigException)
        self._merge = False

    def load_merge_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        """Lines to add to the running configuration."""
        addition = self._read(filename, config, MergeConfigException)
        self._candidate = self._run("govnet-cfg running").rstrip("\n").removesuffix("end") + "\n" + addition
        self._merge = True

    @staticmethod
    def _read(filename: str | None, config: str | None, error: type[Exception]) -> str:
        if config is not None:
            return config
        if filename is None:
            raise error("give a filename or a config")
        try:
            with open(filename, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise error(f"cannot read {filename}: {exc.strerror}") from exc

    def compare_config(self) -> str:
        """What committing the candidate would change ('' when nothing)."""
        if self._candidate is None:
            return ""
        return self._run("govnet-cfg diff", stdin=self._candidate)

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        """Apply the candidate; with ``revert_in`` the device rolls back unless confirmed in time.

        All or nothing on the device: when a line fails half-way, the device puts its previous
        configuration back and checks it line by line before answering; the CommitError then
        says "rolled back" (agent exit 3) or "device state unknown" (exit 4).
        """
        if self._candidate is None:
            raise CommitError(f"{self.hostname}: no candidate loaded")
        if self.has_pending_commit():
            raise CommitError(
                f"{self.hostname}: a commit is waiting for confirmation; confirm or roll it back"
            )
        command = "govnet-cfg apply" + (f" --revert-in {int(revert_in)}" if revert_in else "")
        self._run(command, stdin=self._candidate)
        self._candidate = None

    def confirm_commit(self) -> None:
        """Keep the configuration of a commit made with ``revert_in``."""
        if not self.has_pending_commit():
            raise CommitError(f"{self.hostname}: no commit is waiting for confirmation")
        self._run("govnet-cfg confirm")

    def has_pending_commit(self) -> bool:
        """Whether a commit waits for its confirmation."""
        return self._run("govnet-cfg pending").strip() == "yes"

    def discard_config(self) -> None:
        """Forget the candidate."""
        self._candidate = None

    def rollback(self) -> None:
        """Go back to the configuration before the last commit."""
        self._run("govnet-cfg rollback")
