"""Provisioning: diff and push intended configurations, as Nornir tasks on nornir_napalm.

**Dry run is the default**, and it is Nornir's own flag: :func:`push_host` run by a Nornir
whose ``dry_run`` is set (a diff) loads each device's intended configuration as a replace
candidate with ``napalm_configure``, reports the difference and discards it. Without dry run it
commits with a confirm timer (``napalm_configure(revert_in=...)``), runs post-checks, reads the
running configuration back and confirms (``napalm_confirm_commit``) only when all of that passes.
Sessions are Nornir's: ``host.get_connection("napalm")`` (:mod:`govnet.tasks.connections`).

**All or nothing.** A push that fails once anything was sent (the device refuses a line half-way,
post-checks fail, the confirm fails, the session is lost) puts the device back on the running
configuration it had before the push: its checkpoint (``napalm_rollback``), else that
configuration pushed back, else its own confirm timer, waited for. Then govnet reads the running
configuration back and compares it line by line with the one from before: the same gives
``rolled_back`` with the reason; anything else is ``failed`` with "device state unknown, previous
config restored: yes/no".

**Post-checks** compare with what held *before* the push: the management session still answers,
every interface that was up is still up, every OSPF neighbour that was Full is Full again and
every BGP peer that was Established is up again (within ``settle`` seconds). Adjacencies the
push newly creates are not required, since their other end may not be configured yet.

**Vendor platforms** (Cisco IOS, Huawei VRP, MikroTik RouterOS) are not loaded as a NAPALM
replace candidate: :mod:`govnet.tasks.vendor_push` sends hier-config's remediation over the CLI
inside the platform's own safety net (IOS revert timer, VRP two-stage commit, RouterOS safe mode),
with the same outcome: ``changed`` only when the running configuration shows it, else undone and
read back (``rolled_back``) or ``failed`` with "device state unknown".

**Waves** (:mod:`govnet.tasks.waves`, run by :mod:`govnet.tasks.rollout`): breadth-first layers
from the core, a canary first; a device whose management path runs through a device that
failed, was rolled back or was skipped is skipped (:func:`upstream`).
"""

from __future__ import annotations

import difflib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from nornir.core.exceptions import NornirSubTaskError
from nornir.core.filter import F
from nornir.core.task import Result, Task
from nornir_napalm.plugins.tasks import napalm_configure, napalm_confirm_commit, napalm_get, napalm_rollback

from govnet.inventory.network import Network
from govnet.tasks.connections import Connect, close_all, napalm_session, reopen_napalm
from govnet.tasks.context import MASK
from govnet.tasks.events import LogResults
from govnet.tasks.nornir_run import MaskSecrets, device_results, nornir_for, select
from govnet.tasks.render import RenderError, render_device
from govnet.tasks.result import DeviceResult, Status
from govnet.tasks.safe_send import SAFE_PLATFORMS
from govnet.tasks.vendor_push import push_vendor
from govnet.tasks.waves import EDGE, upstream, waves

__all__ = [
    "EDGE",
    "SAME_AS_BEFORE",
    "TIMER_MARGIN",
    "Connect",
    "DeviceResult",
    "Status",
    "diff_device",
    "push_device",
    "push_host",
    "select",
    "upstream",
    "waves",
]

#: Seconds past a commit's confirm timer that a push waits for the device to revert by itself.
TIMER_MARGIN = 30.0
SAME_AS_BEFORE = "the running config is the one from before the push (read back, line by line)"


def _sub(task: Task, fn: Callable[..., Result], **kwargs: Any) -> Result:
    """Run a nornir_napalm task as a sub-task; its own exception comes back out as it was."""
    try:
        return task.run(task=fn, severity_level=logging.DEBUG, **kwargs)[0]
    except NornirSubTaskError as exc:
        first = exc.result[0] if isinstance(exc.result, list) else exc.result
        if isinstance(first.exception, Exception):
            raise first.exception from None
        raise


def _running(task: Task) -> str:
    got = _sub(task, napalm_get, getters=["config"], retrieve="running").result
    return str(got["config"]["running"])


def _snapshot(task: Task, network: Network, connect: Connect | None) -> dict[str, set[str]]:
    got = _sub(task, napalm_get, getters=["interfaces", "bgp_neighbors"]).result
    driver = napalm_session(task, network, connect)
    peers = got["bgp_neighbors"]["global"]["peers"]
    return {
        "up": {name for name, i in got["interfaces"].items() if i["is_up"]},
        "ospf": set(driver.ospf_full_neighbors()) if hasattr(driver, "ospf_full_neighbors") else set(),
        "bgp": {addr for addr, p in peers.items() if p["is_up"]},
    }


def _check(before: dict[str, set[str]], after: dict[str, set[str]]) -> list[str]:
    problems = []
    for key, words in (
        ("up", "interfaces down"),
        ("ospf", "OSPF neighbours not Full"),
        ("bgp", "BGP peers down"),
    ):
        lost = before[key] - after[key]
        if lost:
            problems.append(f"{words}: {', '.join(sorted(lost))}")
    return problems


