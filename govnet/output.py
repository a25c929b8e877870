"""Printing helpers shared by the sub-commands: JSON on stdout, tables with rich."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

#: Tables and progress go to stdout; errors to stderr. Neither wraps lines that tests grep.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def print_json(data: Any) -> None:
    """One JSON document on stdout (UTF-8, Vietnamese letters kept)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()
