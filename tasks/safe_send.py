"""A change sent over a vendor's CLI, all or nothing, the platform's own way (Cisco IOS, Huawei VRP,
MikroTik RouterOS).

Each platform has its own safety net, and a change goes through it in the same four steps:
*prepare* (what the net needs, checked or made before anything is sent), *send* (line by line; the
first line the device refuses stops the change, named), *stage* (the change runs, still undoable),
*confirm* (only after the running configuration was read back and shows every line). Anything that
goes wrong after *prepare* is *undone*, and the running configuration is read again and compared
line by line with the one from before: the same gives ``rolled_back``, anything else ``failed``
with "device state unknown".

* **Cisco IOS** (Cisco IOS XE *Configuration Replace and Configuration Rollback*,
  https://www.cisco.com/c/en/us/td/docs/ios-xml/ios/config-mgmt/configuration/xe-16/config-mgmt-xe-16-book/cm-config-rollback.html):
  *prepare* ``show archive`` must name the next archive file (``archive`` / ``path`` configured:
  the rollback needs it); *send* in ``configure terminal revert timer <minutes>``, which archives the
  running configuration first and rolls back to it when the timer runs out; *confirm*
  ``configure confirm`` then ``write memory``; *undo* ``configure revert now`` (the archived
  configuration, at once).
* **Huawei VRP** (VRP8 two-stage commit, *Configuration Guide - Basic Configuration*, "Committing
  the Configuration"; command reference: ``commit``, ``commit trial``, ``abort``, ``rollback
  configuration``): *send* in ``system-view``, which edits a candidate only; *stage* ``commit trial
  <seconds>`` (the device rolls back by itself unless confirmed in time); *confirm* ``commit`` then
  ``save``; *undo* ``abort`` before the trial (the candidate discarded: running never changed),
  ``rollback configuration last 1`` after it.
* **MikroTik RouterOS** (RouterOS manual, *Console*: "Safe Mode"; *Backup*: ``/system backup
  save``): *prepare* ``/system backup save name=govnet-<time>``; *send* in safe mode (Ctrl-X: every
  change is undone if the session ends abnormally); *confirm* Ctrl-X again (safe mode released);
  *undo* Ctrl-D (the session ends and the safe-mode changes are undone; a new session reads back).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from netmiko.exceptions import ConfigInvalidException

from govnet.errors import GovnetError
from govnet.inventory.text import shown
from govnet.tasks.result import Status

#: Platforms whose changes go through :func:`apply_change`.
SAFE_PLATFORMS = ("cisco_ios", "huawei_vrp", "mikrotik_routeros")

#: What each platform prints when it refuses a line.
ERROR_PATTERNS = {
    "cisco_ios": r"^%.*$",
    "huawei_vrp": r"^Error:.*$",
    "mikrotik_routeros": r"^(?:bad command name|expected |syntax error|failure:|input does not match|"
    r"no such item|invalid value|ambiguous value).*$",
}
#: RouterOS 7's ``/export`` leaves passwords and keys out unless asked (RouterOS manual, Configuration
#: Management, "show-sensitive"): without them a key line would never read back as sent.
ROUTEROS_EXPORT = "/export show-sensitive"
#: RouterOS' prompt, in and out of safe mode (``[admin@r1] >``, ``[admin@r1] <SAFE>``).
ROUTEROS_PROMPT = r"\]\s*(?:>|<SAFE>)"
SAME_AS_BEFORE = "the running config is the one from before (read back, line by line)"
#: Seconds a command that reads or writes the whole configuration may take to answer.
READ_TIMEOUT = 60.0
#: Seconds a RouterOS undo is waited for (read again from new sessions) before "state unknown".
UNROLL_WAIT = 30.0


class Session(Protocol):
    """What a change needs of a CLI session (:class:`govnet.tasks.netmiko_send.GuardedSession`)."""

    def send_command(self, command_string: str, **kwargs: Any) -> str: ...
    def send_config_set(self, config_commands: Sequence[str], **kwargs: Any) -> str: ...
    def save_config(self, **kwargs: Any) -> str: ...
    def exit_config_mode(self) -> str: ...
    def send_control(self, text: str, expect: str | None) -> str: ...


class RefusedLineError(Exception):
    """The device refused a line of the change.

    Both the line and the device's answer are shown escaped (:func:`govnet.inventory.text.shown`):
    the answer echoes what was sent and marks the offending character, so a control character or an
    escape sequence in it would otherwise reach the operator's terminal as it is.
    """

    def __init__(self, line: str, answer: str) -> None:
        super().__init__(f"the device refused the line '{shown(line, 80)}': {shown(answer, 200)}")
        self.line = line
        self.answer = answer


def _refused(exc: ConfigInvalidException, lines: Sequence[str]) -> RefusedLineError:
    """Netmiko's "Invalid input detected at command: X, matched error: Y" as the line and answer."""
    text = str(exc)
    found = re.search(r"at command: (.*), matched error: (.*)", text, re.S)
    if found is None:
        return RefusedLineError(lines[0] if lines else "", text)
    return RefusedLineError(found.group(1).strip(), found.group(2).strip())


