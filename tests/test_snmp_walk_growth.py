"""A walk asks for more varbinds per request while the agent answers everything it is asked for
(fewer round trips for long tables), and never again once the agent has shown a limit (a response
cut short, tooBig). Real client and scraper against the adversarial agent on loopback."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from govnet.errors import InventoryError
from govnet.inventory.loader import load_inventory
from govnet.inventory.snmp import snmp_target
from govnet.monitor.config import INTERFACES
from govnet.monitor.poll import poll_round
from govnet.monitor.scraper import SnmpScraper
from govnet.snmp import ber
from govnet.snmp.testing import Agent, AgentServer
from govnet.snmp.walk import MAX_GROWN_VARBINDS, MAX_REQUEST_VARBINDS
from tests.mini import mini_files, write_inventory
from tests.test_snmp_walk import device_mib, poll, target

INDEXES = list(range(1, 50))  # 49 rows, as a 48-port switch with its loopback


def bulk_sizes(agent: Agent) -> list[int]:
    """Varbinds each GETBULK the agent saw asked for (OIDs named × max-repetitions)."""
    return [oids * reps for tag, oids, reps in agent.seen if tag == ber.GET_BULK]


def test_an_agent_answering_in_full_gets_wider_requests_up_to_the_ceiling() -> None:
    agent = Agent(device_mib(INDEXES))
    state = poll(agent, (INTERFACES,))
    assert state.reachable and "interfaces" not in state.module_warnings, state.module_warnings
    assert [i.if_index for i in state.interfaces] == INDEXES
    assert all(i.name == f"Gi0/{i.if_index}" and i.in_octets == 2**40 + i.if_index for i in state.interfaces)
    sizes = bulk_sizes(agent)
    assert sizes[0] <= MAX_REQUEST_VARBINDS, "the first request is as narrow as ever"
    assert max(sizes) <= MAX_GROWN_VARBINDS
    assert sizes[1] == 2 * sizes[0], "a full answer doubles the next request"
    # 49 rows x 16 columns at 64 varbinds a request took 13 GETBULKs; growing takes 5
    assert len(sizes) <= 6, sizes


def test_an_agent_that_cuts_answers_short_is_not_asked_for_more_again() -> None:
    cap = 64
    agent = Agent(device_mib(range(1, 75)), max_varbinds=cap)
    state = poll(agent, (INTERFACES,))
    assert state.reachable and "interfaces" not in state.module_warnings, state.module_warnings
    assert [i.if_index for i in state.interfaces] == list(range(1, 75))
    sizes = bulk_sizes(agent)
    over = [n for n in sizes if n > cap]
    assert len(over) == 1, f"one wider request finds the cap, none after it: {sizes}"
    assert sizes.index(over[0]) == 1 and all(n <= cap for n in sizes[2:])


def test_an_agent_answering_toobig_is_not_asked_for_more_again() -> None:
    agent = Agent(device_mib(INDEXES), too_big_bytes=3000)
    state = poll(agent, (INTERFACES,))
    assert state.reachable and "interfaces" not in state.module_warnings, state.module_warnings
    assert [i.if_index for i in state.interfaces] == INDEXES
    sizes = bulk_sizes(agent)
    assert len(sizes) >= 2
    # the responses the agent refused are the widest the walk ever asked for
    refused_at = next(i for i, n in enumerate(sizes) if n == max(sizes))
    assert all(n < sizes[refused_at] for n in sizes[refused_at + 1 :]), sizes


def test_a_profile_capped_for_one_packet_answers_never_grows_past_its_cap() -> None:
    """``max_varbinds: 40`` (a path whose firewall drops IP fragments): every request stays at
    or under 40 varbinds, and the table is still read whole."""
    agent = Agent(device_mib(INDEXES))
    with AgentServer(agent) as server:
        capped = replace(target(server.port), max_varbinds=40)
        (state,) = asyncio.run(poll_round(SnmpScraper(), [capped], (INTERFACES,), deadline=60))
    assert state.reachable and "interfaces" not in state.module_warnings, state.module_warnings
    assert [i.if_index for i in state.interfaces] == INDEXES
    sizes = bulk_sizes(agent)
    assert max(sizes) <= 40 and len(sizes) >= len(INDEXES) * 16 // 40, sizes


def test_the_profiles_max_varbinds_reaches_the_target(tmp_path: Path, mini_secrets: dict[str, str]) -> None:
    files = mini_files()
    for profile in files["province.yaml"]["snmp_profiles"]:
        profile["max_varbinds"] = 40
    network = load_inventory(write_inventory(tmp_path / "inv", files))
    assert {snmp_target(network, name).max_varbinds for name in network.devices} == {40}
    files["province.yaml"]["snmp_profiles"][0]["max_varbinds"] = 4
    with pytest.raises(InventoryError, match="max_varbinds"):
        load_inventory(write_inventory(tmp_path / "bad", files))
