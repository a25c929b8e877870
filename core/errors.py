"""One exception tree for everything govnet raises on purpose.

Third-party errors (pydantic, PyYAML, Netmiko, NAPALM, pysnmp, OS errors) are caught at the
boundary where they occur and re-raised as one of these, with a message that says what went
wrong and how to fix it. The command line prints a :class:`GovnetError` without a traceback
and exits with its :attr:`GovnetError.exit_code`; anything else reaching the user is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence


class GovnetError(Exception):
    """Base of every error govnet raises on purpose.

    >>> str(GovnetError("the lab is not up", hint="run 'govnet lab up' first"))
    "the lab is not up (fix: run 'govnet lab up' first)"
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} (fix: {self.hint})"
        return self.message


class InventoryError(GovnetError):
    """The inventory could not be loaded; :attr:`problems` lists every problem found."""

    exit_code = 2

    def __init__(self, problems: Sequence[object], *, summary: str | None = None) -> None:
        self.problems = list(problems)
        text = summary or f"the inventory has {len(problems)} problem(s)"
        super().__init__(text)

    def __str__(self) -> str:
        lines = [self.message]
        lines.extend(str(p) for p in self.problems)
        return "\n".join(lines)


class SecretError(GovnetError):
    """A secret could not be found or the secrets file is unsafe."""

    exit_code = 2


class SafetyError(GovnetError):
    """govnet refused to do something that could send traffic where it must not go."""

    exit_code = 3


class LabError(GovnetError):
    """The lab could not be built, inspected or torn down."""


class TopologyError(GovnetError):
    """A topology question cannot be answered as asked (unknown node, no core, bad file)."""

    exit_code = 2
