"""Printing helpers shared by the sub-commands: JSON on stdout, tables with rich."""

from __future__ import annotations

import io
import json
import os
import select
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
    """One JSON document on stdout (UTF-8, Vietnamese letters kept), written whole."""
    write_all(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def write_all(text: str) -> None:
    """Write ``text`` to stdout completely, whatever the pipe does.

    After an event loop has run on uvloop, a write to a pipe whose reader is slower than us came
    back short (64 KiB of a 300 KB document) and Python dropped the rest without an error: a
    ``poll-once --json`` of a switch with 200 interfaces printed half a document and exited 0.
    So the bytes go straight to the file descriptor, again until every one is written.
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):  # a stream without a descriptor
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    sys.stdout.flush()
    left = memoryview(text.encode("utf-8"))
    while left:
        try:
            left = left[os.write(fd, left) :]
        except BlockingIOError:
            select.select([], [fd], [])
