"""The fast SNMPv3 path against a real net-snmp snmpd on loopback: the same varbinds as pysnmp for
every auth/priv pair snmpd has, clear errors for wrong keys, unknown users and security levels,
and recovery by itself from an agent restart (engine boots bumped, time reset)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from govnet.monitor.config import SYSTEM
from govnet.monitor.scraper import SnmpScraper
from govnet.snmp import ber, mibs
from govnet.snmp.client import PysnmpSession, Session, SnmpError, Target
from govnet.snmp.testing import LateProxy
from govnet.snmp.v3 import (
    SnmpDecryptionError,
    SnmpUnknownUserError,
    SnmpUnsupportedSecLevelError,
    SnmpWrongDigestError,
    V3Session,
)
from govnet.snmp.v3state import DEFAULT_CACHE, UsmCache
from tests.procs import stop_process

SNMPD = shutil.which("snmpd") or "/usr/sbin/snmpd"
pytestmark = pytest.mark.skipif(not Path(SNMPD).exists(), reason="no snmpd here (scripts/setup.sh)")

#: govnet's protocol names -> net-snmp's. snmpd 5.9.3 does every pair of these (`snmpget -h`).
AUTH = {"md5": "MD5", "sha": "SHA", "sha224": "SHA-224", "sha256": "SHA-256", "sha384": "SHA-384",
        "sha512": "SHA-512"}  # fmt: skip
PRIV = {"des": "DES", "aes": "AES", "aes192": "AES-192", "aes256": "AES-256", "aes192c": "AES-192-C",
        "aes256c": "AES-256-C"}  # fmt: skip
PAIRS = list(itertools.product(AUTH, PRIV))
COUNTERS = {ber.COUNTER32, ber.COUNTER64, ber.TIMETICKS}


def auth_password(auth: str) -> str:
    return f"auth-{auth}-passphrase"


def priv_password(priv: str) -> str:
    return f"priv-{priv}-passphrase"


def user_of(auth: str, priv: str | None) -> str:
    return f"u-{auth}-{priv or 'nopriv'}"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Agent:
    """An snmpd on 127.0.0.1 with one user per auth/priv pair (and authNoPriv users)."""

    port: int
    conf: Path
    state: Path
    proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        saved = self.state / "snmpd.conf"  # with -C snmpd reads only what -c names: its saved boots too
        files = f"{self.conf},{saved}" if saved.exists() else str(self.conf)
        argv = [SNMPD, "-f", "-Lo", "-C", "-c", files, f"--persistentDir={self.state}"]
        argv += ["-I", "-smux", f"udp:127.0.0.1:{self.port}"]
        env = {"MIBS": "", "PATH": "/usr/bin:/bin", "SNMP_PERSISTENT_DIR": str(self.state)}
        self.proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
        )
        probe = self.target("sha", "aes", timeout=0.3, retries=0)
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"snmpd exited with {self.proc.returncode}")
                try:
                    asyncio.run(get(V3Session(probe, UsmCache())))
                    return
                except SnmpError:  # not listening yet (refused), or no answer yet
                    time.sleep(0.1)
            raise AssertionError("snmpd did not answer on loopback within 30 s")
        except BaseException:
            self.stop()  # never leave an snmpd behind
            raise

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)  # by its PID: only the snmpd this test started
            self.proc = None

    def target(self, auth: str, priv: str | None, **kw: object) -> Target:
        return Target(
            "127.0.0.1",
            self.port,
            "3",
            user=str(kw.pop("user", user_of(auth, priv))),
            auth_protocol=auth,
            auth_key=SecretStr(str(kw.pop("auth_key", auth_password(auth)))),
            priv_protocol=priv or "aes",
            priv_key=SecretStr(str(kw.pop("priv_key", priv_password(priv)))) if priv else None,
            **kw,  # type: ignore[arg-type]
        )


def write_conf(path: Path) -> None:
    lines = []
    for auth, priv in PAIRS:
        user = user_of(auth, priv)
        secrets = f'"{auth_password(auth)}" {PRIV[priv]} "{priv_password(priv)}"'
        lines.append(f"createUser {user} {AUTH[auth]} {secrets}")
        lines.append(f"rouser {user} priv")
    for auth, name in AUTH.items():
        user = user_of(auth, None)
        lines.append(f'createUser {user} {name} "{auth_password(auth)}"')
        lines.append(f"rouser {user} auth")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def start_agent(tmp: Path) -> Agent:
    conf = tmp / "snmpd.conf"
    write_conf(conf)
    agent = Agent(free_udp_port(), conf, tmp / "state")
    agent.start()
    return agent


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    running = start_agent(tmp_path_factory.mktemp("snmpd-v3"))
    try:
        yield running
    finally:
        running.stop()


async def get(session: Session) -> list[ber.VarBind]:
    try:
        return await session.get([mibs.SYS_NAME, mibs.SYS_UPTIME])
    finally:
        await session.close()


#: Tables that hold still while the test runs (the host's interfaces come and go with other labs):
#: sysORTable (OIDs, strings, TimeTicks), usmUserTable (names, protocol OIDs, integers) and VACM's
#: securityToGroup names.
STABLE_COLUMNS = (
    "1.3.6.1.2.1.1.9.1.2",
    "1.3.6.1.2.1.1.9.1.3",
    "1.3.6.1.2.1.1.9.1.4",
    "1.3.6.1.6.3.15.1.2.2.1.3",
    "1.3.6.1.6.3.15.1.2.2.1.5",
    "1.3.6.1.6.3.15.1.2.2.1.8",
    "1.3.6.1.6.3.15.1.2.2.1.12",
    "1.3.6.1.6.3.16.1.2.1.3",
)


async def poll(session: Session) -> tuple[list[ber.VarBind], dict[str, list[ber.VarBind]]]:
    try:
        scalars = await session.get([mibs.SYS_NAME, "1.3.6.1.2.1.1.2.0", "1.3.6.1.6.3.10.2.1.1.0"])
        return scalars, await session.walk_columns(list(STABLE_COLUMNS))
    finally:
        await session.close()


def same(fast: list[ber.VarBind], ref: list[ber.VarBind]) -> None:
    assert [(vb.oid, vb.tag) for vb in fast] == [(vb.oid, vb.tag) for vb in ref]
    for a, b in zip(fast, ref, strict=True):
        if a.tag not in COUNTERS:  # counters move between the two polls
            assert a.value == b.value, a.oid


@pytest.mark.parametrize(("auth", "priv"), [*PAIRS, *((a, None) for a in AUTH)])
def test_fast_v3_answers_like_pysnmp(agent: Agent, auth: str, priv: str | None) -> None:
    target = agent.target(auth, priv, timeout=3.0, retries=1)
    fast_scalars, fast_columns = asyncio.run(poll(V3Session(target, UsmCache())))
    ref_scalars, ref_columns = asyncio.run(poll(PysnmpSession(target)))
    assert fast_scalars[0].value == ref_scalars[0].value and fast_scalars[0].value
    same(fast_scalars, ref_scalars)
    assert len(fast_columns["1.3.6.1.6.3.15.1.2.2.1.3"]) == len(PAIRS) + len(AUTH)
    assert all(fast_columns[c] for c in STABLE_COLUMNS)
    for column in STABLE_COLUMNS:
        same(fast_columns[column], ref_columns[column])


def test_wrong_auth_key_is_a_wrong_digest_error(agent: Agent) -> None:
    target = agent.target("sha256", "aes", auth_key="not-the-auth-key", timeout=2.0, retries=0)
    with pytest.raises(SnmpWrongDigestError, match=r"wrong auth key or protocol for user 'u-sha256-aes'"):
        asyncio.run(get(V3Session(target, UsmCache())))
    # the other auth protocol with the right password is just as wrong
    target = agent.target("sha", "aes", user=user_of("sha256", "aes"), auth_key=auth_password("sha256"))
    with pytest.raises(SnmpWrongDigestError, match="govnet used sha"):
        asyncio.run(get(V3Session(target, UsmCache())))


@pytest.mark.parametrize("priv", ["aes", "des", "aes256"])
def test_wrong_priv_key_is_a_decryption_error(agent: Agent, priv: str) -> None:
    target = agent.target("sha", priv, priv_key="not-the-priv-key", timeout=0.5, retries=0)
    with pytest.raises(SnmpDecryptionError, match="wrong priv key or protocol") as caught:
        asyncio.run(get(V3Session(target, UsmCache())))
    assert "not-the-priv-key" not in str(caught.value)


def test_unknown_user_and_unsupported_level(agent: Agent) -> None:
    target = agent.target("sha", "aes", user="nobody-here", timeout=2.0, retries=0)
    with pytest.raises(SnmpUnknownUserError, match="no SNMPv3 user 'nobody-here'"):
        asyncio.run(get(V3Session(target, UsmCache())))
    # authPriv asked of a user the agent knows without privacy
    target = agent.target("sha", "aes", user=user_of("sha", None), timeout=2.0, retries=0)
    with pytest.raises(SnmpUnsupportedSecLevelError, match="does not support authPriv"):
        asyncio.run(get(V3Session(target, UsmCache())))


def test_restarted_agent_is_polled_again_by_itself(tmp_path: Path) -> None:
    """snmpd stops and starts with the same saved state: boots + 1, time from 0. The poller's
    next scrape resynchronises on the notInTimeWindow report and succeeds, with no error shown."""
    agent = start_agent(tmp_path)
    target = agent.target("sha", "aes", timeout=1.0, retries=1)
    key = ("127.0.0.1", agent.port)
    try:

        async def scrape() -> tuple[bool, str | None]:
            result = await SnmpScraper().scrape(target, (SYSTEM,), deadline=5)
            return result.reachable, result.error

        assert asyncio.run(scrape()) == (True, None)
        before = DEFAULT_CACHE.clocks[key]
        boots = before.boots
        engine_id = before.engine_id
        agent.stop()
        agent.start()  # its probe uses a cache of its own: the poller's still has the old boots
        assert DEFAULT_CACHE.clocks[key].boots == boots
        assert asyncio.run(scrape()) == (True, None)
        after = DEFAULT_CACHE.clocks[key]
        assert after.engine_id == engine_id
        assert after.boots == boots + 1, "snmpd bumped its boots"
        assert asyncio.run(scrape()) == (True, None)
    finally:
        agent.stop()


def test_a_late_answer_to_the_first_attempt_counts_over_v3(agent: Agent) -> None:
    """A busy agent answers each request 1.5 s late and drops the retry sent at 1.0 s meanwhile:
    the answer carries the first attempt's msgID and must not be thrown away (#12 cause 7)."""
    target = agent.target("sha", "aes", timeout=1.0, retries=2)
    with LateProxy(("127.0.0.1", agent.port), late=1.5) as proxy:
        got = asyncio.run(get(V3Session(dataclasses.replace(target, port=proxy.port), UsmCache())))
    assert got[1].value, "sysUpTime answered"
    assert proxy.dropped >= 1, "the retries were sent, and dropped by the busy agent"
