"""The last guard before a rendered configuration leaves govnet: its lines are the template's.

The inventory refuses text that could become syntax, and the templates quote what they write;
this guard does not trust either. :func:`render_device` renders each device twice: once with
the real context, once with every inventory value (:class:`govnet.tasks.context.FreeText` and
:class:`govnet.tasks.context.Word`) replaced by a marker made of letters and digits. The two results
must have the same lines: a line without a marker identical, a line with markers identical
outside them, a :class:`Word` one word free of command-line syntax (:data:`WORD`), a
:class:`FreeText` one line, a value inside a template's double quotes a RouterOS string body,
and no control, format or separator character anywhere. Anything else means a value added,
removed or split a command, and the configuration is refused
(:class:`govnet.tasks.render.RenderError`) before diff, push or lab.

A template must therefore not branch on inventory text (``{% if name == ... %}``): the marker
rendering would take another branch and the guard would refuse a sound configuration.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any

from govnet.inventory.text import shown
from govnet.tasks.context import FreeText, Word

_MARKER = re.compile(r"gvn[tw][0-9]+z")
#: What a :class:`Word` may render as: one bare word without the characters command lines read as
#: syntax (help ``?``, comments ``!`` ``#``, filters ``|``, RouterOS' ``;`` ``$`` ``[ ]`` ``{ }``,
#: quotes, escapes, a backquote: :data:`govnet.inventory.checks.secrets.CLI_SYNTAX`), or one whole
#: RouterOS double-quoted string (:func:`govnet.tasks.escape.ros_str`), its escapes included.
WORD = r"""(?:[^\s?!#|;$\[\]{}"'\\`]+|"(?:[^"\\\s]|\\[^\s])*")"""
_REFUSED = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


class SkeletonMismatchError(Exception):
    """The rendered configuration does not follow the template's lines; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def mask_values(value: Any, markers: dict[str, str]) -> Any:
    """A copy of a template context with each inventory value replaced by a fresh marker.

    ``markers`` receives marker -> the regular expression the real value's rendering must match
    in its place.
    """
    if isinstance(value, Word | FreeText):
        kind = "w" if isinstance(value, Word) else "t"
        marker = f"gvn{kind}{len(markers)}z"
        markers[marker] = WORD if kind == "w" else r"[^\n]+?"
        return marker
    if isinstance(value, dict):
        return {k: mask_values(v, markers) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_values(v, markers) for v in value]
    if isinstance(value, tuple):
        return tuple(mask_values(v, markers) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: mask_values(getattr(value, f.name), markers) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


#: What a value renders as inside a template's double-quoted string (RouterOS): no bare ``"``, every
#: ``\\`` escaping one character, no line break; a word without blanks.
_QUOTED_BODY = {"w": r"(?:[^\"\\\s]|\\[^\s])+", "t": r"(?:[^\"\\\n]|\\[^\n])+?"}


def _inside_quotes(text: str) -> bool:
    """Whether the end of ``text`` (a template line up to a marker) is inside a "..." string."""
    return len(re.findall(r'(?<!\\)"', re.sub(r"\\\\", "", text))) % 2 == 1


def _line_pattern(skeleton_line: str, markers: dict[str, str]) -> re.Pattern[str]:
    parts: list[str] = []
    last = 0
    for match in _MARKER.finditer(skeleton_line):
        parts.append(re.escape(skeleton_line[last : match.start()]))
        marker = match.group()
        if marker in markers and _inside_quotes(skeleton_line[: match.start()]):
            parts.append(f"(?:{_QUOTED_BODY[marker[3]]})")
        else:
            parts.append(f"(?:{markers.get(marker, re.escape(marker))})")
        last = match.end()
    parts.append(re.escape(skeleton_line[last:]))
    return re.compile("".join(parts))


def _fits(line: str, shape: str, markers: dict[str, str]) -> bool:
    if not _MARKER.search(shape):
        return line == shape
    return _line_pattern(shape, markers).fullmatch(line) is not None


def check_skeleton(rendered: str, skeleton: str, markers: dict[str, str], *, show: bool = True) -> None:
    """Raise :class:`SkeletonMismatchError` unless ``rendered`` has the lines of ``skeleton``.

    ``show=False`` (a configuration holding real secrets) keeps the offending line out of the
    message: only its number and the template's shape are named.
    """
    real = rendered.split("\n")
    template = skeleton.split("\n")
    for number, line in enumerate(real, start=1):
        for char in line:
            if unicodedata.category(char) in _REFUSED:
                raise SkeletonMismatchError(
                    f"line {number} holds U+{ord(char):04X}, a control character", number
                )
    for number, (line, shape) in enumerate(zip(real, template, strict=False), start=1):
        if not _fits(line, shape, markers):
            count = f"; it has {len(real)} lines where its template makes {len(template)}"
            quoted = f" '{shown(line, 80)}'" if show else ""
            raise SkeletonMismatchError(
                f"line {number}{quoted} does not have the shape of the template's "
                f"'{shape}'" + (count if len(real) != len(template) else ""),
                number,
            )
    if len(real) != len(template):
        raise SkeletonMismatchError(
            f"it has {len(real)} lines where its template makes {len(template)}",
            min(len(real), len(template)) + 1,
        )
