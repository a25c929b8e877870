"""A command group that imports a sub-command's module only when that sub-command is used.

``govnet --help`` lists every sub-command with its one-line summary; building the real commands
would import every layer of govnet (pydantic models, the monitor, the API) just to print a page.
Each sub-command is therefore named here with the module that defines it and its summary, and
its module is imported the first time the command itself is looked up (to run it, to print its
own help, or to walk the command tree).

The group's ``commands`` mapping knows every name from the start (so typer's "did you mean"
suggestions see them all) and loads an entry when its value is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.main
from typer import _click
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo, TyperInfo


@dataclass(frozen=True)
class Lazy:
    """Where a sub-command lives: ``attribute`` of ``module`` (a :class:`typer.Typer` for a
    group, a function for a single command), and the summary ``--help`` shows for it.

    The summary is the first sentence of the command's own help (tests/test_cli_lazy.py checks
    that the listing is the same once every command is loaded).
    """

    module: str
    attribute: str
    summary: str


class LazyCommands(MutableMapping[str, _click.Command]):
    """Sub-command name -> command; a lazy entry's module is imported when its value is read."""

    def __init__(
        self,
        loaded: MutableMapping[str, _click.Command],
        lazy: Mapping[str, Lazy],
        load: Callable[[str, Lazy], _click.Command],
    ) -> None:
        self._loaded = loaded
        self._lazy = lazy
        self._load = load

    def is_loaded(self, name: str) -> bool:
        """True when the command object exists (no import needed to use it)."""
        return name in self._loaded

    def summary(self, name: str) -> str | None:
        """The summary of a lazy entry (None for a command added directly)."""
        entry = self._lazy.get(name)
        return entry.summary if entry is not None else None

    def __getitem__(self, name: str) -> _click.Command:
        if name not in self._loaded:
            entry = self._lazy.get(name)
            if entry is None:
                raise KeyError(name)
            self._loaded[name] = self._load(name, entry)
        return self._loaded[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._lazy
        yield from (name for name in self._loaded if name not in self._lazy)

    def __len__(self) -> int:
        return len(self._lazy) + sum(1 for name in self._loaded if name not in self._lazy)

    def __contains__(self, name: object) -> bool:
        return name in self._lazy or name in self._loaded


class LazyGroup(TyperGroup):
    """A typer group whose sub-commands are given by :attr:`lazy` (set it in a subclass).

    Typer passes the commands it built itself (none, or the ones added with ``app.command``);
    they stay as they are, after the lazy ones.
    """

    lazy: ClassVar[Mapping[str, Lazy]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(dict(self.commands), self.lazy, self._build)

    def _build(self, name: str, entry: Lazy) -> _click.Command:
        target = getattr(importlib.import_module(entry.module), entry.attribute)
        if isinstance(target, typer.Typer):
            return typer.main.get_group_from_info(
                TyperInfo(target, name=name),
                pretty_exceptions_short=True,
                suggest_commands=self.suggest_commands,
                rich_markup_mode=self.rich_markup_mode,
            )
        return typer.main.get_command_from_info(
            CommandInfo(name=name, callback=target),
            pretty_exceptions_short=True,
            rich_markup_mode=self.rich_markup_mode,
        )

    def list_commands(self, ctx: _click.Context) -> list[str]:
        """Every name, in the order given, without importing anything."""
        return list(self.commands)

    def format_commands(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """The command list of ``--help``: a command not yet loaded is shown by its summary."""
        commands = self.commands
        assert isinstance(commands, LazyCommands)
        shown: list[tuple[str, _click.Command]] = []
        for name in self.list_commands(ctx):
            summary = commands.summary(name)
            if summary is not None and not commands.is_loaded(name):
                shown.append((name, TyperCommand(name, help=summary)))
                continue
            command = commands.get(name)
            if command is not None and not command.hidden:
                shown.append((name, command))
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in shown])
