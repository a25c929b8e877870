"""Running diff or push over many devices: Nornir's threaded runner, wave after wave."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from nornir import InitNornir
from nornir.core.filter import F
from nornir.core.task import Result, Task

from govnet.safety import check_target
from inventory.network import Network
from tasks.provision import DeviceResult, diff_device, push_device, waves

Progress = Callable[[DeviceResult], None]


def _connect_for(task: Task) -> Callable[[str], Any]:
    from napalm import get_network_driver

    host = task.host

    def connect(_name: str) -> Any:
        params = host.get_connection_parameters("napalm")
        check_target(str(host.hostname))
        driver = get_network_driver(params.platform)(
            str(host.hostname),
            str(host.username),
            str(host.password),
            timeout=30,
            optional_args={"port": params.port or 22},
        )
        driver.open()
        return driver

    return connect


def rollout(
    network: Network,
    devices: list[str],
    *,
    mode: Literal["diff", "push"],
    workers: int = 16,
    max_failures: int = 0,
    revert_in: int = 120,
    canary: int = 1,
    progress: Progress | None = None,
) -> list[DeviceResult]:
    """Diff or push ``devices`` in waves; once failures exceed ``max_failures`` the rest is skipped."""
    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": workers}},
        inventory={"plugin": "GovnetInventory", "options": {"path": str(network.path)}},
        logging={"enabled": False},
    )

    def task(t: Task) -> Result:
        connect = _connect_for(t)
        if mode == "diff":
            outcome = diff_device(network, t.host.name, connect)
        else:
            outcome = push_device(network, t.host.name, connect, revert_in=revert_in)
        return Result(host=t.host, result=outcome, failed=outcome.status in {"failed", "rolled_back"})

    results: list[DeviceResult] = []
    failures = 0
    plan = waves(network, devices, canary=canary if mode == "push" else 0)
    for number, wave in enumerate(plan, start=1):
        if mode == "push" and failures > max_failures:
            for name in wave:
                skipped = DeviceResult(
                    name, "skipped", error="rollout stopped: too many failures", wave=number
                )
                results.append(skipped)
                if progress:
                    progress(skipped)
            continue
        outcome = nr.filter(F(name__any=wave)).run(task=task, on_failed=True)
        for name in wave:
            multi = outcome.get(name)
            item = multi[0].result if multi else None
            if not isinstance(item, DeviceResult):
                error = str(multi[0].exception) if multi and multi[0].exception else "no result"
                item = DeviceResult(name, "failed", error=error)
            item.wave = number
            failures += item.status in {"failed", "rolled_back"}
            results.append(item)
            if progress:
                progress(item)
    return results
