"""What parsing the inventory's files gives: entries that passed their own schema, and problems.

:mod:`govnet.inventory.loader` makes them from the files; :mod:`govnet.inventory.checks` judges
them as a whole. Each entry knows where it came from, so that every problem names its file and line.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from govnet.inventory.models import SECTIONS
from govnet.inventory.problems import Problem
from govnet.inventory.text import shown
from govnet.inventory.yamlfile import LocatedDict


@dataclass(frozen=True)
class Entry:
    """One parsed entry with where it came from."""

    section: str
    index: int
    file: str
    line: int
    raw: LocatedDict
    model: BaseModel

    @property
    def label(self) -> str:
        """How messages name this entry, e.g. ``devices[3] 'hub-dx'``."""
        key = SECTIONS[self.section][1]
        name = self.raw.get(key)
        if self.section == "links" and "b" in self.raw:
            name = f"{self.raw.get('a')}--{self.raw.get('b')}"
        return (
            f"{self.section}[{self.index}] '{shown(name, 80)}'"
            if name is not None
            else f"{self.section}[{self.index}]"
        )

    def line_of(self, field: str | None) -> int:
        """The line of a field of this entry (the entry's own line if unknown)."""
        if field:
            top = field.split(".", 1)[0]
            return self.raw.key_lines.get(top, self.line)
        return self.line


def problem_at(entry: Entry, field: str | None, message: str, hint: str | None = None) -> Problem:
    """A problem of ``entry`` (of one of its fields, when given), at that field's line."""
    return Problem(entry.file, entry.line_of(field), entry.label, field, message, hint)


@dataclass
class Parsed:
    """What parsing gave: sound entries, problems, and names of entries that failed their schema."""

    entries: list[Entry]
    problems: list[Problem]
    broken: dict[str, set[str]]
