"""The command line imports a sub-command's module only when that sub-command is used.

``govnet --help`` lists every sub-command from :data:`govnet.cli.SUBCOMMANDS` without importing
any layer of govnet; once a sub-command is looked up, its real command takes over, and the
listing must read the same either way.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer.main

from govnet.cli import SUBCOMMANDS, app, main
from govnet.cli.lazy import LazyGroup

LAYERS = ("govnet.inventory", "govnet.tasks", "govnet.topology", "govnet.lab", "govnet.monitor", "govnet.api")

# Runs the command in a fresh interpreter and reports which of govnet's modules it imported.
_PROBE = """
import contextlib, io, json, sys
from govnet.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(m for m in sys.modules if m.startswith("govnet"))}))
"""


def _imported(*args: str) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=180, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    return int(result["code"]), list(result["modules"])


def _under(modules: list[str], package: str) -> list[str]:
    return [m for m in modules if m == package or m.startswith(package + ".")]


def test_help_imports_no_layer_and_no_sub_command() -> None:
    code, modules = _imported("--help")
    assert code == 0
    for layer in LAYERS:
        assert _under(modules, layer) == [], layer
    loaded_subcommands = {entry.module for entry in SUBCOMMANDS.values()} & set(modules)
    assert loaded_subcommands == set()


def test_a_sub_command_imports_its_own_module_only() -> None:
    code, modules = _imported("inventory", "validate", "--json")
    assert code == 0
    assert "govnet.cli.inventory" in modules and "govnet.inventory.loader" in modules
    for other in ("govnet.cli.monitor", "govnet.cli.tasks", "govnet.cli.lab", "govnet.cli.demo"):
        assert other not in modules
    assert _under(modules, "govnet.monitor") == [] and _under(modules, "govnet.api") == []


def _root_help() -> str:
    group = typer.main.get_command(app)
    with group.make_context("govnet", [], resilient_parsing=True) as ctx:
        return group.get_help(ctx)


def test_the_listing_reads_the_same_before_and_after_loading() -> None:
    lazy = _root_help()
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)
    loaded = {name: group.commands[name] for name in SUBCOMMANDS}  # imports every module
    with group.make_context("govnet", [], resilient_parsing=True) as ctx:
        eager = group.get_help(ctx)
    assert lazy == eager
    for name, command in loaded.items():
        # the summary is the start of the command's own help, so the one-liner is the same
        assert (command.help or "").startswith(SUBCOMMANDS[name].summary), name
    for name in SUBCOMMANDS:
        assert f"  {name} " in lazy


@pytest.mark.parametrize(("typo", "meant"), [("inventroy", "inventory"), ("serv", "serve")])
def test_a_mistyped_sub_command_is_suggested(
    typo: str, meant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([typo]) == 2
    err = capsys.readouterr().err
    assert f"No such command '{typo}'" in err and f"Did you mean '{meant}'" in err


def test_python_dash_m_runs_the_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "govnet.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("govnet ")
