"""Which configuration lines a device does not have yet, section by section (hier-config).

A configuration line means something only inside its section: `` shutdown`` under
``interface eth1`` is not `` shutdown`` under ``interface eth2``. The running configuration and
the lines to send are both parsed into trees with hier-config (the platform's own parser rules),
and a line counts as present only when the running tree has it under the same parents. What is
missing is given back with its parents, so that a child line is never sent in the wrong
context (global configuration mode, where it would mean something else or fail).

A ``no ...`` (VRP: ``undo ...``) line holds when its positive form is absent in its section
(``no shutdown`` holds when no ``shutdown`` is there; ``no description`` when no ``description ...``
is).

MikroTik RouterOS is not indented but organised by menu paths (``/ip route`` then ``add ...``):
each line is read as its full command (``/ip route add ...``) and compared whole, its values in
one spelling (quoted or bare: :func:`routeros_canonical`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hier_config import HConfig, HConfigChild, Platform, get_hconfig, get_hconfig_driver
from hier_config.models import PerLineSubRule
from hier_config.platforms.driver_base import HConfigDriverBase

from govnet.errors import GovnetError
from govnet.inventory.text import shown
from govnet.tasks.escape import ros_str, ros_unquote

#: govnet platform -> hier-config platform (FRR's vtysh syntax is IOS-like).
_PLATFORMS = {
    "frr": Platform.CISCO_IOS,
    "cisco_ios": Platform.CISCO_IOS,
    "huawei_vrp": Platform.HUAWEI_VRP,
}

#: FRR closes each section with ``exit`` (and a VRF with `` exit-vrf``): block ends, not lines.
_FRR_SECTION_ENDS = ("^exit$", "^ exit-vrf$")


def _driver(platform: str) -> HConfigDriverBase:
    """The hier-config driver for a govnet platform, indenting one space per level as the
    platforms' own running configurations do."""
    driver = get_hconfig_driver(_PLATFORMS.get(platform, Platform.GENERIC))
    subs = list(driver.rules.per_line_sub)
    if platform == "frr":
        subs.extend(PerLineSubRule(search=s, replace="") for s in _FRR_SECTION_ENDS)
    driver.rules = driver.rules.model_copy(update={"indentation": 1, "per_line_sub": subs})
    return driver


def config_tree(platform: str, text: str) -> HConfig:
    """A configuration parsed into its sections (hier-config)."""
    return get_hconfig(_driver(platform), text)


def _lines_tree(platform: str, lines: Sequence[str]) -> HConfig:
    """The lines to send as a tree; an indented first line has no section to belong to."""
    given = [line.rstrip() for line in lines if line.strip()]
    if given and given[0] != given[0].lstrip():
        raise GovnetError(
            f"the first line '{shown(given[0], 60)}' is indented but has no section above it",
            hint="give the section's line first, e.g. --line 'interface eth2' --line ' description x'",
        )
    try:
        return config_tree(platform, "\n".join(given))
    except Exception as exc:  # hier-config's parse errors (duplicate section, bad indentation)
        raise GovnetError(f"cannot read the lines to send: {exc}", hint="check their indentation") from exc


def _holds_negation(have: HConfig | HConfigChild | None, positive: str) -> bool:
    """Whether ``no <positive>`` holds in a section: no line there is ``positive`` or starts with it."""
    if have is None:
        return True
    return not any(c.text == positive or c.text.startswith(positive + " ") for c in have.children)


def _delta(wanted: HConfig | HConfigChild, have: HConfig | HConfigChild | None) -> list[str]:
    out: list[str] = []
    for child in wanted.children:
        if child.text.startswith(("no ", "undo ")):  # IOS and FRR; VRP
            if not _holds_negation(have, child.text.split(" ", 1)[1]):
                out.extend(child.lines())
            continue
        match = have.get_child(equals=child.text) if have is not None else None
        if match is None:
            out.extend(child.lines())
            continue
        below = _delta(child, match)
        if below:
            out.append(child.cisco_style_text())
            out.extend(below)
    return out


def _routeros_commands(text: str) -> list[str]:
    """RouterOS lines as full commands: ``/ip route`` then ``add x`` gives ``/ip route add x``."""
    joined = text.replace("\\\r\n", "").replace("\\\n", "")
    path = ""
    commands = []
    for raw in joined.splitlines():
        line = " ".join(raw.split())
        if not line or line.startswith("#"):
            continue
        if line.startswith("/"):
            head, _, rest = line.partition(" ")
            words = rest.split(" ")
            # "/ip route" is a menu; "/ip route add x=1" a whole command (menu words have no '=')
            verbs = next((i for i, w in enumerate(words) if "=" in w or w in _ROS_VERBS), None)
            if not rest or verbs is None:
                path = line
                continue
            path = " ".join([head, *words[:verbs]])
            commands.append(" ".join([path, *words[verbs:]]))
        else:
            commands.append(f"{path} {line}".strip())
    return commands


_ROS_VERBS = {"add", "set", "remove", "enable", "disable", "print", "export"}
#: One word of a RouterOS command: bare characters and double-quoted strings, escapes included.
_ROS_WORD = re.compile(r'(?:[^\s"]|"(?:[^"\\]|\\.)*")+')


def routeros_canonical(command: str) -> str:
    """A RouterOS command with each ``name=value`` in one spelling, so that the same command
    compares equal however it is quoted: RouterOS' ``/export`` writes a value bare when it can,
    govnet's templates always quote (:func:`govnet.tasks.escape.ros_str`).

    >>> routeros_canonical('/system identity set name="core-01"') == routeros_canonical(
    ...     "/system identity set name=core-01")
    True
    """
    words = []
    for word in _ROS_WORD.findall(command):
        name, eq, value = word.partition("=")
        words.append(f"{name}={ros_str(ros_unquote(value))}" if eq and name else word)
    return " ".join(words)


def missing_lines(platform: str, lines: Sequence[str], running: str) -> list[str]:
    """The configuration ``lines`` that ``running`` does not have yet, each with its section.

    >>> running = "interface eth1\\n description x\\n shutdown\\nexit\\ninterface eth2\\nexit\\n"
    >>> missing_lines("frr", ["interface eth2", " description x", " shutdown"], running)
    ['interface eth2', ' description x', ' shutdown']
    >>> missing_lines("frr", ["interface eth1", " no shutdown"], running)
    ['interface eth1', ' no shutdown']
    >>> missing_lines("frr", ["interface eth1", " description x"], running)
    []
    """
    if platform == "mikrotik_routeros":
        present = {routeros_canonical(c) for c in _routeros_commands(running)}
        return [c for c in _routeros_commands("\n".join(lines)) if routeros_canonical(c) not in present]
    return _delta(_lines_tree(platform, lines), config_tree(platform, running))


#: Platforms whose remediation hier-config computes (its own negation and idempotency rules).
#: Platforms whose CLI changes can be undone by sending hier-config's way back (``no`` lines).
UNDO_PLATFORMS = ("frr",)


def undo_lines(platform: str, now: str, before: str) -> list[str]:
    """What to send to take the running config ``now`` back to ``before`` (for a CLI without a
    transaction of its own: FRR's vtysh, where the lines before a refused one are applied).

    >>> before = "ip route 198.19.1.0/24 Null0\\n"
    >>> undo_lines("frr", before + "ip route 198.19.2.0/24 Null0\\n", before)
    ['no ip route 198.19.2.0/24 Null0']
    >>> undo_lines("frr", before, before)
    []
    """
    if platform not in UNDO_PLATFORMS:
        raise GovnetError(f"no undo for platform '{platform}'", hint=f"only for {', '.join(UNDO_PLATFORMS)}")
    delta = config_tree(platform, now).config_to_get_to(config_tree(platform, before))
    return list(delta.dump_simple(sectional_exiting=True))


def same_config(platform: str, one: str, other: str) -> bool:
    """Whether two running configs hold the same lines in the same sections (hier-config).

    >>> same_config("frr", "interface eth1\\n description x\\nexit\\n", "interface eth1\\n description x\\n")
    True
    >>> same_config("frr", "ip route 198.19.1.0/24 Null0\\n", "")
    False
    """
    a, b = config_tree(platform, one), config_tree(platform, other)
    return not list(a.config_to_get_to(b).dump_simple()) and not list(b.config_to_get_to(a).dump_simple())


REMEDIATION_PLATFORMS = ("cisco_ios", "huawei_vrp")


def remediation(platform: str, running: str, intended: str) -> list[str]:
    """What to send to go from ``running`` to ``intended`` (hier-config), sections closed.

    Lines only in ``running`` are negated the platform's way (``no`` on IOS, ``undo`` on VRP),
    lines only in ``intended`` are added under their sections, and a line the platform replaces
    in place (an IOS interface ``description``) is sent without negating the old one first.

    >>> running = "interface Gi0/1\\n description old\\n!\\nip route 198.19.0.0 255.255.255.0 Null0\\n"
    >>> remediation("cisco_ios", running, "interface Gi0/1\\n description new\\n!\\n")
    ['no ip route 198.19.0.0 255.255.255.0 Null0', 'interface Gi0/1', ' description new', ' exit']
    """
    if platform not in REMEDIATION_PLATFORMS:
        raise GovnetError(
            f"no remediation for platform '{platform}'",
            hint=f"hier-config remediation is used for {', '.join(REMEDIATION_PLATFORMS)}",
        )
    delta = config_tree(platform, running).config_to_get_to(config_tree(platform, intended))
    return list(delta.dump_simple(sectional_exiting=True))
