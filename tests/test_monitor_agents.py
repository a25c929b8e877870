"""Misbehaving agents on loopback — silent, slow past the deadline, answering garbage — polled in
one round with a real lab agent: the silent and the slow ones become unreachable devices, the one
answering garbage is reachable with the fault said, and the good one is polled. (Agents that
answer but misbehave are in test_snmp_walk.py and test_monitor_hostile_agents.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from govnet.monitor.config import SYSTEM
from govnet.monitor.poll import poll_round
from govnet.monitor.scraper import SnmpScraper
from govnet.snmp.ber import TIMETICKS
from govnet.snmp.client import Target
from govnet.snmp.mibs import SYS_UPTIME
from govnet.snmp.testing import Agent, AgentServer, Mib, unsigned
from tests.labkit import LabHandle
from tests.procs import stop_process


@pytest.fixture
def agents() -> Iterator[dict[str, AgentServer]]:
    """Three misbehaving agents on loopback (see :mod:`govnet.snmp.testing`)."""
    behaviours = {
        "silent": Agent(Mib(), silent=True),
        "slow": Agent(Mib({SYS_UPTIME: unsigned(TIMETICKS, 1)}), late=3.0),  # far too late
        "garbage": Agent(Mib(), garbage=True),
    }
    with contextlib.ExitStack() as stack:
        yield {mode: stack.enter_context(AgentServer(agent)) for mode, agent in behaviours.items()}


def target(port: int, community: str = "public") -> Target:
    return Target("127.0.0.1", port, community=SecretStr(community), timeout=0.4, retries=1)


def test_bad_agents_are_told_apart_and_never_stop_the_round(
    agents: dict[str, AgentServer], lab: LabHandle
) -> None:
    good = Target(lab.mgmt["core-01"], community=SecretStr(lab.community), timeout=1.0, retries=1)
    targets = [target(agents[m].port) for m in ("silent", "slow", "garbage")] + [good]
    start = time.monotonic()
    states = asyncio.run(poll_round(SnmpScraper(), targets, deadline=1.5))
    elapsed = time.monotonic() - start
    silent, slow, garbage, real = states
    for state in (silent, slow):
        assert not state.reachable and state.error
    # garbage is an answer: the agent is there (a device is down only when it is), the fault said
    assert garbage.reachable and "cannot read as SNMP" in " ".join(garbage.module_warnings["system"])
    assert all(agents[m].agent.requests >= 1 for m in agents), "every bad agent was asked"
    assert real.reachable and real.sys_uptime and real.interfaces
    # The round is bounded by the per-device deadline, not by the slow agent's 3 s.
    assert elapsed < 2.9, f"the round took {elapsed:.1f} s"


def test_a_v3_agent_that_lost_its_boots_counter_is_heard_again(tmp_path: Path) -> None:
    """A real snmpd on loopback that had booted 8 times comes back saying 1 (its saved state
    lost: an NVRAM reset, a replaced board keeping the engine id). To the poller's shared pysnmp
    engine every answer now looks like a replay; the scraper must recover (the failed host gets
    an engine of its own on its next poll)."""
    snmpd = shutil.which("snmpd") or "/usr/sbin/snmpd"
    if not Path(snmpd).exists():
        pytest.skip("no snmpd here (scripts/setup.sh installs it)")
    port = free_udp_port()
    conf, saved = tmp_path / "snmpd.conf", tmp_path / "saved.conf"
    conf.write_text(
        "engineID govnet-boots-test\nrouser noc priv\n"
        'createUser noc SHA "auth-key-123456" AES "priv-key-123456"\n',
        encoding="utf-8",
    )
    # snmpd's saved state: 7 boots of the engine "govnet-boots-test" (text engine id, format 4)
    engine_id = "80001f8804" + b"govnet-boots-test".hex()
    saved.write_text(f"engineBoots 7\noldEngineID 0x{engine_id}\n", encoding="utf-8")
    argv = [snmpd, "-f", "-Lo", "-C", "-I", "-smux", f"udp:127.0.0.1:{port}", "-c"]
    env = {"SNMP_PERSISTENT_DIR": str(tmp_path / "state"), "MIBS": "", "PATH": "/usr/bin:/bin"}
    v3 = Target(
        "127.0.0.1",
        port,
        "3",
        user="noc",
        auth_key=SecretStr("auth-key-123456"),
        priv_key=SecretStr("priv-key-123456"),
        timeout=0.5,
        retries=1,
    )

    async def polls(scraper: SnmpScraper, count: int) -> list[bool]:
        out = []
        for _ in range(count):
            out.append((await scraper.scrape(v3, (SYSTEM,), deadline=4)).reachable)
        return out

    async def scenario() -> tuple[list[bool], list[bool]]:
        scraper = SnmpScraper()
        try:
            proc = await wait_agent([*argv, f"{conf},{saved}"], env, v3)
            try:
                before = await polls(scraper, 2)
            finally:
                stop_process(proc)
            proc = await wait_agent([*argv, str(conf)], env, v3)
            try:
                after = await polls(scraper, 3)
            finally:
                stop_process(proc)
            return before, after
        finally:
            scraper.close()

    before, after = asyncio.run(scenario())
    assert before == [True, True]
    assert after[1:] == [True, True], f"never heard again after its restart: {after}"


async def wait_agent(argv: list[str], env: dict[str, str], target: Target) -> subprocess.Popen[str]:
    """Start snmpd and wait until a fresh engine gets an answer (the test's own is left alone)."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    probe = SnmpScraper()
    try:
        for _ in range(50):
            if (await probe.scrape(target, (SYSTEM,), deadline=1)).reachable:
                return proc
            probe.close()
            probe = SnmpScraper()
            await asyncio.sleep(0.1)
    finally:
        probe.close()
    stop_process(proc)
    raise AssertionError("snmpd did not answer on loopback")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
