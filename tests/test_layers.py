"""govnet's layers (.importlinter, docs/layers.md) hold, import by import.

The layers contract is read from .importlinter and checked on the import graph (grimp, which
import-linter runs on). Until docs/layers.md rows 3 and 4 land (the lab imports the renderer and
the site geometry of the layers beside it), those two known dependencies are the only ones the
test lets through; every other one fails it. The three other contracts run as they are.
"""

from __future__ import annotations

import configparser
import functools
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

# docs/layers.md rows 3 and 4, still open: (importer layer, imported layer) -> why
KNOWN: dict[tuple[str, str], str] = {}  # every row of docs/layers.md is fixed


def _contracts() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(REPO / ".importlinter", encoding="utf-8")
    return config


def _layers() -> list[grimp.Layer]:
    text = _contracts()["importlinter:contract:layers"]["layers"]
    layers = []
    for line in (line.strip() for line in text.splitlines()):
        if line:
            independent = "|" in line
            names = [name.strip() for name in line.replace("|", ":").split(":")]
            layers.append(grimp.Layer(*names, independent=independent))
    return layers


@functools.cache
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("govnet", "napalm_frr", include_external_packages=True)


def test_the_layers_hold() -> None:
    layers = _layers()
    assert len(layers) == 6 and layers[0].module_tails == {"govnet.cli"}
    found = _graph().find_illegal_dependencies_for_layers(layers=layers)
    unexpected = [
        f"{dep.importer} -> {dep.imported}: "
        + "; ".join(" -> ".join([*sorted(r.heads), *r.middle, *sorted(r.tails)]) for r in dep.routes)
        for dep in found
        if (dep.importer, dep.imported) not in KNOWN
    ]
    assert unexpected == []


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("govnet.paths", "govnet.inventory"),  # row 1
        ("govnet.inventory", "govnet.cli"),  # row 2: the packages are libraries
        ("govnet.monitor", "govnet.cli"),
        ("govnet.api", "govnet.cli"),
        ("govnet.inventory", "govnet.snmp.client"),  # row 5
        ("govnet.inventory", "pysnmp"),
        ("govnet.topology", "govnet.snmp.client"),  # row 6
        ("govnet.topology", "napalm"),
        ("govnet.inventory.checks", "govnet.inventory.loader"),  # row 7
        ("govnet.lab", "govnet.tasks"),  # row 4: the lab takes rendered configs
        ("govnet.lab", "govnet.topology"),  # row 3: geometry is the inventory's
    ],
)
def test_a_fixed_dependency_stays_gone(importer: str, imported: str) -> None:
    assert not _graph().chain_exists(importer=importer, imported=imported, as_packages=True)


def test_only_the_command_line_imports_it() -> None:
    graph = _graph()
    for module in {"govnet.cli", *graph.find_descendants("govnet.cli")}:
        for importer in graph.find_modules_that_directly_import(module):
            assert importer.startswith("govnet.cli"), f"{importer} imports {module}"


def test_the_other_contracts_hold() -> None:
    names = [s.split(":")[-1] for s in _contracts().sections() if s.startswith("importlinter:contract:")]
    assert names == ["layers", "models-no-io", "driver", "acyclic"]
    proc = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *(f"--contract={n}" for n in names)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 kept, 0 broken" in proc.stdout
