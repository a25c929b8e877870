"""Printing helpers shared by the sub-commands: JSON on stdout, tables with rich."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

#: Tables and progress go to stdout; errors to stderr. Neither wraps lines that tests grep.
#: Neither reads rich markup in what it prints: names, paths and messages come from the
#: inventory or the user, and "[/x]" in an agency name must print as text, not end a style or
#: raise. Style is given explicitly, with :class:`rich.text.Text`.
console = Console(soft_wrap=True, markup=False)
err_console = Console(stderr=True, soft_wrap=True, markup=False)


def print_json(data: Any) -> None:
    """One JSON document on stdout (UTF-8, Vietnamese letters kept)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()
