"""``provision push`` for Cisco IOS, Huawei VRP and MikroTik RouterOS: the remediation from the
running configuration to the intended one, sent over the CLI the platform's safe way.

NAPALM's replace-and-commit-confirm (:mod:`govnet.tasks.provision`) needs a driver that can load a
whole candidate; these platforms get what a network engineer would type instead, computed and
checked by govnet, inside the platform's own safety net (:mod:`govnet.tasks.safe_send`):

* the running configuration is read over the guarded Netmiko session (dry run: read only);
* the lines to send: hier-config's remediation for IOS and VRP (``no``/``undo`` for what goes,
  sections closed), the intended RouterOS commands its ``/export`` does not show (RouterOS: added
  only; nothing the intent lacks is removed);
* dry run: those lines are the report (``changed``) and nothing else happens;
* otherwise :func:`govnet.tasks.safe_send.apply_change`: prepared, sent, staged, read back, and
  confirmed only when the running configuration shows every line sent (for IOS/VRP: the
  remediation computed again from the new running configuration holds none of them); a refused
  line, a line not shown or a lost session undoes the whole change and the device is read back
  against the configuration from before.

The intent holds the real secrets (in memory); every result leaves the task masked.
"""

from __future__ import annotations

from nornir.core.task import Task

from govnet.inventory.network import Network
from govnet.tasks.config_lines import missing_lines, remediation
from govnet.tasks.netmiko_send import OpenSession, guarded, reopen_session
from govnet.tasks.result import DeviceResult
from govnet.tasks.safe_send import apply_change, read_running

#: Lines hier-config adds to close a section: not configuration, never "not shown".
_SECTION_ENDS = {"exit", "quit"}


def plan_lines(platform: str, running: str, intended: str) -> list[str]:
    """What to send to take ``running`` to ``intended`` on a vendor platform.

    >>> plan_lines("mikrotik_routeros", "/system identity set name=r1", '/system identity set name="r1"')
    []
    """
    if platform == "mikrotik_routeros":
        return missing_lines(platform, intended.splitlines(), running)
    return remediation(platform, running, intended)


def not_taken(platform: str, sent: list[str], intended: str, running: str) -> list[str]:
    """The lines of ``sent`` the ``running`` configuration does not show.

    >>> running = "hostname r1\\nntp server 198.18.0.2\\n"
    >>> not_taken("cisco_ios", ["ntp server 198.18.0.2", "logging host 198.18.0.3"],
    ...           running + "logging host 198.18.0.3\\n", running)
    ['logging host 198.18.0.3']
    """
    if platform == "mikrotik_routeros":
        return missing_lines(platform, sent, running)
    wanted = {line for line in sent if line.strip() not in _SECTION_ENDS}
    return [line for line in plan_lines(platform, running, intended) if line in wanted]


def push_vendor(
    task: Task, network: Network, intended: str, revert_in: int, opener: OpenSession | None = None
) -> DeviceResult:
    """One device's push (or, under Nornir's dry run, its plan): see the module docstring."""
    name = task.host.name
    platform = network.devices[name].platform
    session = guarded(task, network, opener)
    before = read_running(session, platform)
    lines = plan_lines(platform, before, intended)
    diff = "".join(f"+{line}\n" for line in lines)
    if not lines:
        return DeviceResult(name, "unchanged")
    if task.is_dry_run():
        return DeviceResult(name, "changed", diff)
    status, error = apply_change(
        session,
        platform,
        lines,
        before=before,
        not_shown=lambda now: not_taken(platform, lines, intended, now),
        reopen=lambda: reopen_session(task, network, opener),
        seconds=revert_in,
    )
    return DeviceResult(name, status, diff, error)
