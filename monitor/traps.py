"""Trap receiver (pysnmp 7 on asyncio): linkDown/linkUp become link-state events within seconds.

A trap carries the sender's address and, for IF-MIB's linkDown/linkUp, the ifIndex and the
admin/oper status. :class:`LinkMap` turns (device address, ifIndex) into the inventory's link,
using the ifIndex → ifName table of the device's last poll, so that the event names the link the
NOC knows; the next poll confirms (or corrects) what the trap said.

v2c communities and v3 users are accepted. An SNMPv3 trap is authenticated with keys localised
to the *sender's* engine id, so the receiver must know each sender's engine id before its first
trap: the poller reads ``snmpEngineID`` from every device and the monitor registers the device's
v3 user for it (:meth:`TrapReceiver.learn`), as an engineer would otherwise do by hand in
snmptrapd.conf. The lab's agents send v3 traps where the inventory's profile is v3, v2c
elsewhere, and the tests exercise both.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.snmp.client import usm_protocols
from govnet.snmp.mibs import IF_STATUS
from govnet.snmp.target import Target

SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
LINK_UP = "1.3.6.1.6.3.1.1.5.4"
IF_INDEX = "1.3.6.1.2.1.2.2.1.1."
IF_ADMIN = "1.3.6.1.2.1.2.2.1.7."
IF_OPER = "1.3.6.1.2.1.2.2.1.8."

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrapEvent:
    """One received notification."""

    source: str
    trap_oid: str
    kind: str  # "linkDown" | "linkUp" | "other"
    if_index: int | None
    admin_status: str | None
    oper_status: str | None
    received_at: float
    varbinds: dict[str, str] = field(default_factory=dict)
    security: str = ""  # "v2c" or "v3": how the sender authenticated it


def parse(
    source: str, varbinds: list[tuple[str, Any]], at: float | None = None, security: str = ""
) -> TrapEvent:
    """Turn a notification's varbinds into a :class:`TrapEvent`.

    >>> e = parse("198.18.0.12", [("1.3.6.1.6.3.1.1.4.1.0", "1.3.6.1.6.3.1.1.5.3"),
    ...                          ("1.3.6.1.2.1.2.2.1.1.3", 3), ("1.3.6.1.2.1.2.2.1.8.3", 2)], at=0.0)
    >>> e.kind, e.if_index, e.oper_status
    ('linkDown', 3, 'down')
    """
    values = {oid: str(value) for oid, value in varbinds}
    trap_oid = values.get(SNMP_TRAP_OID, "")
    kind = {LINK_DOWN: "linkDown", LINK_UP: "linkUp"}.get(trap_oid, "other")
    if_index = admin = oper = None
    for oid, value in values.items():
        if oid.startswith(IF_INDEX) and value.isdigit():
            if_index = int(value)
        elif oid.startswith(IF_ADMIN) and value.isdigit():
            admin = IF_STATUS.get(int(value), value)
            if_index = if_index or int(oid.rsplit(".", 1)[1])
        elif oid.startswith(IF_OPER) and value.isdigit():
            oper = IF_STATUS.get(int(value), value)
            if_index = if_index or int(oid.rsplit(".", 1)[1])
    when = time.time() if at is None else at
    return TrapEvent(source, trap_oid, kind, if_index, admin, oper, when, values, security)


class LinkMap:
    """(device address, ifIndex) → inventory link, from the inventory and the last poll's ifNames."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.device_by_ip = {str(d.mgmt_ip): name for name, d in network.devices.items()}
        self.link_by_port = {}
        for link in network.links:
            self.link_by_port[(link.a_device, link.a_interface)] = link.id
            self.link_by_port[(link.b_device, link.b_interface)] = link.id
        self.if_names: dict[str, dict[int, str]] = {}

    def learn(self, device: str, if_names: dict[int, str]) -> None:
        """Record a device's ifIndex → ifName table (from a poll)."""
        self.if_names[device] = dict(if_names)

    def link_of(self, event: TrapEvent) -> tuple[str | None, str | None]:
        """(device, link id) a trap is about, as far as known."""
        device = self.device_by_ip.get(event.source)
        if device is None:
            log.warning(
                "trap from an address that is no device of the inventory: ignored",
                extra={"address": event.source, "kind": event.kind, "trap_oid": event.trap_oid},
            )
            return None, None
        if event.if_index is None:
            return device, None
        name = self.if_names.get(device, {}).get(event.if_index)
        link = self.link_by_port.get((device, name)) if name else None
        if link is None:
            log.debug(
                "trap names no inventory link: the device is polled to confirm",
                extra={
                    "device": device,
                    "address": event.source,
                    "if_index": event.if_index,
                    "if_name": name,
                },
            )
        return device, link