class Way(Protocol):
    """One platform's safety net (see the module docstring)."""

    def prepare(self, session: Session) -> None: ...
    def send(self, session: Session, lines: Sequence[str]) -> None: ...
    def stage(self, session: Session) -> None: ...
    def confirm(self, session: Session) -> None: ...
    def undo(self, session: Session, staged: bool) -> str: ...


@dataclass
class Ios:
    """Cisco IOS: archive checked, ``configure terminal revert timer``, ``configure confirm``."""

    seconds: int

    def prepare(self, session: Session) -> None:
        """``show archive`` must name the next archive file: without ``archive`` / ``path`` IOS
        cannot roll a change back (Cisco: "Configuration Archive" is a prerequisite of rollback)."""
        if "The next archive file will be named" not in session.send_command("show archive"):
            raise GovnetError(
                "the configuration archive is not set up on the device: IOS cannot roll a change "
                "back without it; nothing was sent",
                hint="configure 'archive' with 'path flash:archive' (Cisco: Configuration Replace "
                "and Configuration Rollback), then push again",
            )

    def send(self, session: Session, lines: Sequence[str]) -> None:
        """The lines in ``configure terminal revert timer <minutes>`` (1-120), stopping at the
        first ``%`` answer."""
        minutes = min(120, max(1, math.ceil(self.seconds / 60)))
        try:
            session.send_config_set(
                lines,
                config_mode_command=f"configure terminal revert timer {minutes}",
                error_pattern=ERROR_PATTERNS["cisco_ios"],
            )
        except ConfigInvalidException as exc:
            raise _refused(exc, lines) from None

    def stage(self, session: Session) -> None:
        """Nothing: the change runs already, the revert timer pending."""

    def confirm(self, session: Session) -> None:
        """``configure confirm`` (the revert timer stopped), then ``write memory``."""
        session.send_command("configure confirm")
        session.save_config()

    def undo(self, session: Session, staged: bool) -> str:
        """Out of configuration mode, then ``configure revert now``."""
        try:
            session.exit_config_mode()
        finally:
            session.send_command("configure revert now")
        return "rolled back to the archived configuration (configure revert now)"


@dataclass
class Vrp:
    """Huawei VRP two-stage commit: candidate, ``commit trial``, ``commit``, ``abort``."""

    seconds: int

    def prepare(self, session: Session) -> None:
        """Nothing to set up: VRP8's ``system-view`` edits a candidate."""

    def send(self, session: Session, lines: Sequence[str]) -> None:
        """The lines into the candidate (``system-view``), stopping at the first ``Error:``."""
        try:
            session.send_config_set(lines, exit_config_mode=False, error_pattern=ERROR_PATTERNS["huawei_vrp"])
        except ConfigInvalidException as exc:
            raise _refused(exc, lines) from None

    def stage(self, session: Session) -> None:
        """``commit trial <seconds>``: the candidate runs, rolled back unless confirmed in time."""
        answer = session.send_command(f"commit trial {max(60, self.seconds)}")
        if re.search(ERROR_PATTERNS["huawei_vrp"], answer, re.M):
            raise GovnetError(f"commit trial refused: {shown(answer.strip(), 200)}")
        session.exit_config_mode()

    def confirm(self, session: Session) -> None:
        """``commit`` (the trial confirmed), back to the user view, ``save``."""
        session.send_config_set(["commit"], exit_config_mode=True)
        session.save_config(confirm=True, confirm_response="y")

    def undo(self, session: Session, staged: bool) -> str:
        """``abort`` (the candidate discarded) or, after the trial, ``rollback configuration last 1``."""
        if not staged:
            session.send_command("abort")
            return "the candidate was discarded (abort): nothing was committed"
        session.send_command("rollback configuration last 1")
        return "the trial commit was rolled back (rollback configuration last 1)"


