"""The Netmiko path: configuration lines sent over a plain CLI session, for platforms or
changes NAPALM has no path for, as Nornir tasks on nornir_netmiko.

Dry run is the default here too, and it is enforced below the task, not by it: the host's
Netmiko connection (``host.get_connection("netmiko")``) is wrapped in :class:`GuardedSession`,
whose configuration methods raise :class:`DryRunRefusedError` unless the run is not a dry run
(Nornir's own ``dry_run`` flag), so no code path can change a device by mistake. A dry run
still reads the running configuration and reports which lines would be sent.

Cisco IOS, Huawei VRP and MikroTik RouterOS take the change all or nothing, each its own way
(:mod:`govnet.tasks.safe_send`: IOS revert timer, VRP two-stage commit, RouterOS safe mode): a
refused line, or a line the running configuration does not show afterwards, undoes the whole
change and the device is read back. FRR's vtysh has no such net (each line takes as it is
entered): there the lines that took are sent back the other way (hier-config, from the running
config afterwards to the one before) and the device is read back: ``rolled_back`` when it is as
before, else ``failed`` saying the state is unknown. Nothing is saved before the change is whole.

What is sent is what the running configuration does not have yet, section by section
(:func:`govnet.tasks.config_lines.missing_lines`, hier-config): a line under ``interface eth2``
counts as present only under ``interface eth2``, and a missing child line goes with its parent.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from nornir.core.exceptions import NornirSubTaskError
from nornir.core.filter import F
from nornir.core.processor import Processor
from nornir.core.task import Result, Task
from nornir_netmiko.tasks import netmiko_save_config, netmiko_send_command, netmiko_send_config

from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.inventory.text import shown
from govnet.safety import check_target
from govnet.tasks.config_lines import (
    REMEDIATION_PLATFORMS,
    UNDO_PLATFORMS,
    missing_lines,
    remediation,
    same_config,
    undo_lines,
)
from govnet.tasks.connections import NETMIKO, Opened, close_all
from govnet.tasks.events import LogResults
from govnet.tasks.masking import MASK
from govnet.tasks.nornir_run import MaskSecrets, Progress, device_results, nornir_for
from govnet.tasks.render import RenderError, render_device
from govnet.tasks.result import DeviceResult, Status
from govnet.tasks.safe_send import READ_TIMEOUT, ROUTEROS_EXPORT, SAFE_PLATFORMS, apply_change

#: Read-only commands a session may run in dry run (prefixes).
READ_ONLY = ("show ", "display ", "/export", "/print")

#: (network, device name, commit=...) -> a Netmiko connection of the caller's (guarded like any)
OpenSession = Callable[..., Any]


class DryRunRefusedError(GovnetError):
    """A configuration change was attempted on a dry-run session."""


class GuardedSession:
    """A Netmiko connection that refuses every change unless it was opened to commit."""

    def __init__(self, connection: Any, *, commit: bool) -> None:
        self._connection = connection
        self.commit = commit

    def send_command(self, command_string: str, **kwargs: Any) -> str:
        """A read-only command (refused in dry run when it does not look read-only)."""
        if not self.commit and not command_string.lstrip().startswith(READ_ONLY):
            raise DryRunRefusedError(
                f"dry run: refusing to send '{command_string}'", hint="read-only commands only; add --commit"
            )
        return str(self._connection.send_command(command_string, **kwargs))

    def send_config_set(self, config_commands: Sequence[str], **kwargs: Any) -> str:
        """Enter configuration mode and send ``config_commands`` (never in dry run)."""
        if not self.commit:
            raise DryRunRefusedError("dry run: refusing to enter configuration mode", hint="add --commit")
        return str(self._connection.send_config_set(list(config_commands), **kwargs))

    def save_config(self, **kwargs: Any) -> str:
        """Make the change the startup configuration (never in dry run)."""
        if not self.commit:
            raise DryRunRefusedError("dry run: refusing to save the configuration", hint="add --commit")
        return str(self._connection.save_config(**kwargs))

    def exit_config_mode(self) -> str:
        """Leave configuration mode (never in dry run: a dry run never enters it)."""
        if not self.commit:
            raise DryRunRefusedError("dry run: no configuration mode to leave", hint="add --commit")
        return str(self._connection.exit_config_mode())

    def send_control(self, text: str, expect: str | None) -> str:
        """Type a control key (RouterOS' Ctrl-X for safe mode, Ctrl-D) and Enter, then read up to
        ``expect`` (nothing when the key ends the session); never in dry run."""
        if not self.commit:
            raise DryRunRefusedError("dry run: refusing to type a control key", hint="add --commit")
        self._connection.write_channel(text + self._connection.RETURN)
        if expect is None:  # the key ends the session: wait (bounded) until the device closed it
            deadline = time.monotonic() + 15
            with contextlib.suppress(Exception):
                while time.monotonic() < deadline and self._connection.is_alive():
                    self._connection.read_channel()
                    time.sleep(0.2)
            return ""
        return str(self._connection.read_until_pattern(pattern=expect, read_timeout=30))

    def enable(self) -> None:
        """Privileged mode (reading needs it on some platforms; it changes nothing)."""
        self._connection.enable()

    def disconnect(self) -> None:
        """Close the SSH session."""
        self._connection.disconnect()


def guarded(task: Task, network: Network, opener: OpenSession | None = None) -> GuardedSession:
    """The host's Netmiko session (``host.get_connection``), guarded by Nornir's dry-run flag."""
    host = task.host
    commit = not task.is_dry_run()
    if NETMIKO not in host.connections:
        if opener is not None:
            host.connections[NETMIKO] = Opened(opener(network, host.name, commit=commit))
        else:
            check_target(str(host.hostname))
    if NETMIKO not in host.connections:
        host.get_connection(NETMIKO, task.nornir.config)
    session = host.connections[NETMIKO].connection
    if not isinstance(session, GuardedSession):
        session = GuardedSession(session, commit=commit)
        host.connections[NETMIKO] = Opened(session)
    return session


def reopen_session(task: Task, network: Network, opener: OpenSession | None = None) -> GuardedSession:
    """Close the host's Netmiko session (if it still can be) and open a new one, guarded alike."""
    with contextlib.suppress(Exception):
        task.host.close_connection(NETMIKO)
    task.host.connections.pop(NETMIKO, None)
    return guarded(task, network, opener)


def open_session(network: Network, name: str, *, commit: bool) -> GuardedSession:
    """A guarded Netmiko session to a device, opened by its Nornir host (inventory credential)."""
    nr = nornir_for(network, dry_run=not commit)
    host = nr.inventory.hosts[name]
    check_target(str(host.hostname))
    return GuardedSession(host.get_connection(NETMIKO, nr.config), commit=commit)


def running_command(platform: str) -> str:
    """The command that prints the running configuration on a platform.

    >>> running_command("frr"), running_command("huawei_vrp"), running_command("mikrotik_routeros")
    ('show running-config', 'display current-configuration', '/export show-sensitive')
    """
    return {"huawei_vrp": "display current-configuration", "mikrotik_routeros": ROUTEROS_EXPORT}.get(
        platform, "show running-config"
    )


def _sub(task: Task, fn: Callable[..., Result], **kwargs: Any) -> str:
    try:
        return str(task.run(task=fn, severity_level=logging.DEBUG, **kwargs)[0].result)
    except NornirSubTaskError as exc:
        first = exc.result[0] if isinstance(exc.result, list) else exc.result
        if isinstance(first.exception, Exception):
            raise first.exception from None
        raise


#: nornir_netmiko's save passes ``confirm=False``, which overrides Netmiko's own VRP default: VRP's
#: ``save`` asks "[Y/N]" and would wait (found with the simulator, tests/test_netmiko_simulators.py).
SAVE_OPTIONS: dict[str, dict[str, Any]] = {"huawei_vrp": {"confirm": True, "confirm_response": "y"}}
#: Platforms that keep every change by themselves; Netmiko's save there would send IOS's
#: ``copy running-config startup-config`` (RouterOS).
NO_SAVE = frozenset({"mikrotik_routeros"})


def _send(task: Task, network: Network, lines: Sequence[str], opener: OpenSession | None) -> DeviceResult:
    name = task.host.name
    platform = network.devices[name].platform
    masked = [line for line in lines if MASK in line]
    if masked:
        raise GovnetError(
            f"the line '{shown(masked[0], 60)}' holds the mask {MASK}: sent, it would become the "
            "device's key; nothing was sent",
            hint="give the real value (from the secrets store) on the command line",
        )
    guarded(task, network, opener)
    show = running_command(platform)
    before = _sub(task, netmiko_send_command, command_string=show, read_timeout=READ_TIMEOUT)
    missing = missing_lines(platform, lines, before)
    diff = "".join(f"+{line}\n" for line in missing)
    if not missing:
        return DeviceResult(name, "unchanged")
    if task.is_dry_run():
        return DeviceResult(name, "changed", diff)
    if platform in SAFE_PLATFORMS:  # all or nothing, the platform's own way (tasks/safe_send.py)
        status, error = apply_change(
            guarded(task, network, opener),
            platform,
            missing,
            before=before,
            not_shown=lambda now: missing_lines(platform, lines, now),
            reopen=lambda: reopen_session(task, network, opener),
        )
        return DeviceResult(name, status, diff, error)
    output = _sub(task, netmiko_send_config, config_commands=missing, enable=False, dry_run=False)
    rejected = [shown(ln.strip(), 200) for ln in output.splitlines() if ln.lstrip().startswith("%")]
    after = _sub(task, netmiko_send_command, command_string=show, read_timeout=READ_TIMEOUT)
    absent = missing_lines(platform, lines, after)
    if rejected or absent:
        what = "; ".join(rejected) or f"not in the running config afterwards: {absent}"
        if platform in UNDO_PLATFORMS:  # the lines that took are taken back (nothing was saved)
            status, left = _undo(task, platform, show, after, before)
            return DeviceResult(name, status, diff, what if left is None else f"{what}; {left}")
        return DeviceResult(name, "failed", diff, what)
    if platform not in NO_SAVE:
        _sub(task, netmiko_save_config, **SAVE_OPTIONS.get(platform, {}))
    return DeviceResult(name, "changed", diff)


def _undo(task: Task, platform: str, show: str, after: str, before: str) -> tuple[Status, str | None]:
    """Take a half-applied change back (a CLI without transactions, FRR's vtysh: the lines before
    a refused one took) and read the device back: ``rolled_back`` when its running config is the
    one before, else ``failed`` with how it differs ("state unknown"). Nothing was saved, so the
    startup configuration is the one before either way."""
    back = undo_lines(platform, after, before)
    try:
        if back:  # judged by the read-back, not by what the CLI answers
            _sub(task, netmiko_send_config, config_commands=back, enable=False, dry_run=False)
        now = _sub(task, netmiko_send_command, command_string=show, read_timeout=READ_TIMEOUT)
    except Exception as exc:  # the session broke: what the device holds now is not known
        return "failed", f"taking it back failed ({type(exc).__name__}): the device's state is unknown"
    if same_config(platform, now, before):
        return "rolled_back", None
    still = undo_lines(platform, now, before)
    return "failed", f"taking it back left the device in a state unknown: it still differs by {still[:6]}"


def _device_result(task: Task, work: Callable[[], DeviceResult]) -> Result:
    """``work()`` as the device's result, timed: an error fails this device alone (SSH, Netmiko,
    timeouts; the others go on), and its connections are closed whatever happens."""
    start = time.monotonic()
    try:
        outcome = work()
    except GovnetError as exc:
        outcome = DeviceResult(task.host.name, "failed", "", exc.message)
    except Exception as exc:  # one device's result; the others go on
        outcome = DeviceResult(task.host.name, "failed", "", f"{type(exc).__name__}: {exc}")
    finally:
        close_all(task)
    outcome.seconds = time.monotonic() - start
    return Result(host=task.host, result=outcome, failed=outcome.failed)


def send_host(
    task: Task, network: Network, lines: Sequence[str], opener: OpenSession | None = None
) -> Result:
    """The Nornir task: send the ``lines`` the device does not have yet; report per device.

    ``unchanged`` when every line is there already; in dry run ``changed`` lists what would be
    sent and nothing is; otherwise the lines are sent, saved, and the running configuration read
    again to check they took (a line the device rejects is named). A failed change is undone and
    read back (``rolled_back``; ``failed`` when the device is not as before).
    """
    return _device_result(task, lambda: _send(task, network, lines, opener))


def send_all(
    network: Network,
    names: list[str],
    lines: Sequence[str],
    *,
    commit: bool,
    workers: int = 16,
    progress: Callable[[DeviceResult], None] | None = None,
    opener: OpenSession | None = None,
) -> list[DeviceResult]:
    """Send ``lines`` to every device in ``names`` at once (dry run unless ``commit``); masked."""
    processors: list[Processor] = [MaskSecrets(network.secrets.plain_values()), LogResults(network, "send")]
    if progress:
        processors.append(Progress(progress))
    nr = nornir_for(network, workers=workers, dry_run=not commit).filter(F(name__any=names))
    outcome = nr.with_processors(processors).run(
        task=send_host, network=network, lines=list(lines), opener=opener, on_failed=True
    )
    return device_results(outcome, names)


def send_lines(
    network: Network,
    name: str,
    lines: Sequence[str],
    *,
    commit: bool,
    connect: OpenSession | None = None,
) -> DeviceResult:
    """:func:`send_all` for one device."""
    return send_all(network, [name], lines, commit=commit, workers=1, opener=connect)[0]


def _plan(task: Task, network: Network, config: str | None, opener: OpenSession | None) -> DeviceResult:
    name = task.host.name
    platform = network.devices[name].platform
    if platform not in REMEDIATION_PLATFORMS:  # said before anything is contacted
        return DeviceResult(
            name,
            "failed",
            error=f"no remediation for platform '{platform}' (only {', '.join(REMEDIATION_PLATFORMS)}): "
            "use 'govnet provision diff'; nothing was contacted",
        )
    try:
        intended = config if config is not None else render_device(network, name, secrets=True)
    except RenderError as exc:
        return DeviceResult(name, "failed", error=exc.message)
    guarded(task, network, opener)
    running = _sub(
        task, netmiko_send_command, command_string=running_command(platform), read_timeout=READ_TIMEOUT
    )
    lines = remediation(platform, running, intended)
    return DeviceResult(name, "changed" if lines else "unchanged", "".join(f"+{line}\n" for line in lines))


def plan_host(
    task: Task,
    network: Network,
    configs: dict[str, str] | None = None,
    opener: OpenSession | None = None,
) -> Result:
    """The Nornir task (dry run only): the remediation from the device's running configuration to
    its intended one, from hier-config (IOS and VRP: ``no``/``undo`` for what goes, sections
    closed), read over the guarded Netmiko session; the intent is rendered with the real secrets
    in memory so that only real differences show, and the report is masked like every other."""
    name = task.host.name
    if not task.is_dry_run():
        raise DryRunRefusedError(f"{name}: a remediation plan is a dry run", hint="run it with dry_run")
    config = configs.get(name) if configs is not None else None
    return _device_result(task, lambda: _plan(task, network, config, opener))


def plan_all(
    network: Network,
    names: list[str],
    *,
    workers: int = 16,
    configs: dict[str, str] | None = None,
    opener: OpenSession | None = None,
) -> list[DeviceResult]:
    """The remediation plan of every device in ``names`` (a dry run: nothing can be changed)."""
    nr = nornir_for(network, workers=workers, dry_run=True).filter(F(name__any=names))
    masked = nr.with_processors([MaskSecrets(network.secrets.plain_values()), LogResults(network, "plan")])
    outcome = masked.run(task=plan_host, network=network, configs=configs, opener=opener, on_failed=True)
    return device_results(outcome, names)