class TrapReceiver:
    """Listens on UDP (host, port) and calls ``on_event`` for every notification it accepts."""

    def __init__(
        self,
        host: str,
        port: int,
        on_event: Callable[[TrapEvent], None],
        communities: list[SecretStr] | None = None,
        v3_users: list[tuple[Target, bytes]] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.on_event = on_event
        self.communities = communities or []
        self.v3_users = list(v3_users or [])
        self._engine: Any = None
        self._known: set[tuple[str, bytes]] = set()

    async def start(self) -> None:
        """Open the socket and register credentials."""
        from pysnmp.carrier.asyncio.dgram import udp  # noqa: PLC0415  (pysnmp: traps only)
        from pysnmp.entity import config, engine  # noqa: PLC0415  (pysnmp: traps only)
        from pysnmp.entity.rfc3413 import ntfrcv  # noqa: PLC0415  (pysnmp: traps only)

        # The socket is bound here, not by pysnmp: pysnmp binds in a task of its own, where a busy
        # port is an error nobody hears (the receiver would look started and hear nothing).
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise GovnetError(
                f"cannot listen for traps on {self.host}:{self.port}: {exc.strerror}",
                hint="is another receiver there? use another port",
            ) from exc
        sock.setblocking(False)
        snmp_engine = engine.SnmpEngine()
        config.add_transport(snmp_engine, udp.DOMAIN_NAME, udp.UdpTransport().open_server_mode(sock=sock))
        for i, community in enumerate(self.communities):
            config.add_v1_system(snmp_engine, f"govnet-area-{i}", community.get_secret_value())
        self._engine = snmp_engine
        for target, engine_id in self.v3_users:
            self.learn(target, engine_id)

        def received(
            engine_: Any, state: Any, _ctx_engine: Any, _ctx_name: Any, varbinds: Any, _cb: Any
        ) -> None:
            _domain, address = engine_.message_dispatcher.get_transport_info(state)
            context = engine_.observer.get_execution_context("rfc3412.receiveMessage:request")
            security = "v3" if int(context.get("securityModel", 0)) == 3 else "v2c"
            event = parse(str(address[0]), [(str(o), v) for o, v in varbinds], security=security)
            log.info(
                "trap received",
                extra={
                    "address": event.source,
                    "kind": event.kind,
                    "trap_oid": event.trap_oid,
                    "if_index": event.if_index,
                    "oper_status": event.oper_status,
                    "security": security,
                },
            )
            log.debug("trap varbinds", extra={"address": event.source, "varbinds": event.varbinds})
            self.on_event(event)

        ntfrcv.NotificationReceiver(snmp_engine, received)
        snmp_engine.observer.register_observer(self._check_community, "rfc2576.processIncomingMsg:writable")
        snmp_engine.observer.register_observer(self._v3_refused, "rfc3412.prepareDataElements:sm-failure")
        await asyncio.sleep(0)

    def _check_community(self, _engine: Any, _point: str, variables: dict[str, Any], _ctx: Any) -> None:
        """Log a v1/v2c message whose community is none of ours (pysnmp then drops it unanswered)."""
        known = {c.get_secret_value().encode() for c in self.communities}
        if bytes(variables.get("communityName", b"")) not in known:
            _domain, address = variables.get("transportInformation", (None, ("?", 0)))
            log.warning(
                "trap rejected: unknown community",
                extra={"address": str(address[0]), "port": address[1]},
            )

    def _v3_refused(self, _engine: Any, _point: str, variables: dict[str, Any], _ctx: Any) -> None:
        """Log a v3 message the security module refused (unknown user or engine, wrong digest...)."""
        address = variables.get("transportAddress") or ("?", 0)
        status = variables.get("statusInformation")
        reason = status.get("errorIndication") if status is not None else None
        log.warning(
            "trap rejected: SNMPv3 security check failed",
            extra={"address": str(address[0]), "port": address[1], "reason": str(reason)},
        )

    def learn(self, target: Target, engine_id: bytes) -> bool:
        """Accept v3 traps from ``target``'s user sent by the engine ``engine_id``; True if new."""
        from pysnmp.entity import config  # noqa: PLC0415  (pysnmp: v3 traps only)
        from pysnmp.proto.api import v2c  # noqa: PLC0415  (pysnmp: v3 traps only)

        key = (target.user or "", engine_id)
        if self._engine is None or target.version != "3" or not engine_id or key in self._known:
            return False
        assert target.auth_key is not None and target.priv_key is not None
        auth, priv = usm_protocols(target)
        config.add_v3_user(
            self._engine,
            target.user,
            auth,
            target.auth_key.get_secret_value(),
            priv,
            target.priv_key.get_secret_value(),
            securityEngineId=v2c.OctetString(engine_id),
        )
        self._known.add(key)
        return True

    def close(self) -> None:
        """Stop listening."""
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
