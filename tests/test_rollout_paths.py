"""A push rollout never works past a failure on the management path (issue #11, finding 4).

The rollout runs for real (Nornir's threaded runner over the sample province); only the
per-host Nornir task is replaced, so that a chosen hub fails without a lab.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from nornir.core.task import Result, Task

from govnet.inventory.network import Network
from govnet.tasks import rollout as rollout_module
from govnet.tasks.provision import DeviceResult, Status, upstream

HUB = "hub-dp"
BEHIND_HUB = ["cpe-dp-cong-an", "ap-dp-15", "hub-bgm"]  # hub-bgm: further down the ring, via hub-dp
BESIDE_HUB = ["cpe-ban-dan-toc-tinh", "ap-dx-01"]  # behind hub-dx only


def test_upstream_follows_the_paths_waves_walk(net: Network) -> None:
    paths = upstream(net)
    assert paths["core-01"] == set() and paths["hub-dx"] == {"core-01"}
    assert paths[HUB] == {"core-01", "hub-dx"}
    assert paths["cpe-dp-cong-an"] == {"core-01", "hub-dx", HUB}
    assert HUB in paths["hub-bgm"]
    for name in BESIDE_HUB:
        assert HUB not in paths[name]
    # an edge device carries no transit: nothing is behind a CPE
    cpes = {n for n, d in net.devices.items() if d.role.value == "cpe"}
    assert not any(paths[n] & cpes for n in paths)


@pytest.mark.parametrize("outcome", ["failed", "rolled_back"])
def test_devices_behind_a_failed_hub_are_skipped_whatever_max_failures_says(
    net: Network, monkeypatch: pytest.MonkeyPatch, outcome: Status
) -> None:
    pushed: list[str] = []
    lock = threading.Lock()

    def fake_push(task: Task, network: Network, **kw: Any) -> Result:
        name = task.host.name
        with lock:
            pushed.append(name)
        if name == HUB:
            item = DeviceResult(name, outcome, error="post-checks failed: OSPF neighbours not Full")
        else:
            item = DeviceResult(name, "changed")
        return Result(host=task.host, result=item, failed=item.failed)

    monkeypatch.setattr(rollout_module, "push_host", fake_push)
    devices = ["core-01", "hub-dx", HUB, *BEHIND_HUB, *BESIDE_HUB]
    results = {
        r.name: r for r in rollout_module.rollout(net, devices, mode="push", max_failures=100, workers=4)
    }
    assert results[HUB].status == outcome
    for name in BEHIND_HUB:
        assert results[name].status == "skipped", results[name]
        assert f"{HUB} ({outcome})" in (results[name].error or ""), results[name].error
        assert name not in pushed
    for name in ["core-01", "hub-dx", *BESIDE_HUB]:
        assert results[name].status == "changed" and name in pushed


def test_a_device_behind_a_skipped_device_is_skipped_too(
    net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hub-dx fails: hub-dp behind it is skipped, and the CPE behind hub-dp names both."""

    def fake_push(task: Task, network: Network, **kw: Any) -> Result:
        name = task.host.name
        return Result(host=task.host, result=DeviceResult(name, "failed" if name == "hub-dx" else "changed"))

    monkeypatch.setattr(rollout_module, "push_host", fake_push)
    results = {
        r.name: r
        for r in rollout_module.rollout(
            net, ["core-01", "hub-dx", HUB, "cpe-dp-cong-an"], mode="push", max_failures=5
        )
    }
    assert results[HUB].status == "skipped" and "hub-dx (failed)" in (results[HUB].error or "")
    cpe = results["cpe-dp-cong-an"]
    assert cpe.status == "skipped"
    assert "hub-dx (failed)" in (cpe.error or "") and f"{HUB} (skipped)" in (cpe.error or "")
    assert results["core-01"].status == "changed"
