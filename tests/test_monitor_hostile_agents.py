"""Agents that answer, but not with SNMP govnet can use: reachable, with what was wrong said.

A device is down only when it is. An agent on loopback (:mod:`govnet.snmp.testing`, a real UDP
socket) that answers sysUpTime but garbles a table walk, truncates its PDUs, echoes requests,
answers other OIDs than those asked, or sends bytes that are not SNMP at all is *answering*: the
real scraper and engine record it as reachable with a warning naming the fault, open no node
incident and keep the agencies behind it up. A port nothing listens on stays unreachable, and no
answer, however odd, stops the poller for the other devices.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from govnet.inventory.models import Role
from govnet.inventory.network import Network
from govnet.monitor.collector import DeviceState
from govnet.monitor.config import DEFAULT_MODULES, OPTICS, SYSTEM, Module, targets_from_inventory
from govnet.monitor.engine import CycleReport, Monitor
from govnet.monitor.fake import FakeScraper
from govnet.monitor.poll import poll_round
from govnet.monitor.scraper import TEXT_LIMIT, Scrape, SnmpScraper
from govnet.monitor.store import open_store
from govnet.snmp import ber, entity, mibs, usm
from govnet.snmp.client import Target
from govnet.snmp.testing import Agent, AgentServer, arcs, integer, octets, raw
from govnet.snmp.v3wire import FLAG_AUTH, decode_envelope, encode_message, encode_scoped_pdu
from tests.test_snmp_v3 import ENGINE, USER_KEY, FakeAgent
from tests.test_snmp_walk import device_mib

SYS_DESCR = "1.3.6.1.2.1.1.1.0"


@dataclass
class Hostile(Agent):
    """A v2c agent that answers every request, but with ``fault`` in what it sends back."""

    fault: str = ""

    def answer(self, data: bytes) -> bytes | None:
        good = super().answer(data)
        if good is None:
            return None
        _, _, pdu = ber.decode_message(data)
        if self.fault == "garbage":  # not BER at all: no request-id to read
            return b"\x30\x82\xff\xff\x00 not SNMP " + bytes(range(40))
        if self.fault == "echo":  # the request itself: a GetRequest/GetBulkRequest PDU, right request-id
            return data
        if self.fault == "truncated-walk" and pdu.tag == ber.GET_BULK:
            return good[:-7]  # cut inside the variable-bindings: the request-id still reads
        if self.fault == "wrong-oids" and pdu.tag == ber.GET:
            varbinds = [self._varbind(arcs(SYS_DESCR), octets(b"not what was asked")) for _ in pdu.varbinds]
            return self._message(pdu.request_id, 0, 0, varbinds)
        return good


def loopback(port: int, *, timeout: float = 0.3, retries: int = 1) -> Target:
    return Target("127.0.0.1", port, community=SecretStr("public"), timeout=timeout, retries=retries)


def poll(agent: Agent, modules: Sequence[Module] = DEFAULT_MODULES) -> DeviceState:
    """One real poll over UDP (client → scraper → collector)."""
    with AgentServer(agent) as server:
        (state,) = asyncio.run(poll_round(SnmpScraper(), [loopback(server.port)], modules, deadline=30))
    return state


def free_udp_port() -> int:
    """A loopback UDP port nothing listens on (bound by the OS, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def notes(state: DeviceState) -> str:
    return " | ".join(state.warnings)


# --------------------------------------------------------------------------- the scraper


def test_garbage_for_every_request_is_an_answer_with_the_fault_named() -> None:
    agent = Hostile(device_mib([1, 2]), fault="garbage")
    state = poll(agent)
    assert state.reachable and state.error is None, state.error
    (system,) = state.module_warnings["system"]
    assert "cannot read as SNMP" in system and "30 82 ff ff" in system, system
    assert all("not polled" in w for m, ws in state.module_warnings.items() if m != "system" for w in ws)
    assert agent.requests >= 1
    assert all(len(w) <= TEXT_LIMIT and w.isprintable() for w in state.warnings)


def test_a_truncated_walk_answer_keeps_the_device_and_its_uptime() -> None:
    state = poll(Hostile(device_mib([1, 2]), fault="truncated-walk"))
    assert state.reachable and state.error is None
    assert state.sys_uptime == 4242 and state.sys_name == "sw-test"
    interfaces = state.module_warnings["interfaces"]
    assert any("truncated variable-bindings" in w for w in interfaces), interfaces
    assert state.interfaces == []


def test_a_garbled_value_in_a_walk_names_its_oid_and_spares_the_other_columns() -> None:
    mib = device_mib([1, 2])
    bad = f"{mibs.IF_COLUMNS['ifDescr']}.2"
    mib.set(bad, raw(0x4A, b"\x01"))  # a tag no SNMP type has
    state = poll(Agent(mib))
    assert state.reachable and state.sys_uptime == 4242
    assert f"unknown value tag 0x4a at {bad}" in notes(state)
    assert [i.name for i in state.interfaces] == ["Gi0/1", "Gi0/2"], "ifName and the rest still read"


def test_an_agent_echoing_requests_is_answering_but_not_believed() -> None:
    state = poll(Hostile(device_mib([1, 2]), fault="echo"))
    assert state.reachable and state.error is None
    assert state.sys_uptime is None and state.interfaces == []
    assert "a GetRequest PDU where a Response was due" in notes(state)
    assert "a GetBulkRequest PDU where a Response was due" in notes(state)


def test_answers_for_other_oids_than_asked_are_refused_by_name() -> None:
    state = poll(Hostile(device_mib([1, 2]), fault="wrong-oids"), (SYSTEM,))
    assert state.reachable and state.sys_uptime is None and state.sys_name is None
    assert f"{mibs.SYS_UPTIME}: the agent answered {SYS_DESCR} in its place; refused" in notes(state)


def test_a_sensor_precision_out_of_range_reads_as_no_value_not_a_crash() -> None:
    """Integer32 precision -2^31 made 10.0 ** 2^31 overflow inside the collector."""
    mib = device_mib([1])
    mib.set(f"{entity.ENT_PHYSICAL_NAME}.5", octets(b"eth1 Rx Power"))
    mib.set(f"{entity.SENSOR_TYPE}.5", integer(entity.DBM))
    mib.set(f"{entity.SENSOR_SCALE}.5", integer(9))
    mib.set(f"{entity.SENSOR_PRECISION}.5", integer(-(2**31)))
    mib.set(f"{entity.SENSOR_VALUE}.5", integer(-73))
    state = poll(Agent(mib), (SYSTEM, OPTICS))
    assert state.reachable and [o.dbm for o in state.optics] == [None]


def test_a_port_nothing_listens_on_is_unreachable() -> None:
    state = poll_dead(free_udp_port())
    assert not state.reachable and state.error
    assert "refused" in state.error or "no answer" in state.error, state.error


def poll_dead(port: int) -> DeviceState:
    (state,) = asyncio.run(poll_round(SnmpScraper(), [loopback(port)], deadline=10))
    return state


# --------------------------------------------------------------------------- SNMPv3


def signed_scoped(msg_id: int, scoped: bytes) -> bytes:
    """An authenticated (authNoPriv-flagged) answer of user noc carrying ``scoped``."""
    message, offset = encode_message(msg_id, FLAG_AUTH, ENGINE, 1, 100, b"noc", 12, b"", scoped)
    return message[:offset] + usm.sign(usm.auth_protocol("sha"), USER_KEY, message) + message[offset + 12 :]


def v3_target(port: int) -> Target:
    return Target(
        "127.0.0.1", port, "3", user="noc", auth_key=SecretStr("auth-passphrase"),
        priv_key=SecretStr("priv-passphrase"), timeout=0.3, retries=0,
    )  # fmt: skip


@pytest.fixture
def v3_agent() -> Iterator[Callable[[Callable[[bytes], bytes | None]], FakeAgent]]:
    made: list[FakeAgent] = []

    def make(answer: Callable[[bytes], bytes | None]) -> FakeAgent:
        made.append(FakeAgent(answer))
        return made[-1]

    yield make
    for agent in made:
        agent.close()


def test_an_authentic_v3_answer_with_a_malformed_pdu_is_reachable(
    v3_agent: Callable[[Callable[[bytes], bytes | None]], FakeAgent],
) -> None:
    """Signed with the user's key (so truly the agent's), unencrypted, its PDU cut short: the
    BerError used to escape as a ValueError and the scraper called the device unreachable."""

    def answer(data: bytes) -> bytes:
        msg_id = decode_envelope(data).msg_id
        pdu = ber.tlv(ber.RESPONSE, ber.encode_int(msg_id) + b"\x02\x01")  # error-status cut short
        return signed_scoped(msg_id, encode_scoped_pdu(ENGINE, b"", pdu))

    agent = v3_agent(answer)
    scraper = SnmpScraper(engine="fast")
    result = asyncio.run(scraper.scrape(v3_target(agent.port), (SYSTEM,), deadline=10))
    assert result.reachable, result.error
    assert f"{mibs.SYS_UPTIME}: truncated PDU; refused" in result.warnings["system"], result.warnings


def test_a_v3_agent_answering_only_garbage_is_reachable(
    v3_agent: Callable[[Callable[[bytes], bytes | None]], FakeAgent],
) -> None:
    agent = v3_agent(lambda data: b"\x30\x03\x02\x01\x07 not v3")
    result = asyncio.run(SnmpScraper(engine="fast").scrape(v3_target(agent.port), (SYSTEM,), deadline=10))
    assert result.reachable, result.error
    assert "cannot read as SNMP" in " ".join(result.warnings["system"]), result.warnings
    assert "30 03 02 01 07" in " ".join(result.warnings["system"])


# --------------------------------------------------------------------------- the engine


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Routed:
    """The inventory's fake agents, except the devices routed to a real agent on loopback."""

    def __init__(self, fake: FakeScraper, real: dict[str, Target]) -> None:
        self.fake, self.real, self.snmp = fake, real, SnmpScraper()

    async def scrape(
        self, target: Target, modules: Sequence[Module] = DEFAULT_MODULES, deadline: float | None = None
    ) -> Scrape:
        routed = self.real.get(target.host)
        if routed is None:
            return await self.fake.scrape(target, modules, deadline)
        return await self.snmp.scrape(routed, modules, deadline)


def single_homed_cpes(net: Network, count: int) -> list[str]:
    """CPEs with one link and an agency behind them."""
    served = {a.cpe for a in net.agencies.values()}
    return [
        d.name
        for d in sorted(net.devices.values(), key=lambda d: d.name)
        if d.role == Role.CPE and len(net.links_by_device[d.name]) == 1 and d.name in served
    ][:count]


async def ticks_until(mon: Monitor, clock: Clock, done: Callable[[], bool], what: str) -> list[CycleReport]:
    """Tick (the clock a second on each time) until ``done``, in one event loop (polls run on
    across ticks); generous wall-clock bound."""
    reports = []
    deadline = time.monotonic() + 60
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        reports.append(await mon.tick())
        clock.now += 1
    return reports


def test_the_engine_keeps_a_garbling_device_up_and_a_dead_port_down(net: Network, tmp_path: Path) -> None:
    garbling, truncating, dead = single_homed_cpes(net, 3)
    fake, clock = FakeScraper(net), Clock(1_000_000.0)
    fake.kill(dead)  # its hub's port goes down too, as when a CPE dies
    bad = Hostile(device_mib([1, 2]), fault="garbage")
    cut = Hostile(device_mib([1, 2]), fault="truncated-walk")
    with AgentServer(bad) as bad_server, AgentServer(cut) as cut_server:
        real = {
            str(net.devices[garbling].mgmt_ip): loopback(bad_server.port),
            str(net.devices[truncating].mgmt_ip): loopback(cut_server.port),
            str(net.devices[dead].mgmt_ip): loopback(free_udp_port()),
        }
        store = open_store(str(tmp_path / "monitor.db"))
        mon = Monitor(net, store, Routed(fake, real), targets_from_inventory(net), clock=clock)

        def state(device: str) -> str | None:
            return mon.states.get(("device", device))

        asyncio.run(
            ticks_until(
                mon,
                clock,
                lambda: all(state(d) is not None for d in (garbling, truncating, dead)) and not mon.confirm,
                "the three devices' states",
            )
        )
    assert (state(garbling), state(truncating), state(dead)) == ("up", "up", "unreachable")
    last = {p.device: p for p in store.polls()}
    assert last[garbling].ok and "cannot read as SNMP" in (last[garbling].error or "")
    assert last[truncating].ok and "truncated variable-bindings" in (last[truncating].error or "")
    assert not last[dead].ok
    causes = {i.root_cause for i in store.incidents(open_only=True)}
    assert garbling not in causes and truncating not in causes
    assert dead in causes or any(dead in i.detail["devices_cut_off"] for i in store.incidents(open_only=True))
    endpoints = {e.name: e.state for e in store.current("endpoint")}
    for device, expected in ((garbling, "up"), (truncating, "up"), (dead, "down")):
        agencies = [f"agency:{a.id}" for a in net.agencies.values() if a.cpe == device]
        assert agencies and all(endpoints[a] == expected for a in agencies), (device, expected)
    store.close()


class Faulty(FakeScraper):
    """Fake agents whose scraper breaks (a bug of its own) on one device."""

    def __init__(self, net: Network, broken: str) -> None:
        super().__init__(net)
        self.broken = broken

    async def scrape(
        self, target: Target, modules: Sequence[Module] = DEFAULT_MODULES, deadline: float | None = None
    ) -> Scrape:
        if self.by_ip.get(target.host) == self.broken:
            raise RuntimeError("a bug\x00 in reading")
        return await super().scrape(target, modules, deadline)


def test_a_scraper_failing_on_one_device_never_stops_the_tick(net: Network, tmp_path: Path) -> None:
    (broken,) = single_homed_cpes(net, 1)
    store = open_store(str(tmp_path / "monitor.db"))
    mon = Monitor(net, store, Faulty(net, broken), targets_from_inventory(net), clock=Clock(1_000_000.0))
    report = asyncio.run(mon.tick())
    assert len(report.polled) == len(net.devices)
    assert not mon.last[broken].reachable
    assert mon.last[broken].error == "the poll failed inside govnet (RuntimeError: a bug\\x00 in reading)"
    store.close()


def test_a_scrape_the_collector_cannot_read_is_a_reachable_device_with_a_warning() -> None:
    """A recorded (or relayed, see scrapewire.py) scrape whose row index is a digit but not ASCII
    ('²'.isdigit() is True, int('²') fails): the collector's own fault, said, never raised."""
    column = mibs.IF_COLUMNS["ifDescr"]
    odd = Scrape("198.18.0.10", columns={column: [ber.VarBind(f"{column}.²", ber.OCTET_STRING, b"x")]})
    replay = FakeScraper(recorded={"198.18.0.10": odd})
    (state,) = asyncio.run(poll_round(replay, [Target("198.18.0.10", community=SecretStr("public"))]))
    assert state.reachable and state.interfaces == []
    (text,) = state.module_warnings["answer"]
    assert text.startswith("govnet could not read the answer (ValueError: invalid literal for int()")
