"""A module whose tables an agent does not have (no LLDP agent, no sensors): an agent answers a
GETBULK past an empty column with whatever objects follow it, which the poller reads and throws
away. After one empty walk the next asks for one row first; rows appearing are all read at once."""

from __future__ import annotations

import asyncio

from govnet.monitor.config import INTERFACES, LLDP, SYSTEM
from govnet.monitor.scraper import Scrape, SnmpScraper
from govnet.snmp import ber, mibs
from govnet.snmp.testing import Agent, AgentServer
from tests.test_snmp_walk import device_mib, lldp_rows, target


def lldp_requests(agent: Agent) -> list[int]:
    """Max-repetitions of each GETBULK naming the LLDP module's columns (5 OIDs; the interface
    walk names 16, then fewer as columns end, never 5 here)."""
    return [reps for tag, oids, reps in agent.seen if tag == ber.GET_BULK and oids == len(LLDP.columns)]


def test_an_empty_table_is_probed_with_one_row_and_read_whole_once_it_has_rows() -> None:
    mib = device_mib(range(1, 9))  # IF-MIB rows, no LLDP-MIB
    agent = Agent(mib)
    scraper = SnmpScraper(engine="fast")
    full = 64 // len(LLDP.columns)  # what a walk asks of 5 columns: 64 varbinds per request
    with AgentServer(agent) as server:

        async def polls(n: int) -> list[Scrape]:
            return [
                await scraper.scrape(target(server.port), (SYSTEM, INTERFACES, LLDP), deadline=30)
                for _ in range(n)
            ]

        first, second = asyncio.run(polls(2))
        assert lldp_requests(agent) == [full, 1]  # empty once: the next walk asks for one row
        for scrape in (first, second):
            assert scrape.reachable and not scrape.warnings
            assert len(scrape.columns[mibs.IF_COLUMNS["ifOperStatus"]]) == 8
            assert not any(scrape.columns[c] for c in LLDP.columns)
        neighbours = {f"0.{port}.1": f"cpe-{port}".encode() for port in range(1, 8)}
        lldp_rows(mib, neighbours)
        agent.seen.clear()
        third, fourth = asyncio.run(polls(2))
    # The probe found rows: the walk went on at full width, and the next poll asks in full.
    assert lldp_requests(agent)[0] == 1 and full in lldp_requests(agent)[1:]
    for scrape in (third, fourth):
        names = [vb.value for vb in scrape.columns[mibs.LLDP_REM_SYS_NAME]]
        assert sorted(names) == sorted(neighbours.values()) and not scrape.warnings
    fourth_requests = lldp_requests(agent)[-1:]
    assert fourth_requests == [full]