@dataclass
class RouterOs:
    """MikroTik RouterOS: a backup, then safe mode (Ctrl-X), released after verification."""

    seconds: int

    def prepare(self, session: Session) -> None:
        """``/system backup save`` first (the device's own copy to restore from by hand), then safe
        mode taken (Ctrl-X; refused when another session holds it)."""
        name = time.strftime("govnet-%Y%m%d-%H%M%S", time.gmtime())
        answer = session.send_command(
            f"/system backup save name={name}", expect_string=ROUTEROS_PROMPT, read_timeout=READ_TIMEOUT
        )
        if "backup saved" not in answer.lower():
            raise GovnetError(
                f"the device did not save a backup before the change ({shown(answer.strip(), 120)}); "
                "nothing was sent",
                hint="check free space and the user's 'sensitive' policy on the device",
            )
        taken = session.send_control("\x18", expect=r"<SAFE>|Hijacking")
        if "<SAFE>" not in taken:
            session.send_control("d", expect=ROUTEROS_PROMPT)  # "don't take it"
            raise GovnetError(
                "safe mode could not be taken (another session holds it); nothing was sent",
                hint="wait until the other session releases safe mode",
            )

    def send(self, session: Session, lines: Sequence[str]) -> None:
        """The lines in safe mode, stopping at the first refusal."""
        try:
            session.send_config_set(
                lines, error_pattern=ERROR_PATTERNS["mikrotik_routeros"], terminator=r"<SAFE>"
            )
        except ConfigInvalidException as exc:
            raise _refused(exc, lines) from None

    def stage(self, session: Session) -> None:
        """Nothing: the change runs, safe mode held."""

    def confirm(self, session: Session) -> None:
        """Ctrl-X again: safe mode released, the change kept (RouterOS keeps every change)."""
        session.send_control("\x18", expect=r"Safe Mode released")

    def undo(self, session: Session, staged: bool) -> str:
        """Ctrl-D: the session ends and every change made in safe mode is undone."""
        session.send_control("\x04", expect=None)
        return "safe mode left with Ctrl-D: its changes undone"


def way_for(platform: str, seconds: int) -> Way:
    """The safety net of a platform (:data:`SAFE_PLATFORMS`)."""
    ways: dict[str, Callable[[int], Way]] = {
        "cisco_ios": Ios,
        "huawei_vrp": Vrp,
        "mikrotik_routeros": RouterOs,
    }
    return ways[platform](seconds)


def read_running(session: Session, platform: str) -> str:
    """The running configuration (RouterOS: :data:`ROUTEROS_EXPORT`, in or out of safe mode)."""
    if platform == "mikrotik_routeros":
        return session.send_command(ROUTEROS_EXPORT, expect_string=ROUTEROS_PROMPT, read_timeout=READ_TIMEOUT)
    return session.send_command(
        "display current-configuration" if platform == "huawei_vrp" else "show running-config",
        read_timeout=READ_TIMEOUT,
    )


def same_config(before: str, now: str) -> bool:
    """Two running configurations line by line (trailing blanks and RouterOS' header aside)."""

    def lines(text: str) -> list[str]:
        return [ln.rstrip() for ln in text.strip().splitlines() if ln.strip() and not ln.startswith("# ")]

    return lines(before) == lines(now)


def apply_change(
    session: Session,
    platform: str,
    lines: Sequence[str],
    *,
    before: str,
    not_shown: Callable[[str], list[str]],
    reopen: Callable[[], Session],
    seconds: int = 120,
) -> tuple[Status, str | None]:
    """Send ``lines`` the platform's safe way (module docstring): ``("changed", None)`` once the
    running configuration shows them (``not_shown(running)`` is empty) and the change is confirmed;
    otherwise the change is undone and ``("rolled_back" | "failed", why)``.

    ``before`` is the running configuration read before (the undo is checked against it);
    ``reopen`` gives a new session when the undo ended this one (RouterOS' Ctrl-D).
    """
    way = way_for(platform, seconds)
    way.prepare(session)  # a GovnetError here: nothing was sent, the caller reports it
    staged = False
    try:
        way.send(session, lines)
        way.stage(session)
        staged = True
        missing = not_shown(read_running(session, platform))
        if missing:
            raise GovnetError(
                "the running config does not show the change: "
                + "; ".join(shown(m, 80) for m in missing[:6])
                + (f" (and {len(missing) - 6} more)" if len(missing) > 6 else "")
            )
        way.confirm(session)
        return "changed", None
    except Exception as exc:  # refused, not shown, or the session failed: undo, then read back
        reason = exc.message if isinstance(exc, GovnetError) else str(exc)
        return _undo(way, session, platform, staged, before, reason, reopen)


def _undo(
    way: Way,
    session: Session,
    platform: str,
    staged: bool,
    before: str,
    reason: str,
    reopen: Callable[[], Session],
) -> tuple[Status, str | None]:
    notes = []
    how = "not undone"
    try:
        how = way.undo(session, staged)
    except Exception as exc:
        notes.append(f"the undo failed: {exc}")
    # RouterOS undoes safe mode once the session that held it is gone: read it again from new
    # sessions for a while; the others answer at once.
    deadline = time.monotonic() + (UNROLL_WAIT if platform == "mikrotik_routeros" else 0)
    attempt, now = 0, None
    while True:
        try:
            reader = session if attempt == 0 and platform != "mikrotik_routeros" else reopen()
            now = read_running(reader, platform)
        except Exception as exc:
            notes.append(f"the running config could not be read back: {exc}")
        attempt += 1
        if now is not None and same_config(before, now):
            return "rolled_back", f"{reason}; {how}; {SAME_AS_BEFORE}"
        if attempt >= 2 and time.monotonic() >= deadline:
            break
        time.sleep(1 if platform == "mikrotik_routeros" else 0)
    if now is not None:
        notes.append(f"{how}, but the running config differs from the one before")
    return "failed", f"{reason}; device state unknown ({'; '.join(notes)})"
