"""Sessions to devices, the Nornir way: ``host.get_connection("napalm" | "netmiko")`` with the
connection plugins of nornir_napalm and nornir_netmiko, after govnet's own checks.

Before a connection opens, the lab interlock checks the address (:func:`govnet.safety.check_target`)
and, for NAPALM, the platform's driver is looked up, so that a missing community driver is a
clear error naming the package to install, before anything is contacted.

A caller may hand over a driver it opened itself (:class:`Opened`, placed in ``host.connections``
as Nornir's own plugins are): the tests' stand-in devices and fault injection use that seam; the
tasks cannot tell the difference.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from nornir.core.configuration import Config
from nornir.core.task import Task
from nornir_napalm.plugins.connections import CONNECTION_NAME as NAPALM
from nornir_netmiko.connections import CONNECTION_NAME as NETMIKO

from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.inventory.platforms import napalm_driver
from govnet.safety import check_target

__all__ = [
    "NAPALM",
    "NETMIKO",
    "Connect",
    "Opened",
    "close_all",
    "connect_device",
    "napalm_driver_class",
    "napalm_session",
    "reopen_napalm",
]

#: device name -> an open NAPALM driver (a caller's own sessions, instead of nornir_napalm's)
Connect = Callable[[str], Any]

#: The PyPI packages of NAPALM's community drivers, for the hint when one is missing.
_DRIVER_PACKAGES = {"ros": "napalm-ros", "huawei_vrp": "napalm-huawei-vrp"}


class Opened:
    """A session the caller opened, in the shape of a Nornir connection plugin."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def open(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Config | None = None,
    ) -> None:
        """Never called: the device connection is handed to Nornir already open."""
        raise GovnetError(
            "this device connection was handed to Nornir already open; Nornir cannot open it again",
            hint="close it and let govnet.tasks.connections.napalm_session open a new one",
        )

    def close(self) -> None:
        """Close the session (NAPALM's ``close`` or Netmiko's ``disconnect``)."""
        closer = getattr(self.connection, "close", None) or self.connection.disconnect
        closer()


def napalm_driver_class(network: Network, name: str) -> Any:
    """The NAPALM driver class for a device's platform, found before anything is contacted.

    A platform with no NAPALM driver, or whose community driver is not installed, is a
    :class:`GovnetError` that says what to install or to use ``provision send`` (Netmiko).
    """
    from napalm import get_network_driver  # noqa: PLC0415  (napalm loads every driver's dependencies)
    from napalm.base.exceptions import ModuleImportError  # noqa: PLC0415  (napalm: as above)

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
    """An open NAPALM driver for a device outside Nornir (its platform's driver, its credential)."""
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


def napalm_session(task: Task, network: Network, connect: Connect | None) -> Any:
    """The host's NAPALM driver through ``host.get_connection`` (opened on first use)."""
    host = task.host
    if NAPALM not in host.connections:
        if connect is not None:
            host.connections[NAPALM] = Opened(connect(host.name))
        else:
            napalm_driver_class(network, host.name)
            check_target(str(host.hostname))
    return host.get_connection(NAPALM, task.nornir.config)


def reopen_napalm(task: Task, network: Network, connect: Connect | None) -> Any:
    """Close the host's NAPALM session (if it can be) and open a new one."""
    with contextlib.suppress(Exception):
        task.host.close_connection(NAPALM)
    task.host.connections.pop(NAPALM, None)
    return napalm_session(task, network, connect)


def close_all(task: Task) -> None:
    """Close every session the host has open (errors of a dead session ignored)."""
    for name in list(task.host.connections):
        with contextlib.suppress(Exception):
            task.host.close_connection(name)
        task.host.connections.pop(name, None)
