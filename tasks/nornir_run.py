"""Nornir for govnet: the loaded inventory handed over in memory, selection with Nornir's ``F``
filters, and the processors every run goes through (masking, then progress).

The inventory is built from the :class:`~govnet.inventory.network.Network` already loaded and
validated (:func:`govnet.inventory.nornir_plugin.build_nornir_inventory`), never read again
from disk. Nornir's global ``dry_run`` is the run's mode: a diff runs with ``dry_run=True``, so
the tasks of nornir_napalm and nornir_netmiko discard instead of committing even if asked.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable

from nornir.core import Nornir
from nornir.core.filter import AND, F_BASE, F
from nornir.core.inventory import Host
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.state import GlobalState
from nornir.core.task import AggregatedResult, MultiResult, Result, Task
from nornir.plugins.runners import ThreadedRunner

from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.inventory.nornir_plugin import build_nornir_inventory
from govnet.tasks.masking import mask
from govnet.tasks.result import DeviceResult

#: The keys a ``key=value`` filter may name (``name`` is the host's, the others its data).
FILTER_KEYS = ("name", "role", "district", "platform", "site")


def nornir_for(network: Network, *, workers: int = 16, dry_run: bool = True) -> Nornir:
    """A Nornir over the loaded network (threaded runner, no logging setup, dry run unless told).

    The connection plugins installed with govnet (nornir_napalm's ``napalm``, nornir_netmiko's
    ``netmiko``) are registered from their entry points, as ``InitNornir`` would.
    """
    ConnectionPluginRegister.auto_register()
    return Nornir(
        inventory=build_nornir_inventory(network),
        runner=ThreadedRunner(num_workers=max(1, workers)),
        data=GlobalState(dry_run=dry_run),
    )


def _value(host: Host, key: str) -> str:
    return str(host.name if key == "name" else host.data.get(key, ""))


def nornir_filter(nr: Nornir, filters: list[str]) -> F_BASE | None:
    """Nornir's ``F`` filter for ``key=GLOB[,GLOB...]`` items: every item must hold (AND), any of
    its values may (OR). Each glob is matched against the values the inventory has for that key,
    so the filter itself is a plain ``F(key__any=[...])``. None for no filters.
    """
    combined: F_BASE | None = None
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep or key not in FILTER_KEYS:
            raise GovnetError(
                f"cannot read filter '{item}'", hint="use name=GLOB, role=R, district=D, platform=P or site=S"
            )
        globs = [v for v in value.split(",") if v]
        known = {_value(host, key) for host in nr.inventory.hosts.values()}
        matching = sorted(v for v in known if any(fnmatch.fnmatchcase(v, g) for g in globs))
        one = F(**{f"{key}__any": matching})
        combined = one if combined is None else AND(combined, one)
    return combined


def select(network: Network, filters: list[str]) -> list[str]:
    """Devices matching every ``key=value`` filter (globs; several values of one key OR), sorted.

    Keys: ``name``, ``role``, ``district``, ``platform``, ``site``.
    """
    nr = nornir_for(network)
    chosen = nornir_filter(nr, filters)
    hosts = nr.filter(chosen).inventory.hosts if chosen is not None else nr.inventory.hosts
    return sorted(hosts)


class _Quiet:
    """The processor hooks a processor here does not use."""

    def task_started(self, task: Task) -> None:
        """Nothing."""

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        """Nothing."""

    def task_instance_started(self, task: Task, host: Host) -> None:
        """Nothing."""

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        """Nothing."""

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        """Nothing."""


def _masked(value: object, secrets: set[str]) -> object:
    """``value`` with every secret masked in its text, in and under dicts and lists (a getter's
    result, a running configuration)."""
    if isinstance(value, str):
        return mask(value, secrets)
    if isinstance(value, dict):
        return {k: _masked(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v, secrets) for v in value]
    return value


class MaskSecrets(_Quiet):
    """Makes each host's outcome a masked :class:`DeviceResult`, before anything else sees it.

    Runs when the host's task is over (the task itself needs the real running configuration to
    restore it): the device result's diff and error, and every sub-task's ``diff`` and result
    (texts, and the texts inside a getter's dicts), get every secret value the inventory knows
    masked, and secret-looking lines (passwords, communities, keys) masked whatever their value.
    A task that raised becomes a ``failed`` device result naming the error.
    """

    def __init__(self, secrets: set[str], wave: int = 0) -> None:
        self.secrets = secrets
        self.wave = wave

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        """Normalise and mask the host's results in place."""
        first: Result = result[0]
        item = first.result
        if not isinstance(item, DeviceResult):
            error = f"{type(first.exception).__name__}: {first.exception}" if first.exception else "no result"
            item = DeviceResult(host.name, "failed", error=error)
        item.wave = self.wave
        item.mask_secrets(self.secrets)
        first.result, first.failed = item, item.failed
        first.exception = None
        for sub in result[1:]:
            sub.diff = str(_masked(sub.diff, self.secrets))
            sub.result = _masked(sub.result, self.secrets)
            sub.exception = None


class Progress(_Quiet):
    """Hands each host's (masked) :class:`DeviceResult` to a callback as soon as it is done."""

    def __init__(self, callback: Callable[[DeviceResult], None]) -> None:
        self.callback = callback

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        """Report the host's outcome."""
        item = result[0].result
        if isinstance(item, DeviceResult):
            self.callback(item)


def device_results(outcome: AggregatedResult, names: list[str]) -> list[DeviceResult]:
    """The :class:`DeviceResult` of each name, in that order (``MaskSecrets`` made them)."""
    out = []
    for name in names:
        multi = outcome.get(name)
        item = multi[0].result if multi else None
        out.append(
            item if isinstance(item, DeviceResult) else DeviceResult(name, "failed", error="no result")
        )
    return out
