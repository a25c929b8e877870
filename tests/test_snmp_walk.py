"""The poller against agents that behave like real ones do (issue #12): an adversarial v2c agent
on loopback (:mod:`govnet.snmp.testing`), polled through the real client, scraper, collector and
the ``poll-once`` CLI. Reachable means "the agent answered"; what a module lost is a warning."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from govnet.cli import app
from govnet.monitor.collector import DeviceState
from govnet.monitor.config import DEFAULT_MODULES, INTERFACES, LLDP, SYSTEM, Module
from govnet.monitor.poll import poll_round
from govnet.monitor.scraper import SnmpScraper
from govnet.snmp import ber, mibs
from govnet.snmp.ber import VarBind
from govnet.snmp.client import SnmpError, SnmpStatusError, SnmpTimeoutError, Target, V2cSession
from govnet.snmp.entity import ENT_PHYSICAL_NAME
from govnet.snmp.testing import Agent, AgentServer, Mib, integer, octets, raw, unsigned
from govnet.snmp.walk import MAX_REQUEST_OIDS, Bulk, ColumnWalk, walk_columns
from tests.procs import stop_process

#: ifIndex values of real devices, across every sub-identifier length boundary.
BOUNDARY_INDEXES = [1, 127, 128, 16383, 16384, 16385, 2**21 - 1, 2**21, 5_000_000, 2**28 - 1, 2**28]
BOUNDARY_INDEXES += [300_000_000, 369_098_762, 2**32 - 1]


def device_mib(indexes: Sequence[int], *, uptime: bool = True, engine_id: bool = True) -> Mib:
    """A switch: system scalars, IF-MIB and ifXTable rows for ``indexes`` (odd ones up)."""
    mib = Mib()
    if uptime:
        mib.set(mibs.SYS_UPTIME, unsigned(ber.TIMETICKS, 4242))
    mib.set(mibs.SYS_NAME, octets(b"sw-test"))
    mib.set(mibs.IF_NUMBER, integer(len(indexes)))
    if engine_id:
        mib.set(mibs.SNMP_ENGINE_ID, octets(bytes.fromhex("80001f8803aabbccddeeff")))
    for i in indexes:
        for name, oid in mibs.IF_COLUMNS.items():
            value = {
                "ifDescr": octets(f"port{i}".encode()),
                "ifOperStatus": integer(1 if i % 2 else 2),
                "ifAdminStatus": integer(1),
            }.get(name, unsigned(ber.COUNTER32, i % 1000))
            mib.set(f"{oid}.{i}", value)
        mib.set(f"{mibs.IFX_COLUMNS['ifName']}.{i}", octets(f"Gi0/{i}".encode()))
        mib.set(f"{mibs.IFX_COLUMNS['ifAlias']}.{i}", octets(b"uplink"))
        mib.set(f"{mibs.IFX_COLUMNS['ifHighSpeed']}.{i}", unsigned(ber.GAUGE32, 1000))
        for hc in ("ifHCInOctets", "ifHCOutOctets"):
            mib.set(f"{mibs.IFX_COLUMNS[hc]}.{i}", unsigned(ber.COUNTER64, 2**40 + i))
    # something after the tables, so walks end on a foreign OID rather than endOfMibView
    mib.set("1.3.6.1.6.3.1.1.6.1.0", integer(7))
    return mib


def lldp_rows(mib: Mib, rows: dict[str, bytes]) -> None:
    """Remote systems by ``timeMark.localPort.remIndex``, with local port names."""
    for index, name in rows.items():
        local = index.split(".")[1]
        mib.set(f"{mibs.LLDP_REM_SYS_NAME}.{index}", octets(name))
        mib.set(f"{mibs.LLDP_REM_PORT_ID}.{index}", octets(b"eth9"))
        mib.set(f"{mibs.LLDP_LOC_PORT_ID}.{local}", octets(f"eth{local}".encode()))


def target(port: int, *, timeout: float = 1.0, retries: int = 1) -> Target:
    return Target("127.0.0.1", port, community=SecretStr("public"), timeout=timeout, retries=retries)


def poll(agent: Agent, modules: Sequence[Module] = DEFAULT_MODULES, **kw: float) -> DeviceState:
    """One real poll of the agent (client → scraper → collector), generous deadline."""
    with AgentServer(agent) as server:
        (state,) = asyncio.run(poll_round(SnmpScraper(), [target(server.port, **kw)], modules, deadline=60))  # type: ignore[arg-type]
    return state


def warnings_of(state: DeviceState, module: str) -> str:
    return " | ".join(state.module_warnings.get(module, []))


# --------------------------------------------------------------------------- 1: tuple order


def test_ifindex_across_subidentifier_boundaries_polls_every_interface() -> None:
    """16383 is ff 7f and 16384 is 81 80 00: as bytes they sort backwards, as OIDs they do not."""
    state = poll(Agent(device_mib(BOUNDARY_INDEXES)))
    assert state.reachable, state.error
    assert [i.if_index for i in state.interfaces] == BOUNDARY_INDEXES
    assert {i.name for i in state.interfaces} == {f"Gi0/{i}" for i in BOUNDARY_INDEXES}
    assert state.module_warnings == {}, state.warnings


def test_lldp_time_marks_across_boundaries_keep_every_neighbour() -> None:
    mib = device_mib([1, 2])
    lldp_rows(mib, {"16383.1.1": b"hub-a", "16384.2.1": b"hub-b", "268435456.1.2": b"hub-c"})
    state = poll(Agent(mib), (SYSTEM, LLDP))
    assert sorted(n.remote_system for n in state.lldp) == ["hub-a", "hub-b", "hub-c"]
    assert state.module_warnings == {}


# --------------------------------------------------------------------------- 2: unsorted column


def test_an_unsorted_column_ends_that_column_with_a_warning_not_the_device() -> None:
    """A wireless controller's ENTITY-MIB that goes backwards: snmpbulkwalk stops that column
    with "OID not increasing"; so does govnet, and the device stays reachable and complete."""
    mib = device_mib(range(1, 6))
    names = {i: octets(f"module {i}".encode()) for i in (1, 2, 5, 3, 4)}
    mib.column(ENT_PHYSICAL_NAME, names)
    mib.order([f"{ENT_PHYSICAL_NAME}.{i}" for i in (1, 2, 5, 3, 4)])
    state = poll(Agent(mib))
    assert state.reachable and state.error is None
    assert len(state.interfaces) == 5
    text = warnings_of(state, "optics")
    assert "OID not increasing" in text and f"{ENT_PHYSICAL_NAME}.3 after {ENT_PHYSICAL_NAME}.5" in text
    assert "3 row(s) kept" in text
    assert "interfaces" not in state.module_warnings


def test_an_lldp_table_that_loops_after_a_flap_keeps_the_hub_reachable() -> None:
    mib = device_mib([1, 2, 3])
    lldp_rows(mib, {"100.1.1": b"cpe-a", "100.2.1": b"cpe-b", "100.3.1": b"cpe-c"})
    # lldpd after a flap: the entry for port 3 comes before port 2 in its walk
    mib.order([f"{mibs.LLDP_REM_SYS_NAME}.100.{p}.1" for p in (1, 3, 2)])
    state = poll(Agent(mib))
    assert state.reachable
    assert len(state.interfaces) == 3
    assert "OID not increasing" in warnings_of(state, "lldp")


# --------------------------------------------------------------------------- 3: no sysUpTime


def test_an_agent_without_sysuptime_is_reachable_with_a_warning() -> None:
    state = poll(Agent(device_mib([1, 2], uptime=False)))
    assert state.reachable and state.error is None
    assert state.sys_uptime is None and state.sys_name == "sw-test"
    assert len(state.interfaces) == 2
    assert "without sysUpTime" in warnings_of(state, "system")


# --------------------------------------------------------------------------- 4: varbind caps


@pytest.mark.parametrize("cap", [10, 34, 64])
def test_an_agent_capping_varbinds_per_response_gives_every_row(cap: int) -> None:
    indexes = list(range(1, 75))
    agent = Agent(device_mib(indexes), max_varbinds=cap)
    state = poll(agent)
    assert state.reachable
    assert [i.if_index for i in state.interfaces] == indexes
    assert all(i.name == f"Gi0/{i.if_index}" and i.in_octets == 2**40 + i.if_index for i in state.interfaces)
    assert all(i.out_errors is not None and i.alias == "uplink" for i in state.interfaces)
    assert state.module_warnings == {}


# --------------------------------------------------------------------------- 5: tooBig


def test_toobig_backs_off_instead_of_failing_the_device() -> None:
    agent = Agent(device_mib(range(1, 31)), too_big_bytes=600)
    state = poll(agent)
    assert state.reachable
    assert len(state.interfaces) == 30 and all(i.name for i in state.interfaces)
    assert state.module_warnings == {}


def test_toobig_in_a_get_splits_it() -> None:
    mib = device_mib([1, 2])
    mib.set(mibs.SYS_NAME, octets(b"s" * 300))
    state = poll(Agent(mib, too_big_bytes=380))
    assert state.reachable and state.sys_uptime == 4242 and state.sys_name == "s" * 300
    assert state.engine_id is not None and state.if_number == 2
    assert "system" not in state.module_warnings, state.warnings


def test_toobig_even_for_one_varbind_is_a_module_warning() -> None:
    mib = device_mib([1, 2])
    mib.set(f"{mibs.LLDP_REM_SYS_NAME}.1.1.1", octets(b"x" * 900))
    state = poll(Agent(mib, too_big_bytes=700))
    assert state.reachable and len(state.interfaces) == 2
    assert "tooBig even for one varbind" in warnings_of(state, "lldp")


# --------------------------------------------------------------------------- 6: noSuchName


def test_nosuchname_in_a_get_drops_that_varbind_and_asks_again() -> None:
    agent = Agent(device_mib([1, 2], engine_id=False), v1_errors_in_get=True)
    state = poll(agent)
    assert state.reachable and state.sys_uptime == 4242 and state.sys_name == "sw-test"
    assert state.engine_id is None and len(state.interfaces) == 2
    assert f"{mibs.SNMP_ENGINE_ID}: the agent answered noSuchName" in warnings_of(state, "system")


# --------------------------------------------------------------------------- 7: late answers


def test_a_late_answer_to_the_first_attempt_counts_after_a_retry() -> None:
    """The agent answers each request once, 1.5 s late, ignoring the retry sent at 1.0 s: the
    answer carries the first attempt's request-id and must not be thrown away. (Thrown away, the
    third attempt at 2.0 s is answered at 3.5 s, after the client gave up at 3.0 s.)"""
    agent = Agent(device_mib([1]), late=1.5)
    state = poll(agent, (SYSTEM,), timeout=1.0, retries=2)
    assert state.reachable, state.error
    assert state.sys_uptime == 4242
    assert agent.dropped_retries >= 1, "the retry was sent, and ignored by the busy agent"


def test_a_silent_agent_still_times_out_after_every_attempt() -> None:
    agent = Agent(device_mib([1]), silent=True)

    async def go(port: int) -> None:
        session = V2cSession(target(port, timeout=0.3, retries=2))
        try:
            with pytest.raises(SnmpTimeoutError, match=r"× 3"):
                await session.get([mibs.SYS_UPTIME])
        finally:
            await session.close()

    with AgentServer(agent) as server:
        asyncio.run(go(server.port))
        deadline = time.monotonic() + 10  # the agent's thread may not have read the last one yet
        while agent.requests < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert agent.requests == 3


# --------------------------------------------------------------------------- 8: request width


def test_requests_are_split_per_module_and_capped() -> None:
    """An agent that refuses requests naming more than 20 OIDs: govnet never sends one."""
    agent = Agent(device_mib(range(1, 11)), max_request_oids=20)
    state = poll(agent)
    assert state.reachable and len(state.interfaces) == 10 and state.module_warnings == {}
    assert 0 < agent.widest <= MAX_REQUEST_OIDS


def test_a_walk_of_seventy_columns_never_names_more_than_the_cap() -> None:
    mib = Mib()
    columns = [f"1.3.6.1.4.1.99999.1.1.{c}" for c in range(1, 71)]
    for column in columns:
        mib.column(column, {1: integer(1), 2: integer(2)})

    async def go(port: int) -> ColumnWalk:
        session = V2cSession(target(port))
        try:
            return await session.walk_columns(columns)
        finally:
            await session.close()

    agent = Agent(mib, max_request_oids=64)
    with AgentServer(agent) as server:
        walked = asyncio.run(go(server.port))
    assert all(len(walked[c]) == 2 for c in columns) and walked.warnings == []
    assert agent.widest <= MAX_REQUEST_OIDS


# --------------------------------------------------------------------------- 9: malformed answers

SPEED = mibs.IF_COLUMNS["ifSpeed"]
HC_IN = mibs.IFX_COLUMNS["ifHCInOctets"]
HIGH_SPEED = mibs.IFX_COLUMNS["ifHighSpeed"]


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        (HC_IN, raw(ber.COUNTER64, b"\x01" * 12), "Counter64 at"),
        (mibs.IF_COLUMNS["ifOperStatus"], raw(ber.INTEGER, b"\x01" * 20), "Integer32 at"),
        (mibs.IF_COLUMNS["ifInOctets"], raw(ber.COUNTER32, b"\x01" * 8), "Counter32 at"),
    ],
)
def test_oversized_values_are_refused_and_named(column: str, value: tuple[int, bytes], says: str) -> None:
    mib = device_mib([1, 2, 3])
    mib.set(f"{column}.2", value)
    state = poll(Agent(mib))
    assert state.reachable
    text = warnings_of(state, "interfaces")
    assert f"{says} {column}.2 is" in text and "oversized" in text, state.warnings
    # the row before is kept, the bad value is not guessed, the other columns are complete
    assert len(state.interfaces) == 3 and all(i.name for i in state.interfaces)


def test_a_malformed_scalar_is_named_not_reported_as_no_answer() -> None:
    mib = device_mib([1])
    mib.set(mibs.SYS_NAME, raw(ber.IP_ADDRESS, b"\x01\x02"))
    state = poll(Agent(mib))
    assert state.reachable and state.sys_uptime == 4242
    assert f"IpAddress at {mibs.SYS_NAME} is 2 bytes long" in warnings_of(state, "system")


def test_padded_oids_are_refused_and_named() -> None:
    mib = device_mib([1, 2])
    lldp_rows(mib, {"100.1.1": b"hub-a", "100.2.1": b"hub-b"})
    state = poll(Agent(mib, padded=(mibs.LLDP_REM_SYS_NAME,)))
    assert state.reachable and len(state.interfaces) == 2
    text = warnings_of(state, "lldp")
    assert "padded with 0x80" in text and f"{mibs.LLDP_REM_SYS_NAME}.100.1.1" in text
    assert state.lldp == []  # refused, not read as if it were the canonical OID


# --------------------------------------------------------------------------- partial answers


def test_endofmibview_mixed_into_a_bulk_answer_ends_only_its_column() -> None:
    mib = Mib()
    first, last = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.9.9.9.1"
    mib.column(first, {i: octets(b"x") for i in range(1, 9)})
    mib.column(last, {1: integer(1), 2: integer(2)})  # the last objects of the agent's MIB

    async def go(port: int) -> ColumnWalk:
        session = V2cSession(target(port))
        try:
            return await session.walk_columns([last, first])
        finally:
            await session.close()

    with AgentServer(Agent(mib)) as server:
        walked = asyncio.run(go(server.port))
    assert [len(walked[last]), len(walked[first])] == [2, 8] and walked.warnings == []


def test_short_rows_still_give_every_interface() -> None:
    mib = device_mib([1, 2, 3, 4])
    for column in (mibs.IFX_COLUMNS["ifName"], mibs.IFX_COLUMNS["ifHCInOctets"], SPEED, HIGH_SPEED):
        del mib.objects[tuple(int(a) for a in f"{column}.3".split("."))]
    state = poll(Agent(mib, max_varbinds=7))
    assert [i.if_index for i in state.interfaces] == [1, 2, 3, 4]
    third = state.interfaces[2]
    assert third.name == "port3" and third.in_octets == 3 and third.speed_mbps is None
    assert state.module_warnings == {}


def test_an_agent_that_stalls_half_way_keeps_what_it_said_with_warnings() -> None:
    """Two answers (the GET and one bulk of 4 rows), then silence: reachable, partial, said so."""
    state = poll(Agent(device_mib(range(1, 11)), stop_after=2), timeout=1.0, retries=0)
    assert state.reachable and state.error is None
    assert [i.if_index for i in state.interfaces] == [1, 2, 3, 4]
    assert "no answer after 1 answer(s)" in warnings_of(state, "interfaces")
    assert all(m in state.module_warnings for m in ("lldp", "optics", "wifi"))


def test_a_dead_agent_is_unreachable() -> None:
    state = poll(Agent(device_mib([1]), silent=True), timeout=0.3, retries=0)
    assert not state.reachable and state.error and "no answer" in state.error


# --------------------------------------------------------------------------- CLI


def test_poll_once_json_shows_reachable_and_module_warnings() -> None:
    mib = device_mib(BOUNDARY_INDEXES[:6])
    mib.column(ENT_PHYSICAL_NAME, {2: octets(b"b"), 1: octets(b"a")})
    mib.order([f"{ENT_PHYSICAL_NAME}.2", f"{ENT_PHYSICAL_NAME}.1"])
    with AgentServer(Agent(mib, max_varbinds=10)) as server:
        result = CliRunner().invoke(
            app,
            [
                "monitor",
                "poll-once",
                "--target",
                f"127.0.0.1:{server.port}",
                "--community",
                "public",
                "--json",
            ],
        )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["reachable"] is True and out["error"] is None
    assert [i["ifIndex"] for i in out["interfaces"]] == BOUNDARY_INDEXES[:6]
    assert any("OID not increasing" in w for w in out["module_warnings"]["optics"])
    assert any(w.startswith("optics: ") for w in out["warnings"])


def test_poll_once_modules_are_walked_one_module_per_request() -> None:
    agent = Agent(device_mib([1, 2]))
    poll(agent, (SYSTEM, INTERFACES, LLDP))
    assert agent.widest == len(INTERFACES.columns) <= MAX_REQUEST_OIDS


# --------------------------------------------------------------------------- scripted exchanges

COL_A, COL_B = "1.3.6.1.4.1.99999.1.1.1", "1.3.6.1.4.1.99999.1.1.2"


def scripted(fail: Callable[[list[str]], SnmpStatusError | None]) -> Bulk:
    """A GETBULK over an in-process agent (no socket) that fails when ``fail`` says so."""
    mib = Mib()
    for column in (COL_A, COL_B):
        mib.column(column, {i: integer(i) for i in range(1, 8)})
    agent = Agent(mib)

    async def bulk(oids: list[str], reps: int) -> list[VarBind]:
        error = fail(oids)
        if error is not None:
            raise error
        answer = agent.answer(ber.encode_request(1, b"public", ber.GET_BULK, 1, oids, 0, reps))
        assert answer is not None
        return ber.decode_message(answer)[2].varbinds

    return bulk


def test_an_error_status_naming_one_column_ends_only_that_column() -> None:
    def fail(oids: list[str]) -> SnmpStatusError | None:
        at = next((i for i, o in enumerate(oids) if o.startswith(COL_B)), None)
        return SnmpStatusError("h", 5, at + 1) if at is not None else None

    walked = asyncio.run(walk_columns(scripted(fail), [COL_A, COL_B], 25, "h"))
    assert len(walked[COL_A]) == 7 and walked[COL_B] == []
    assert walked.warnings == [f"{COL_B}: the agent answered genErr; 0 row(s) kept"]


def test_an_error_status_naming_no_column_asks_one_column_at_a_time() -> None:
    def fail(oids: list[str]) -> SnmpStatusError | None:
        return SnmpStatusError("h", 5, 0) if len(oids) > 1 else None

    walked = asyncio.run(walk_columns(scripted(fail), [COL_A, COL_B], 25, "h"))
    assert [len(walked[COL_A]), len(walked[COL_B])] == [7, 7] and walked.warnings == []


# --------------------------------------------------------------------------- a real net-snmp agent

HR_SW_RUN_INDEX = "1.3.6.1.2.1.25.4.2.1.1"  # hrSWRunIndex: one row per process, indexed by PID


def test_a_real_snmpd_process_table_is_walked_like_snmpbulkwalk(tmp_path: Path) -> None:
    """net-snmp's hrSWRunTable is indexed by PID, and PIDs cross 16384 (``ff 7f`` → ``81 80 00``)
    on any machine that has run a while: walked by byte order, it was "out of order"."""
    snmpd = shutil.which("snmpd") or "/usr/sbin/snmpd"
    if not Path(snmpd).exists() or not shutil.which("snmpbulkwalk"):
        pytest.skip("no snmpd/snmpbulkwalk here (scripts/setup.sh installs them)")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    conf = tmp_path / "snmpd.conf"
    conf.write_text("rocommunity public 127.0.0.1\n", encoding="utf-8")
    env = {"SNMP_PERSISTENT_DIR": str(tmp_path / "state"), "MIBS": "", "PATH": "/usr/bin:/bin"}
    argv = [snmpd, "-f", "-Lo", "-C", "-I", "-smux", "-c", str(conf), f"udp:127.0.0.1:{port}"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)

    async def walk() -> ColumnWalk:
        session = V2cSession(target(port, timeout=2.0, retries=2))
        try:
            for _ in range(100):  # until snmpd listens
                try:
                    await session.get([mibs.SYS_UPTIME])
                    break
                except SnmpError:  # refused (ICMP port unreachable) or silent: not up yet
                    await asyncio.sleep(0.1)
            return await session.walk_columns([HR_SW_RUN_INDEX])
        finally:
            await session.close()

    try:
        walked = asyncio.run(walk())
        listed = subprocess.run(
            ["snmpbulkwalk", "-v2c", "-c", "public", "-Cr25", "-On", f"127.0.0.1:{port}", HR_SW_RUN_INDEX],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    finally:
        stop_process(proc)
    pids = [int(vb.oid.rsplit(".", 1)[1]) for vb in walked[HR_SW_RUN_INDEX]]
    theirs = {int(line.split()[0].rsplit(".", 1)[1]) for line in listed.splitlines() if line.strip()}
    assert walked.warnings == [] and pids == sorted(pids) and len(pids) > 10
    # processes come and go between the two walks; nearly all are the same
    assert len(set(pids) & theirs) >= 0.9 * len(theirs), (len(pids), len(theirs))
