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
  confirmed only when the running configuration shows every line sent, section by section
  (:func:`not_taken`); a refused
  line, a line not shown or a lost session undoes the whole change and the device is read back
  against the configuration from before.

The intent holds the real secrets (in memory); every result leaves the task masked.
"""

from __future__ import annotations

import itertools
import re

from nornir.core.task import Task

from govnet.inventory.network import Network
from govnet.tasks.config_lines import missing_lines, remediation
from govnet.tasks.netmiko_send import OpenSession, guarded, reopen_session
from govnet.tasks.result import DeviceResult
from govnet.tasks.safe_send import apply_change, read_running

#: Lines hier-config adds to close a section: not configuration, never "not shown".
_SECTION_ENDS = {"exit", "quit"}


def plan_lines(platform: str, running: str, intended: str) -> list[str]:
    r"""What to send to take ``running`` to ``intended`` on a vendor platform.

    >>> plan_lines("mikrotik_routeros", "/system identity set name=r1", '/system identity set name="r1"')
    []
    >>> running = "interface Gi0/1\n description x\n"
    >>> plan_lines("cisco_ios", running, running + " no shutdown\n")
    []
    """
    if platform == "mikrotik_routeros":
        return missing_lines(platform, intended.splitlines(), running)
    lines = remediation(platform, running, intended)
    # a negation the device never shows (IOS' "no shutdown") stays in every remediation: when
    # every line already holds, there is nothing to send
    return lines if not_taken(platform, lines, running) else []


def not_taken(platform: str, sent: list[str], running: str) -> list[str]:
    r"""The lines of ``sent`` the ``running`` configuration does not show, section by section
    (:func:`govnet.tasks.config_lines.missing_lines`): a ``no X``/``undo X`` holds when ``X`` is
    absent from its section (IOS never shows ``no shutdown``), unless a line sent with it sets
    ``X`` again (VRP's ``undo description`` then ``description new``).

    >>> running = "interface Gi0/1\n description new\nntp server 198.18.0.2\n"
    >>> not_taken("cisco_ios", ["interface Gi0/1", " no shutdown", " description new", " exit",
    ...                         "logging host 198.18.0.3"], running)
    ['logging host 198.18.0.3']
    >>> not_taken("huawei_vrp", ["interface GE0/0/1", " undo description", " description new", " quit"],
    ...           "interface GE0/0/1\n description new\n")
    []
    """
    wanted = [line for line in sent if line.strip() not in _SECTION_ENDS]
    missing = missing_lines(platform, wanted, running)
    if platform == "mikrotik_routeros":
        return missing

    def reset(line: str) -> bool:
        negated = re.match(r"(\s*)(?:no|undo) (.*)", line)
        if negated is None:
            return False
        indent, positive = negated.groups()
        return any(w.startswith(f"{indent}{positive} ") or w == f"{indent}{positive}" for w in wanted)

    left = [line for line in missing if not reset(line)]
    # a section line is there to place its children: reported only with a child left under it
    headers = {line for line, below in itertools.pairwise(wanted) if below != below.lstrip()}
    return [
        line
        for index, line in enumerate(left)
        if line not in headers or (index + 1 < len(left) and left[index + 1] != left[index + 1].lstrip())
    ]


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
        not_shown=lambda now: not_taken(platform, lines, now),
        reopen=lambda: reopen_session(task, network, opener),
        seconds=revert_in,
    )
    return DeviceResult(name, status, diff, error)
