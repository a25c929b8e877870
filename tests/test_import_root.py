"""One import root (issue #13): every package installs under ``govnet``, the old top-level names
do not import, and what finds govnet by name (NAPALM's driver lookup, Nornir's plugin entry point)
still does. These run against the editable install (scripts/setup.sh: strict mode)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata, resources
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OLD_NAMES = ("inventory", "tasks", "topology", "monitor", "api", "lab", "core", "cli")

# Tries each old top-level name and says how it failed (or that it imported).
_PROBE = """
import importlib, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        out[name] = "imported"
    except ImportError as exc:
        out[name] = type(exc).__name__ + ": " + str(exc)
print(json.dumps(out))
"""


def _probe(cwd: Path) -> dict[str, str]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *OLD_NAMES],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, str] = json.loads(proc.stdout)
    return result


def test_the_packages_import_under_govnet_from_any_directory(tmp_path: Path) -> None:
    code = "import govnet.inventory, govnet.monitor, govnet.api, govnet.cli; print('ok')"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_the_old_top_level_names_do_not_import_elsewhere(tmp_path: Path) -> None:
    result = _probe(tmp_path)
    assert result == {name: f"ModuleNotFoundError: No module named '{name}'" for name in OLD_NAMES}


def test_the_old_top_level_names_refuse_even_from_the_repository_root() -> None:
    # from the root the folders are on sys.path ('' for -c, pytest's rootdir): each package
    # refuses to be imported under a second name instead of becoming a second copy of itself
    result = _probe(REPO)
    for name in OLD_NAMES:
        new = "govnet" if name == "core" else f"govnet.{name}"
        assert result[name] == f"ImportError: {name} is installed as {new}: import it by that name"


def test_napalm_finds_the_frr_driver_package() -> None:
    from napalm import get_network_driver
    from napalm.base import NetworkDriver

    import napalm_frr
    from napalm_frr.driver import FrrDriver

    assert get_network_driver("frr") is FrrDriver
    assert issubclass(FrrDriver, NetworkDriver)
    assert napalm_frr.__all__ == ["FrrDriver"]
    # the device agent travels with the driver that drives it
    agent = resources.files("napalm_frr") / "govnet_cfg.py"
    assert agent.is_file()
    assert agent.read_text(encoding="utf-8").startswith("#!/usr/bin/python3\n")


def test_nornir_finds_the_inventory_plugin_by_its_entry_point() -> None:
    from nornir.core.plugins.inventory import InventoryPluginRegister

    from govnet.inventory.nornir_plugin import GovnetInventory

    plugins = metadata.entry_points(group="nornir.plugins.inventory")
    (entry,) = [e for e in plugins if e.name == "GovnetInventory"]
    assert entry.value == "govnet.inventory.nornir_plugin:GovnetInventory"
    InventoryPluginRegister.auto_register()
    assert InventoryPluginRegister.get_plugin("GovnetInventory") is GovnetInventory


def test_every_package_folder_is_in_the_package_list() -> None:
    # the package list is explicit (setuptools cannot find packages through a folder mapping):
    # a new subpackage must be added to it (scripts/restructure.py does it)
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapping: dict[str, str] = setuptools["package-dir"]
    found = set()
    for name, folder in mapping.items():
        for init in (REPO / folder).rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                rel = init.parent.relative_to(REPO / folder).parts
                found.add(".".join([name, *rel]))
    assert "govnet.api.routers" in found
    assert sorted(found) == setuptools["packages"]
    assert {name.split(".")[0] for name in found} == {"govnet", "napalm_frr"}
