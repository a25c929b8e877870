"""The FRR NAPALM driver against the lab: found by napalm itself, getters pass NAPALM's own model
checks, and replace / compare / commit-confirm / auto-revert / rollback work on a real FRR."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from napalm import get_network_driver
from napalm.base import models
from napalm.base.exceptions import CommitError
from napalm.base.test.helpers import test_model as model_ok

from govnet.lab.faults import fail, restore
from napalm_frr.driver import FrrDriver
from tests.labkit import LabHandle

pytestmark = pytest.mark.lab


def test_napalm_finds_the_driver() -> None:
    assert get_network_driver("frr") is FrrDriver


@pytest.fixture
def hub(lab: LabHandle) -> Iterator[FrrDriver]:
    cred = lab.network.ssh_credential("hub-dx")
    driver = get_network_driver("frr")(lab.mgmt["hub-dx"], cred.username, lab.secret("lab-ssh", "password"))
    driver.open()
    try:
        yield driver
    finally:
        if driver.has_pending_commit():
            driver.confirm_commit()
        driver.close()


def test_getters_pass_napalm_model_checks(hub: FrrDriver, lab: LabHandle) -> None:
    facts = hub.get_facts()
    assert (
        model_ok(models.FactsDict, facts) and facts["hostname"] == "hub-dx" and facts["vendor"] == "FRRouting"
    )
    interfaces = hub.get_interfaces()
    assert interfaces and all(model_ok(models.InterfaceDict, v) for v in interfaces.values())
    ips = hub.get_interfaces_ip()
    assert all(
        model_ok(models.InterfacesIPDictEntry, e)
        for fam in ips.values()
        for a in fam.values()
        for e in a.values()
    )
    counters = hub.get_interfaces_counters()
    assert all(model_ok(models.InterfaceCounterDict, c) for c in counters.values())
    lldp = hub.get_lldp_neighbors()
    assert all(model_ok(models.LLDPNeighborDict, n) for ns in lldp.values() for n in ns)
    expected = {lk.b_device for lk in lab.network.links if lk.a_device == "hub-dx"}
    expected |= {lk.a_device for lk in lab.network.links if lk.b_device == "hub-dx"}
    deadline = time.monotonic() + 30  # LLDP speaks every 5 s: right after lab up, give it time
    while {n["hostname"] for ns in lldp.values() for n in ns} != expected and time.monotonic() < deadline:
        time.sleep(1)
        lldp = hub.get_lldp_neighbors()
    assert {n["hostname"] for ns in lldp.values() for n in ns} == expected
    detail = hub.get_lldp_neighbors_detail()
    assert all(model_ok(models.LLDPNeighborDetailDict, n) for ns in detail.values() for n in ns)
    bgp = hub.get_bgp_neighbors()
    peers = bgp["global"]["peers"]
    assert peers and all(model_ok(models.PeerDict, p) for p in peers.values())
    assert any(p["is_up"] for p in peers.values())
    config = hub.get_config()
    assert model_ok(models.ConfigDict, config) and "hostname hub-dx" in config["running"]


def test_replace_compare_commit_confirm_and_rollback(hub: FrrDriver) -> None:
    running = hub.get_config()["running"]
    hub.load_replace_candidate(config=running.replace("ip ospf hello-interval 1", "ip ospf hello-interval 2"))
    diff = hub.compare_config()
    assert "+ ip ospf hello-interval 2" in diff and "- ip ospf hello-interval 1" in diff
    hub.commit_config(revert_in=60)
    assert hub.has_pending_commit()
    with pytest.raises(CommitError, match="waiting for confirmation"):
        hub.load_replace_candidate(config=running)
        hub.commit_config()
    hub.confirm_commit()
    assert not hub.has_pending_commit()
    assert "hello-interval 2" in hub.get_config()["running"]
    hub.rollback()
    assert "hello-interval 2" not in hub.get_config()["running"]
    hub.load_replace_candidate(config=hub.get_config()["running"])
    assert hub.compare_config() == ""


def test_an_unconfirmed_commit_reverts_by_itself(hub: FrrDriver) -> None:
    running = hub.get_config()["running"]
    hub.load_replace_candidate(config=running.replace("ip ospf hello-interval 1", "ip ospf hello-interval 3"))
    hub.commit_config(revert_in=3)
    assert "hello-interval 3" in hub.get_config()["running"]
    deadline = time.monotonic() + 20
    while hub.has_pending_commit() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not hub.has_pending_commit()
    assert "hello-interval 3" not in hub.get_config()["running"]


def test_merge_adds_without_removing(hub: FrrDriver) -> None:
    hub.load_merge_candidate(config="ip route 198.19.255.0/28 Null0\n")
    diff = hub.compare_config()
    assert diff.strip() == "+ip route 198.19.255.0/28 Null0"
    hub.discard_config()
    assert hub.compare_config() == ""


def test_a_router_that_dies_before_the_confirm_comes_back_on_its_previous_config(lab: LabHandle) -> None:
    """The device never confirms: the node is killed inside the confirmation window. An
    unconfirmed change is not saved, so the router boots on the configuration it had before."""
    name = "hub-dp"
    cred = lab.network.ssh_credential(name)

    def connect() -> FrrDriver:
        driver = get_network_driver("frr")(lab.mgmt[name], cred.username, lab.secret("lab-ssh", "password"))
        driver.open()
        return driver  # type: ignore[no-any-return]

    driver = connect()
    before = driver.get_config()["running"]
    assert "ip ospf hello-interval 1" in before
    changed = before.replace("ip ospf hello-interval 1", "ip ospf hello-interval 2")
    driver.load_replace_candidate(config=changed)
    driver.commit_config(revert_in=300)
    assert "hello-interval 2" in driver.get_config()["running"]
    driver.close()
    fail(lab.prefix, "node", name)
    restore(lab.prefix, "node", name)
    driver = connect()
    try:
        assert not driver.has_pending_commit()
        assert driver.get_config()["running"] == before
    finally:
        driver.close()
