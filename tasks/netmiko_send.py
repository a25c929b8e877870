"""The Netmiko path: configuration lines sent over a plain CLI session, for platforms or
changes NAPALM has no path for.

Dry run is the default here too, and it is enforced below the task, not by it: the session is
wrapped in :class:`GuardedSession`, whose configuration methods raise :class:`DryRunRefusedError`
in dry run, so no code path can change a device by mistake. A dry run still reads the running
configuration and reports which lines would be sent (those not in it already).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from netmiko.exceptions import NetmikoBaseException
from paramiko.ssh_exception import SSHException

from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.inventory.platforms import netmiko_device_type
from govnet.safety import check_target
from govnet.tasks.provision import DeviceResult, device_context

log = logging.getLogger(__name__)

#: Read-only commands a session may run in dry run (prefixes).
READ_ONLY = ("show ", "display ", "/export", "/print")


class DryRunRefusedError(GovnetError):
    """A configuration change was attempted on a dry-run session."""


class GuardedSession:
    """A Netmiko connection that refuses every change unless it was opened to commit."""

    def __init__(self, connection: Any, *, commit: bool) -> None:
        self._connection = connection
        self.commit = commit

    def send_command(self, command: str) -> str:
        """A read-only command (refused in dry run when it does not look read-only)."""
        if not self.commit and not command.lstrip().startswith(READ_ONLY):
            raise DryRunRefusedError(
                f"dry run: refusing to send '{command}'", hint="read-only commands only; add --commit"
            )
        return str(self._connection.send_command(command))

    def send_config_set(self, lines: Sequence[str]) -> str:
        """Enter configuration mode and send ``lines`` (never in dry run)."""
        if not self.commit:
            raise DryRunRefusedError("dry run: refusing to enter configuration mode", hint="add --commit")
        return str(self._connection.send_config_set(list(lines)))

    def save_config(self) -> str:
        """Make the change the startup configuration (never in dry run)."""
        if not self.commit:
            raise DryRunRefusedError("dry run: refusing to save the configuration", hint="add --commit")
        return str(self._connection.save_config())

    def disconnect(self) -> None:
        """Close the SSH session."""
        self._connection.disconnect()


def open_session(network: Network, name: str, *, commit: bool) -> GuardedSession:
    """A guarded Netmiko session to a device, with its inventory SSH credential."""
    from netmiko import ConnectHandler

    dev = network.devices[name]
    cred = network.ssh_credential(name)
    check_target(str(dev.mgmt_ip))
    connection = ConnectHandler(
        device_type=netmiko_device_type(dev.platform),
        host=str(dev.mgmt_ip),
        port=cred.port,
        username=cred.username,
        password=network.secrets.get(cred.name, "password").get_secret_value(),
        timeout=30,
        fast_cli=False,
    )
    return GuardedSession(connection, commit=commit)


def running_command(platform: str) -> str:
    """The command that prints the running configuration on a platform.

    >>> running_command("frr"), running_command("huawei_vrp"), running_command("mikrotik_routeros")
    ('show running-config', 'display current-configuration', '/export')
    """
    return {"huawei_vrp": "display current-configuration", "mikrotik_routeros": "/export"}.get(
        platform, "show running-config"
    )


def in_effect(line: str, running: str) -> bool:
    """Whether a configuration line already holds in a running configuration (a ``no`` line
    holds when its positive form is absent).

    >>> cfg = "hostname r1\\nip route 198.19.0.0/28 Null0\\n"
    >>> in_effect("ip route 198.19.0.0/28 Null0", cfg), in_effect("no ip route 198.19.0.0/28 Null0", cfg)
    (True, False)
    """
    present = {ln.strip() for ln in running.splitlines()}
    text = line.strip()
    if text.startswith("no "):
        return text[3:] not in present
    return text in present


def send_lines(
    network: Network,
    name: str,
    lines: Sequence[str],
    *,
    commit: bool,
    connect: Callable[..., GuardedSession] = open_session,
) -> DeviceResult:
    """Send the configuration ``lines`` that the device does not have yet; report per device.

    ``unchanged`` when every line is there already; in dry run ``changed`` lists what would be
    sent and nothing is; with ``commit`` the lines are sent, saved, and the running configuration
    read again to check they took.
    """
    where = device_context(network, name)
    log.info("send started", extra={**where, "lines": len(lines), "commit": commit})
    result = _send_lines(network, name, lines, commit=commit, connect=connect)
    level = logging.ERROR if result.status == "failed" else logging.INFO
    log.log(level, "send result", extra={**where, "status": result.status, "error": result.error})
    return result


def _send_lines(
    network: Network,
    name: str,
    lines: Sequence[str],
    *,
    commit: bool,
    connect: Callable[..., GuardedSession],
) -> DeviceResult:
    start = time.monotonic()
    session = None
    try:
        session = connect(network, name, commit=commit)
        platform = network.devices[name].platform
        before = session.send_command(running_command(platform))
        missing = [line for line in lines if not in_effect(line, before)]
        diff = "".join(f"+{line}\n" for line in missing)
        if not missing:
            return DeviceResult(name, "unchanged", "", None, seconds=time.monotonic() - start)
        if not commit:
            return DeviceResult(name, "changed", diff, None, seconds=time.monotonic() - start)
        output = session.send_config_set(missing)
        rejected = [ln.strip() for ln in output.splitlines() if ln.lstrip().startswith("%")]
        after = session.send_command(running_command(platform))
        absent = [line for line in missing if not in_effect(line, after)]
        if rejected or absent:
            what = "; ".join(rejected) or f"not in the running config afterwards: {absent}"
            return DeviceResult(name, "failed", diff, what, seconds=time.monotonic() - start)
        session.save_config()
        return DeviceResult(name, "changed", diff, None, seconds=time.monotonic() - start)
    except GovnetError as exc:
        return DeviceResult(name, "failed", "", exc.message, seconds=time.monotonic() - start)
    except (NetmikoBaseException, SSHException, OSError) as exc:  # one device's result; others go on
        return DeviceResult(
            name, "failed", "", f"{type(exc).__name__}: {exc}", seconds=time.monotonic() - start
        )
    finally:
        if session is not None:
            session.disconnect()
