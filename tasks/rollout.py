"""Running diff or push over many devices: Nornir's threaded runner, wave after wave."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from nornir import InitNornir
from nornir.core.filter import F
from nornir.core.task import Result, Task

from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.safety import check_target
from govnet.tasks.provision import DeviceResult, device_context, diff_device, push_device, upstream, waves

log = logging.getLogger(__name__)
#: How loud a device's outcome is.
_LEVEL = {"unchanged": logging.INFO, "changed": logging.INFO, "skipped": logging.WARNING}

Progress = Callable[[DeviceResult], None]


#: The PyPI packages of NAPALM's community drivers, for the hint when one is missing.
_DRIVER_PACKAGES = {"ros": "napalm-ros", "huawei_vrp": "napalm-huawei-vrp"}


def napalm_driver_class(network: Network, name: str) -> Any:
    """The NAPALM driver class for a device's platform, found before anything is contacted.

    A platform with no NAPALM driver, or whose community driver is not installed, is a
    :class:`GovnetError` that says what to install or to use ``provision send`` (Netmiko).
    """
    from napalm import get_network_driver
    from napalm.base.exceptions import ModuleImportError

    from govnet.inventory.platforms import napalm_driver

    platform = network.devices[name].platform
    driver_name = napalm_driver(platform)
    netmiko = "send lines over its CLI with 'govnet provision send' (Netmiko)"
    if driver_name is None:
        raise GovnetError(f"{name}: NAPALM has no driver for platform '{platform}'", hint=netmiko)
    try:
        return get_network_driver(driver_name)
    except ModuleImportError:
        package = _DRIVER_PACKAGES.get(driver_name, f"the NAPALM driver '{driver_name}'")
        raise GovnetError(
            f"{name}: the NAPALM driver for platform '{platform}' ({driver_name}) is not installed",
            hint=f"pip install {package} into govnet's environment, or {netmiko}",
        ) from None


def connect_device(network: Network, name: str) -> Any:
    """An open NAPALM driver for a device (its platform's driver, its SSH credential)."""
    driver_class = napalm_driver_class(network, name)
    dev = network.devices[name]
    cred = network.ssh_credential(name)
    check_target(str(dev.mgmt_ip))
    driver = driver_class(
        str(dev.mgmt_ip),
        cred.username,
        network.secrets.get(cred.name, "password").get_secret_value(),
        timeout=30,
        optional_args={"port": cred.port},
    )
    driver.open()
    return driver


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
    configs: dict[str, str] | None = None,
) -> list[DeviceResult]:
    """Diff or push ``devices`` in waves; once failures exceed ``max_failures`` the rest is skipped.

    Whatever ``max_failures`` says, a push never works past a failure on the management path:
    a device whose path toward the core (:func:`govnet.tasks.provision.upstream`) runs through a device
    that failed, was rolled back or was skipped is skipped, naming that device.

    ``configs`` (device -> text) pushes those configurations instead of the rendered intent.
    """
    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": workers}},
        inventory={"plugin": "GovnetInventory", "options": {"path": str(network.path)}},
        logging={"enabled": False},
    )

    def task(t: Task) -> Result:
        def connect(name: str) -> Any:
            return connect_device(network, name)

        if mode == "diff":
            outcome = diff_device(network, t.host.name, connect)
        else:
            config = configs.get(t.host.name) if configs is not None else None
            outcome = push_device(network, t.host.name, connect, revert_in=revert_in, config=config)
        return Result(host=t.host, result=outcome, failed=outcome.status in {"failed", "rolled_back"})

    results: list[DeviceResult] = []
    failures = 0
    secrets = network.secrets.plain_values()
    plan = waves(network, devices, canary=canary if mode == "push" else 0)
    paths = upstream(network)
    #: Devices a push must not work past: what failed, was rolled back or was skipped.
    blocked: dict[str, str] = {}

    def report(item: DeviceResult) -> None:
        log.log(
            _LEVEL.get(item.status, logging.ERROR),
            f"{mode} result",
            extra={
                **device_context(network, item.name),
                "status": item.status,
                "wave": item.wave,
                "error": item.error,
            },
        )
        results.append(item)
        if item.status in {"failed", "rolled_back", "skipped"}:
            blocked[item.name] = item.status
        if progress:
            progress(item)

    for number, wave in enumerate(plan, start=1):
        if mode == "push" and failures > max_failures:
            for name in wave:
                report(DeviceResult(name, "skipped", error="rollout stopped: too many failures", wave=number))
            continue
        todo = []
        for name in wave:
            behind = [u for u in sorted(paths.get(name, set())) if u in blocked] if mode == "push" else []
            if behind:
                upstream_devices = ", ".join(f"{u} ({blocked[u]})" for u in behind)
                report(
                    DeviceResult(
                        name,
                        "skipped",
                        error=f"its management path runs through {upstream_devices}: not pushed",
                        wave=number,
                    )
                )
            else:
                todo.append(name)
        if not todo:
            continue
        log.info(f"{mode} wave", extra={"wave": number, "devices": len(todo)})
        outcome = nr.filter(F(name__any=todo)).run(task=task, on_failed=True)
        for name in todo:
            multi = outcome.get(name)
            item = multi[0].result if multi else None
            if not isinstance(item, DeviceResult):
                error = str(multi[0].exception) if multi and multi[0].exception else "no result"
                item = DeviceResult(name, "failed", error=error)
            item.wave = number
            item.mask_secrets(secrets)
            failures += item.status in {"failed", "rolled_back"}
            report(item)
    return results
