"""The benchmarks' own rules: at least 3 repetitions, contenders interleaved with the order
turning, the provisioning yardstick as the sum over waves of each wave's slowest device, and the
scale bench's inventory and namespace what its options say."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bench import provision, scale, topology
from govnet.inventory.loader import load_inventory
from govnet.tasks.rollout import DeviceResult

ROOT = Path(__file__).resolve().parent.parent

#: Each bench with its repetitions option: all refuse fewer than 3 before doing anything.
REPS_OPTION = {
    "api.py": "--repeat",
    "lab.py": "--reps",
    "poll.py": "--reps",
    "provision.py": "--reps",
    "queue.py": "--reps",
    "scale.py": "--reps",
    "topology.py": "--repeat",
}


def test_every_bench_is_checked_for_its_repetitions() -> None:
    benches = {p.name for p in (ROOT / "bench").glob("*.py")}
    assert benches - {"cli_help.py"} == set(REPS_OPTION)  # cli_help raises any count below 3 to 3


@pytest.mark.parametrize(("bench", "option"), sorted(REPS_OPTION.items()))
def test_a_bench_refuses_fewer_than_3_repetitions(bench: str, option: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / bench), option, "2"],
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode != 0
    assert "3" in done.stderr and ("repe" in done.stderr or "reps" in done.stderr), done.stderr


def test_topology_contenders_run_interleaved_with_the_order_turning() -> None:
    calls: list[str] = []
    contenders: dict[str, Callable[[], Any]] = {name: partial(calls.append, name) for name in "abc"}
    times = topology.interleaved(contenders, 4)
    assert calls == list("abc" + "bca" + "cab" + "abc")
    assert {name: len(t) for name, t in times.items()} == {"a": 4, "b": 4, "c": 4}
    assert all(t >= 0 for ts in times.values() for t in ts)


def test_the_critical_path_is_the_sum_of_each_waves_slowest_device() -> None:
    def done(name: str, seconds: float) -> DeviceResult:
        return DeviceResult(name=name, status="changed", seconds=seconds)

    plan = [["core"], ["hub-a", "hub-b"], ["cpe-1", "cpe-2", "cpe-3"]]
    push = [done("core", 2.0), done("hub-a", 5.0), done("hub-b", 1.0)]
    push += [done("cpe-1", 0.5), done("cpe-2", 3.0), done("cpe-3", 0.7)]
    assert provision.critical_path(plan, push) == pytest.approx(2.0 + 5.0 + 3.0)
    # Not the slowest device times the number of waves (5.0 x 3).
    assert provision.critical_path(plan, push) < 5.0 * len(plan)


def test_the_scale_inventory_is_valid_with_the_asked_share_on_v3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in scale.SECRETS.items():
        monkeypatch.setenv(key, value)
    path = scale.write_inventory(tmp_path / "inv", scale.inventory_files(300, 0.8, 48))
    network = load_inventory(path)
    assert len(network.devices) == 300
    v3 = [d for d in network.devices.values() if d.snmp_profile == "v3"]
    assert len(v3) == 240
    assert min(len(d.interfaces) for d in network.devices.values()) >= 48
    assert len({d.mgmt_ip for d in network.devices.values()}) == 300


def test_the_scale_farm_takes_the_prefix_it_is_given() -> None:
    before = dict(scale.WHERE)
    try:
        scale.use_prefix("gfb")
        assert scale.in_ns("true")[:4] == ["ip", "netns", "exec", "gfb-scale"]
        for bad in ("GFB", "g-b", "gfb; rm", "toolongprefix", ""):
            with pytest.raises(SystemExit):
                scale.use_prefix(bad)
    finally:
        scale.WHERE.update(before)
