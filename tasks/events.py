"""Provisioning's log: a Nornir processor that logs each device's run, step by step, with its context.

Every line about a device names it, its management address and its district. What each level
means here:

* DEBUG — a read step (a getter, a dry-run diff, a show command);
* INFO — a device's run starting, a change step (commit, confirm, rollback, the previous
  configuration pushed back, lines sent, the configuration saved), an ``unchanged`` or
  ``changed`` result;
* WARNING — a ``skipped`` or ``rolled_back`` device (it runs what it ran before);
* ERROR — a ``failed`` device (its state may need someone).

The processor comes after :class:`~govnet.tasks.nornir_run.MaskSecrets`, so a result's error is
already masked when it is logged; of a step only its name and outcome are logged, never its
result (a running configuration carries secrets until the task ends and masks it).
"""

from __future__ import annotations

import logging
from typing import Any

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task

from govnet.inventory.network import Network
from govnet.tasks.result import DeviceResult

log = logging.getLogger("govnet.tasks")

#: How loud a device's outcome is.
LEVELS = {"unchanged": logging.INFO, "changed": logging.INFO, "skipped": logging.WARNING}
#: Sub-tasks that change a device (INFO); every other step is a read (DEBUG).
CHANGES = {
    "napalm_confirm_commit": "confirm",
    "napalm_rollback": "rollback",
    "netmiko_send_config": "send lines",
    "netmiko_save_config": "save",
}


def device_context(network: Network, name: str) -> dict[str, Any]:
    """What a log line about a device names: the device, its management address, its district."""
    dev = network.devices.get(name)
    if dev is None:
        return {"device": name}
    return {"device": name, "address": str(dev.mgmt_ip), "district": network.district_of(name)}


def log_result(network: Network, mode: str, item: DeviceResult) -> None:
    """One line for a device's outcome (its error masked already)."""
    log.log(
        LEVELS.get(item.status, logging.ERROR),
        f"{mode} result",
        extra={
            **device_context(network, item.name),
            "status": item.status,
            "wave": item.wave,
            "seconds": round(item.seconds, 2),
            "error": item.error,
        },
    )


def _step(task: Task) -> tuple[str, int]:
    """A sub-task's name in the log and its level."""
    params = task.params or {}
    if task.name == "napalm_configure":
        if params.get("dry_run"):
            return "diff", logging.DEBUG
        return ("commit with a confirm timer" if params.get("revert_in") else "configuration pushed back"), (
            logging.INFO
        )
    if task.name in CHANGES:
        return CHANGES[task.name], logging.INFO
    return str(task.name), logging.DEBUG


class LogResults:
    """Logs each host's run: started, each step, its (masked) result."""

    def __init__(self, network: Network, mode: str) -> None:
        self.network, self.mode = network, mode

    def task_started(self, task: Task) -> None:
        """Nothing: each host's start is logged."""

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        """Nothing: each host's result is logged."""

    def task_instance_started(self, task: Task, host: Host) -> None:
        """The device's run begins."""
        log.info(f"{self.mode} started", extra=device_context(self.network, host.name))

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        """The device's outcome (a :class:`DeviceResult`, masked by the processor before this one)."""
        item = result[0].result
        if isinstance(item, DeviceResult):
            log_result(self.network, self.mode, item)

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        """Nothing: a step is logged when it is over."""

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        """One step of the device's run: its name, whether it failed or changed something."""
        step, level = _step(task)
        log.log(
            level,
            f"{self.mode} step",
            extra={
                **device_context(self.network, host.name),
                "step": step,
                "failed": bool(result.failed),
                "changed": bool(result.changed),
            },
        )