def _same_config(wanted: str, now: str) -> bool:
    """Whether two running configurations are the same, line by line (trailing blanks aside)."""
    return [line.rstrip() for line in wanted.strip().splitlines()] == [
        line.rstrip() for line in now.strip().splitlines()
    ]


def _config_differences(wanted: str, now: str, limit: int = 6) -> str:
    """A short summary of the lines in which ``now`` differs from ``wanted``."""
    lines = [
        line
        for line in difflib.unified_diff(wanted.splitlines(), now.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    more = f" (and {len(lines) - limit} more)" if len(lines) > limit else ""
    return ", ".join(repr(line) for line in lines[:limit]) + more


def _diff(task: Task, config: str) -> str:
    """The device's diff from its running configuration to ``config`` (nothing committed)."""
    return str(_sub(task, napalm_configure, configuration=config, replace=True, dry_run=True).diff)


def _not_shown(task: Task, intended: str) -> str | None:
    """What of ``intended`` the running config does not show after a commit (None: all of it).

    The device's own diff from its running config to the intent must be empty: a line a daemon
    took and dropped, or put back, shows here, and the push is not "changed".
    """
    try:
        left = _diff(task, intended)
    except Exception as exc:
        return f"the running config could not be read back: {exc}"
    lines = [line for line in left.splitlines() if line.startswith(("+", "-")) and line.strip("+- ")]
    if not lines:
        return None
    shown = "; ".join(lines[:6]) + (f" (and {len(lines) - 6} more)" if len(lines) > 6 else "")
    return f"the running config does not show the change after the commit: {shown}"


class _Push:
    """One device's push inside its Nornir task."""

    def __init__(self, task: Task, network: Network, connect: Connect | None, revert_in: int) -> None:
        self.task = task
        self.network = network
        self.connect = connect
        self.revert_in = revert_in

    def driver(self) -> Any:
        return napalm_session(self.task, self.network, self.connect)

    def commit_and_check(self, settle: float, before: dict[str, set[str]], intended: str) -> str | None:
        """Commit with a confirm timer, post-check, read back, confirm: None when all went well,
        else why not."""
        try:
            _sub(
                self.task,
                napalm_configure,
                configuration=intended,
                replace=True,
                revert_in=self.revert_in,
                dry_run=False,
            )
        except Exception as exc:
            return f"commit refused: {exc}"
        deadline = time.monotonic() + settle
        problems: list[str] = []
        while True:
            try:
                problems = _check(before, _snapshot(self.task, self.network, self.connect))
            except Exception as exc:
                problems = [f"management session lost: {exc}"]
            if not problems or time.monotonic() > deadline:
                break
            time.sleep(1)
        if problems:
            return "post-checks failed: " + "; ".join(problems)
        missing = _not_shown(self.task, intended)
        if missing:
            return missing
        try:
            confirmed = _sub(self.task, napalm_confirm_commit, dry_run=False)
        except Exception as exc:
            return f"confirm failed: {exc}"
        if not confirmed.changed:  # nornir_napalm confirms nothing when nothing is pending
            return f"confirm failed: the commit was no longer pending ({confirmed.result})"
        return None

    def run(self, result: DeviceResult, intended: str, settle: float) -> DeviceResult:
        """Commit-confirm ``intended`` (``result`` holds its diff), or put the device back."""
        try:
            previous = _running(self.task)
            before = _snapshot(self.task, self.network, self.connect)
        except Exception as exc:
            result.status, result.error = "failed", f"commit refused: {exc}; nothing was sent"
            return result
        reason = self.commit_and_check(settle, before, intended)
        if reason is None:
            return result
        back, how = self.restore(previous)
        result.status = "rolled_back" if back else "failed"
        result.error = f"{reason}; {how}"
        return result

    def restore(self, previous: str) -> tuple[bool, str]:
        """Put the device back on ``previous`` (its running config before the push) and check it
        line by line: (True, how) when it runs again, else (False, "device state unknown, ...").

        First the device's own checkpoint (rollback of the pending commit), or a replace with the
        previous config when nothing is pending; the session is reopened once if it was lost.
        When neither works, the commit's confirm timer is waited for (``revert_in`` s and a margin).
        """
        notes: list[str] = []
        acknowledged = False  # the device said it restored, but govnet could not read it back
        for attempt in range(2):
            try:
                driver = (
                    self.driver() if attempt == 0 else reopen_napalm(self.task, self.network, self.connect)
                )
                if _same_config(previous, _running(self.task)):
                    return True, SAME_AS_BEFORE
                if driver.has_pending_commit():
                    _sub(self.task, napalm_rollback, dry_run=False)
                    how = "rolled back to the device's checkpoint"
                else:
                    _sub(self.task, napalm_configure, configuration=previous, replace=True, dry_run=False)
                    how = "the previous configuration pushed back"
                acknowledged = True
                now = _running(self.task)
                if _same_config(previous, now):
                    return True, f"{how}; {SAME_AS_BEFORE}"
                acknowledged = False
                notes.append(
                    f"{how}, but the running config still differs: {_config_differences(previous, now)}"
                )
            except Exception as exc:
                notes.append(str(exc))
        deadline = time.monotonic() + self.revert_in + TIMER_MARGIN
        while time.monotonic() < deadline:
            time.sleep(1)
            try:
                driver = self.driver()
                if not driver.is_alive().get("is_alive"):
                    driver = reopen_napalm(self.task, self.network, self.connect)
                if driver.has_pending_commit():
                    continue
                now = _running(self.task)
            except Exception:
                continue
            if _same_config(previous, now):
                return True, (
                    f"could not roll back ({'; '.join(notes)}); waited for the device to revert by "
                    "itself (its confirm timer): the previous configuration runs (checked line by line)"
                )
            notes.append(
                f"after the confirm timer the running config differs: {_config_differences(previous, now)}"
            )
            break
        restored = "yes" if acknowledged else "no"
        return False, f"device state unknown, previous config restored: {restored} ({'; '.join(notes)})"


def _intended(network: Network, name: str, config: str | None) -> str | DeviceResult:
    """The configuration to load, or the failed result that stops here (nothing sent).

    The rendered intent is made here with the real secret values, in memory only: it goes to
    the device's session and nowhere else (every result is masked before it leaves the task).
    A configuration that still holds the mask (a backup: backups store only the mask) is never
    loaded, not even for a diff: the mask would become the device's key.
    """
    try:
        intended = config if config is not None else render_device(network, name, secrets=True)
    except RenderError as exc:
        return DeviceResult(name, "failed", error=exc.message)
    if MASK in intended:
        return DeviceResult(
            name,
            "failed",
            error=f"the configuration holds masked secrets ({MASK}): pushing it would make the mask "
            "the device's key; nothing was sent (restore a backup's secret lines by hand)",
        )
    return intended


def _push(
    task: Task,
    network: Network,
    connect: Connect | None,
    revert_in: int,
    settle: float,
    config: str | None,
) -> DeviceResult:
    name = task.host.name
    dry_run = task.is_dry_run()
    intended = _intended(network, name, config)
    if isinstance(intended, DeviceResult):
        return intended
    if network.devices[name].platform in SAFE_PLATFORMS:  # CLI remediation, the platform's safe way
        return push_vendor(task, network, intended, revert_in)
    try:
        napalm_session(task, network, connect)
    except Exception as exc:  # any driver or transport error is this device's result
        return DeviceResult(name, "failed", error=f"cannot connect: {exc}")
    try:
        diff = _diff(task, intended)
    except Exception as exc:
        return DeviceResult(
            name, "failed", error=str(exc) if dry_run else f"commit refused: {exc}; nothing was sent"
        )
    result = DeviceResult(name, "changed" if diff.strip() else "unchanged", diff)
    if dry_run or result.status == "unchanged":
        return result
    return _Push(task, network, connect, revert_in).run(result, intended, settle)


def push_host(
    task: Task,
    network: Network,
    revert_in: int = 120,
    settle: float = 20.0,
    configs: Mapping[str, str] | None = None,
    connect: Connect | None = None,
) -> Result:
    """The Nornir task: diff (under Nornir's dry run) or commit-confirm one host; all or nothing.

    A push that fails once anything was sent (commit refused half-way, post-checks, read-back,
    confirm, session lost) puts the device back on the running config it had before the push
    and reads it back to compare line by line: ``rolled_back`` with the reason when it is the
    same, ``failed`` with "device state unknown, previous config restored: yes/no" when govnet
    cannot be sure. A failure before anything was sent (render, connect, compare) is ``failed``.

    ``configs`` (device -> text) pushes that text instead of the rendered intent (a rollback to a
    backup); ``connect`` hands over the caller's own NAPALM sessions instead of nornir_napalm's.
    """
    start = time.monotonic()
    config = configs.get(task.host.name) if configs is not None else None
    try:
        outcome = _push(task, network, connect, revert_in, settle, config)
    finally:
        close_all(task)
    outcome.seconds = time.monotonic() - start
    return Result(host=task.host, result=outcome, failed=outcome.failed)


def _one(network: Network, name: str, *, dry_run: bool, **kwargs: Any) -> DeviceResult:
    nr = nornir_for(network, workers=1, dry_run=dry_run).filter(F(name=name))
    logged = LogResults(network, "diff" if dry_run else "push")
    masked = nr.with_processors([MaskSecrets(network.secrets.plain_values()), logged])
    return device_results(masked.run(task=push_host, network=network, on_failed=True, **kwargs), [name])[0]


def diff_device(network: Network, name: str, connect: Connect | None = None) -> DeviceResult:
    """Dry run of one device: what replacing its running config with the intended one would change."""
    return _one(network, name, dry_run=True, connect=connect)


def push_device(
    network: Network,
    name: str,
    connect: Connect | None = None,
    *,
    revert_in: int = 120,
    settle: float = 20.0,
    config: str | None = None,
) -> DeviceResult:
    """Commit-confirm one device (:func:`push_host` in a one-host Nornir); all or nothing.

    ``config`` pushes that text instead of the rendered intent (a rollback to a backup).
    """
    configs = {name: config} if config is not None else None
    return _one(
        network, name, dry_run=False, connect=connect, revert_in=revert_in, settle=settle, configs=configs
    )
