"""Misbehaving agents on loopback — silent, slow past the deadline, answering garbage — polled in
one round with a real lab agent: each bad one becomes an unreachable device, the good one is polled."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from govnet.snmp.client import Target
from monitor.poll import poll_round
from monitor.scraper import SnmpScraper
from tests.labkit import LabHandle


class Agent:
    """A UDP socket on 127.0.0.1 that misbehaves in one way."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.requests = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stopped.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            self.requests += 1
            if self.mode == "garbage":
                self.sock.sendto(b"\x30\x82\xff\xff not BER at all" + data[:5], peer)
            elif self.mode == "slow":
                threading.Timer(3.0, self._late_reply, (data, peer)).start()

    def _late_reply(self, data: bytes, peer: tuple[str, int]) -> None:
        if not self.stopped.is_set():
            self.sock.sendto(data, peer)  # an echo, and far too late anyway

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def agents() -> Iterator[dict[str, Agent]]:
    made = {mode: Agent(mode) for mode in ("silent", "slow", "garbage")}
    yield made
    for agent in made.values():
        agent.close()


def target(port: int, community: str = "public") -> Target:
    return Target("127.0.0.1", port, community=SecretStr(community), timeout=0.4, retries=1)


def test_bad_agents_become_unreachable_and_never_stop_the_round(
    agents: dict[str, Agent], lab: LabHandle
) -> None:
    good = Target(lab.mgmt["core-01"], community=SecretStr(lab.community), timeout=1.0, retries=1)
    targets = [target(agents[m].port) for m in ("silent", "slow", "garbage")] + [good]
    start = time.monotonic()
    states = asyncio.run(poll_round(SnmpScraper(), targets, deadline=1.5))
    elapsed = time.monotonic() - start
    silent, slow, garbage, real = states
    for state in (silent, slow, garbage):
        assert not state.reachable and state.error
    assert all(agents[m].requests >= 1 for m in agents), "every bad agent was asked"
    assert real.reachable and real.sys_uptime and real.interfaces
    # The round is bounded by the per-device deadline, not by the slow agent's 3 s.
    assert elapsed < 2.9, f"the round took {elapsed:.1f} s"
