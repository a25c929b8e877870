"""Usage errors of the command line as one clear line: what is wrong and how to fix it.

Typer carries its own copy of click (``typer._click``); its exceptions are not
``click.ClickException`` and reach ``main()`` untranslated. This module turns each into one line
for stderr: the error, valid choices or a "did you mean", and where the help is.
"""

from __future__ import annotations

import difflib
import enum
import sys
import typing

from typer._click.exceptions import BadParameter, NoArgsIsHelpError, NoSuchOption, UsageError
from typer.exceptions import TyperException

__all__ = ["TyperException", "choices_of", "one_line", "report_typer_error", "usage_line"]


def one_line(text: str) -> str:
    """``text`` on one line of printable characters (a typed value may hold anything).

    >>> one_line("No such option: --x\\nmore")
    'No such option: --x\\\\nmore'
    """
    text = text.strip()
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def choices_of(param: object) -> list[str]:
    """The values a choice-typed parameter (an enum or a ``Literal``) accepts, else []."""
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(member.value) for member in annotation]
    if typing.get_origin(annotation) is typing.Literal:
        return [str(arg) for arg in typing.get_args(annotation)]
    return []


def _help_hint(exc: UsageError) -> str:
    ctx = exc.ctx
    if ctx is None:
        return "run 'govnet --help'"
    return f"run '{ctx.command_path} --help'"


def usage_line(exc: UsageError) -> str:
    """One line for a usage error, with the fix.

    The message keeps click's own wording ("No such command 'shwo'. Did you mean 'show'?") and
    adds, for a bad choice, the valid values and the closest one.
    """
    message = exc.format_message()
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    message = message.replace(": Value error, ", ": ")
    hint = _help_hint(exc)
    if isinstance(exc, BadParameter):
        choices = choices_of(exc.param)
        if choices:
            given = _given_value(exc, choices)
            close = difflib.get_close_matches(given, choices, n=1) if given else []
            hint = (f"did you mean '{close[0]}'? " if close else "") + f"use one of {', '.join(choices)}"
    elif isinstance(exc, NoSuchOption) and not exc.possibilities:
        hint = f"{hint} for the options"
    elif "No such command" in message and "Did you mean" not in message:
        hint = f"{hint} for the commands"
    return f"error: {one_line(message)} (fix: {one_line(hint)})"


def _given_value(exc: BadParameter, choices: list[str]) -> str | None:
    """The value typed, read back from the message ("'hubb' is not one of ...")."""
    text = exc.message.removeprefix("Value error, ")
    if text.startswith("'") and "' is not" in text:
        return text[1 : text.index("' is not")]
    return None


def report_typer_error(exc: TyperException) -> int:
    """Print one of typer's errors for the user and return the exit status.

    A group called without a command prints its help (as asked); every other usage error is
    one line and status 2; any other typer error (a file it could not open) one line too.
    """
    if isinstance(exc, NoArgsIsHelpError):
        print(exc.format_message(), file=sys.stderr)
        return int(exc.exit_code)
    if isinstance(exc, UsageError):
        print(usage_line(exc), file=sys.stderr)
        return int(exc.exit_code)
    format_message = getattr(exc, "format_message", None)
    text = format_message() if callable(format_message) else str(exc)
    print(f"error: {one_line(str(text))}", file=sys.stderr)
    return int(exc.exit_code)
