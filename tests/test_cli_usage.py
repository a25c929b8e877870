"""Usage errors are one clear line with the fix, exit status 2, never a traceback.

The test walks the whole command tree as typer builds it, so a command added later is covered:
every command gets an unknown option, every group an unknown sub-command, every choice-typed
option a value outside its choices and every number-typed option a word.
"""

from __future__ import annotations

import enum
import typing
from typing import Any

import pytest
import typer.main

from govnet.cli import app, main


def choices_of(param: Any) -> list[str]:
    """The values an enum- or Literal-typed option accepts (read here from the annotation, so
    the test does not lean on the code it checks)."""
    annotation = param.type_descriptor.annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in args]
    base = args[0] if args and typing.get_origin(annotation) is not typing.Literal else annotation
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return [str(m.value) for m in base]
    if typing.get_origin(base) is typing.Literal:
        return [str(a) for a in typing.get_args(base)]
    return []


def _walk(command: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        found.extend(_walk(sub, (*path, name)))
    return found


TREE = _walk(typer.main.get_command(app), ())
LEAVES = [(path, cmd) for path, cmd in TREE if not getattr(cmd, "commands", None)]
GROUPS = [(path, cmd) for path, cmd in TREE if getattr(cmd, "commands", None)]


def _options(kind: str) -> list[tuple[tuple[str, ...], str, Any]]:
    found = []
    for path, cmd in LEAVES:
        for param in cmd.params:
            annotation = param.type_descriptor.annotation
            args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
            base = args[0]
            if not param.opts[0].startswith("--") or getattr(param, "is_flag", False):
                continue
            if kind == "choice" and choices_of(param):
                found.append((path, param.opts[0], param))
            if kind == "number" and base in {int, float} and not isinstance(base, enum.EnumMeta):
                found.append((path, param.opts[0], param))
    return found


CHOICES = _options("choice")
NUMBERS = _options("number")


def test_the_walk_sees_the_command_tree() -> None:
    paths = {" ".join(p) for p, _ in LEAVES}
    assert {"inventory show", "inventory validate", "provision push", "lab up", "serve"} <= paths
    assert any(path == ("inventory", "show") and opt == "--role" for path, opt, _ in CHOICES)
    assert NUMBERS


def one_clear_line(code: int, err: str) -> str:
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "(fix: " in lines[0]
    return lines[0]


@pytest.mark.parametrize("path", [p for p, _ in LEAVES], ids=[" ".join(p) or "govnet" for p, _ in LEAVES])
def test_every_command_refuses_an_unknown_option_in_one_line(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*path, "--no-such-option-zz"])
    line = one_clear_line(code, capsys.readouterr().err)
    assert "--no-such-option-zz" in line


@pytest.mark.parametrize("path", [p for p, _ in GROUPS], ids=[" ".join(p) or "govnet" for p, _ in GROUPS])
def test_every_group_refuses_an_unknown_command_in_one_line(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    line = one_clear_line(main([*path, "shwo"]), capsys.readouterr().err)
    assert "'shwo'" in line and "--help" in line


@pytest.mark.parametrize("path,option,param", CHOICES, ids=[f"{' '.join(p)} {o}" for p, o, _ in CHOICES])
def test_every_choice_option_refuses_a_bad_value_with_the_choices(
    path: tuple[str, ...], option: str, param: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    choices = choices_of(param)
    typo = choices[0] + choices[0][-1]  # "hub" -> "hubb"
    line = one_clear_line(main([*path, option, typo]), capsys.readouterr().err)
    assert f"did you mean '{choices[0]}'?" in line
    assert "use one of " + ", ".join(choices) in line


@pytest.mark.parametrize("path,option,param", NUMBERS, ids=[f"{' '.join(p)} {o}" for p, o, _ in NUMBERS])
def test_every_number_option_refuses_a_word(
    path: tuple[str, ...], option: str, param: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    line = one_clear_line(main([*path, option, "many"]), capsys.readouterr().err)
    assert option in line


def test_the_issues_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "show", "--role", "hubb"]) == 2
    assert capsys.readouterr().err.startswith("error: Invalid value for '--role': 'hubb' is not one of")
    assert main(["inventory", "shwo"]) == 2
    assert "Did you mean 'show'?" in capsys.readouterr().err
    assert main(["inventory", "validate", "--jsn"]) == 2
    assert "--json" in capsys.readouterr().err


def test_a_typed_control_character_is_shown_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_clear_line(main(["inventory", "show", "--role", "hub\n\x1b[2J"]), capsys.readouterr().err)
    assert "\x1b" not in line and "\\x1b" in line
