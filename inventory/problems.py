"""Problems found in an inventory, each naming the file, the entry and the field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an inventory, and how to fix it.

    >>> p = Problem("devices.yaml", 12, "devices[3] 'hub-dx'", "mgmt_ip", "198.18.0.1 is taken", "use .2")
    >>> str(p)
    "devices.yaml:12: devices[3] 'hub-dx': field 'mgmt_ip': 198.18.0.1 is taken (fix: use .2)"
    """

    file: str
    line: int | None
    entry: str | None
    field: str | None
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.entry:
            parts.append(self.entry)
        if self.field:
            parts.append(f"field '{self.field}'")
        text = ": ".join(parts) + ": " + self.message
        if self.hint:
            text += f" (fix: {self.hint})"
        # A problem is one line of printable text whatever the inventory held: a line break or a
        # bidirectional override copied from a value would make the report lie.
        return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "file": self.file,
            "line": self.line,
            "entry": self.entry,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }
