"""The scraper's test double ships in the package (govnet.monitor.fake), one for the interface:
agents for an inventory and recorded scrapes in one class; bench/ imports nothing from tests/."""

from __future__ import annotations

import ast
import asyncio
import importlib
import importlib.util
from pathlib import Path

import pytest
from pydantic import SecretStr

from govnet.inventory.network import Network
from govnet.monitor import scraper
from govnet.monitor.fake import FakeScraper
from govnet.monitor.scraper import Scrape, Scraper
from govnet.snmp import mibs
from govnet.snmp.client import Target

ROOT = Path(__file__).resolve().parents[1]


def _target(host: str) -> Target:
    return Target(host, community=SecretStr("public"))


def test_agents_answer_for_the_inventory_and_recorded_scrapes_override(net: Network) -> None:
    hub = net.devices["hub-dx"]
    core = net.devices["core-01"]
    recorded = Scrape(str(core.mgmt_ip), error="recorded: down")
    fake: Scraper = FakeScraper(net, recorded={str(core.mgmt_ip): recorded})
    assert isinstance(fake, FakeScraper)
    answer = asyncio.run(fake.scrape(_target(str(hub.mgmt_ip))))
    names = [vb.value for vb in answer.columns[mibs.IFX_COLUMNS["ifName"]]]
    assert answer.reachable and set(names) == {i.encode() for i in fake.ports["hub-dx"]}
    assert asyncio.run(fake.scrape(_target(str(core.mgmt_ip)))) is recorded
    stranger = asyncio.run(fake.scrape(_target("198.18.3.250")))
    assert not stranger.reachable
    assert fake.calls == [str(hub.mgmt_ip), str(core.mgmt_ip), "198.18.3.250"]
    assert fake.scraped_devices() == ["hub-dx", "core-01"]


def test_a_killed_device_is_silent_and_its_neighbours_ports_go_down(net: Network) -> None:
    fake = FakeScraper(net)
    touched = fake.kill("hub-dx")
    assert touched and all(dev != "hub-dx" for dev, _ in touched)
    assert not asyncio.run(fake.scrape(_target(str(net.devices["hub-dx"].mgmt_ip)))).reachable
    peer, ifname = touched[0]
    answer = asyncio.run(fake.scrape(_target(str(net.devices[peer].mgmt_ip))))
    status = {vb.oid: vb.value for vb in answer.columns[mibs.IF_COLUMNS["ifOperStatus"]]}
    assert status[f"{mibs.IF_COLUMNS['ifOperStatus']}.{fake.if_index(peer, ifname)}"] == 2
    fake.revive("hub-dx")
    assert asyncio.run(fake.scrape(_target(str(net.devices["hub-dx"].mgmt_ip)))).reachable


def test_a_replay_only_fake_refuses_to_kill() -> None:
    with pytest.raises(ValueError, match="no inventory"):
        FakeScraper(recorded={}).kill("hub-dx")


def test_the_scraper_module_has_no_double_of_its_own() -> None:
    assert not hasattr(scraper, "FakeScraper")
    assert not (ROOT / "tests" / "fakeagents.py").exists()


@pytest.mark.parametrize("path", sorted((ROOT / "bench").glob("*.py")), ids=lambda p: p.name)
def test_bench_imports_nothing_from_tests(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in modules if m == "tests" or m.startswith("tests.")], path.name


@pytest.mark.parametrize("path", sorted((ROOT / "bench").glob("*.py")), ids=lambda p: p.name)
def test_bench_imports_only_modules_that_exist(path: Path) -> None:
    """A benchmark's govnet imports resolve (one imported a double that was never shipped)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("govnet"):
            module = importlib.import_module(node.module or "")
            for alias in node.names:
                assert hasattr(module, alias.name) or importlib.util.find_spec(
                    f"{node.module}.{alias.name}"
                ), f"{path.name}:{node.lineno}: {node.module}.{alias.name}"
