"""Running diff or push over many devices: one Nornir over the loaded inventory, wave after wave.

Each wave is the hosts Nornir's ``F`` filter picks, run by its threaded runner with
:func:`govnet.tasks.provision.push_host` (nornir_napalm underneath) and two processors:
:class:`~govnet.tasks.nornir_run.MaskSecrets` (every result masked before anything else sees
it) and :class:`~govnet.tasks.nornir_run.Progress` (the caller's progress callback).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from nornir.core.filter import F
from nornir.core.processor import Processor

from govnet.inventory.network import Network
from govnet.tasks.connections import connect_device, napalm_driver_class
from govnet.tasks.events import LogResults, log, log_result
from govnet.tasks.nornir_run import MaskSecrets, Progress, device_results, nornir_for
from govnet.tasks.provision import DeviceResult, push_host, upstream, waves

__all__ = ["DeviceResult", "connect_device", "napalm_driver_class", "rollout"]

ProgressCallback = Callable[[DeviceResult], None]


def rollout(
    network: Network,
    devices: list[str],
    *,
    mode: Literal["diff", "push"],
    workers: int = 16,
    max_failures: int = 0,
    revert_in: int = 120,
    canary: int = 1,
    progress: ProgressCallback | None = None,
    configs: dict[str, str] | None = None,
) -> list[DeviceResult]:
    """Diff or push ``devices`` in waves; once failures exceed ``max_failures`` the rest is skipped.

    Whatever ``max_failures`` says, a push never works past a failure on the management path:
    a device whose path toward the core (:func:`govnet.tasks.provision.upstream`) runs through a
    device that failed, was rolled back or was skipped is skipped, naming that device.

    ``configs`` (device -> text) pushes those configurations instead of the rendered intent.
    A diff runs under Nornir's ``dry_run``: nothing can be committed.
    """
    nr = nornir_for(network, workers=workers, dry_run=mode == "diff")
    results: list[DeviceResult] = []
    failures = 0
    secrets = network.secrets.plain_values()
    plan = waves(network, devices, canary=canary if mode == "push" else 0)
    paths = upstream(network)
    #: Devices a push must not work past: what failed, was rolled back or was skipped.
    blocked: dict[str, str] = {}

    def report(item: DeviceResult, *, tell: bool) -> None:
        results.append(item)
        if item.status in {"failed", "rolled_back", "skipped"}:
            blocked[item.name] = item.status
        if progress and tell:
            progress(item)
        if tell:  # a device Nornir ran is logged by LogResults
            log_result(network, mode, item)

    for number, wave in enumerate(plan, start=1):
        if mode == "push" and failures > max_failures:
            for name in wave:
                skipped = DeviceResult(
                    name, "skipped", error="rollout stopped: too many failures", wave=number
                )
                report(skipped, tell=True)
            continue
        todo = []
        for name in wave:
            behind = [u for u in sorted(paths.get(name, set())) if u in blocked] if mode == "push" else []
            if behind:
                upstream_devices = ", ".join(f"{u} ({blocked[u]})" for u in behind)
                why = f"its management path runs through {upstream_devices}: not pushed"
                report(DeviceResult(name, "skipped", error=why, wave=number), tell=True)
            else:
                todo.append(name)
        if not todo:
            continue
        log.info(f"{mode} wave", extra={"wave": number, "devices": len(todo)})
        processors: list[Processor] = [MaskSecrets(secrets, wave=number), LogResults(network, mode)]
        if progress:
            processors.append(Progress(progress))
        run = nr.filter(F(name__any=todo)).with_processors(processors)
        outcome = run.run(
            task=push_host, network=network, revert_in=revert_in, configs=configs, on_failed=True
        )
        for item in device_results(outcome, todo):
            failures += item.failed
            report(item, tell=False)  # the Progress processor told already
    return results
