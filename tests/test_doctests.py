"""The doctests of every module of govnet and napalm_frr, imported by their installed names.

pytest's ``--doctest-modules`` imports a file by its path: ``inventory/models.py`` would become a
second module named after its folder, beside ``govnet.inventory.models`` (which the package
refuses: one import root). So the doctests are collected here instead: one test per module that has any,
run with pytest's default doctest option (ELLIPSIS).
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

ROOTS = ("govnet", "napalm_frr")


def _module_names() -> list[str]:
    names: list[str] = []
    for root in ROOTS:
        package = importlib.import_module(root)
        names.append(root)
        names.extend(info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{root}."))
    return sorted(names)


def _doctests(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    return sorted((t for t in tests if t.examples), key=lambda t: t.name)


MODULES = _module_names()
WITH_DOCTESTS = [name for name in MODULES if _doctests(name)]


def test_the_walk_sees_every_package() -> None:
    # an empty walk would make the doctests below pass by having none
    for name in ("govnet.cli", "govnet.snmp.ber", "govnet.inventory.models", "govnet.api.routers.devices"):
        assert name in MODULES
    for name in ("govnet.inventory.models", "govnet.snmp.ber", "govnet.monitor.store", "govnet.safety"):
        assert name in WITH_DOCTESTS
    assert len(WITH_DOCTESTS) >= 25


@pytest.mark.parametrize("name", WITH_DOCTESTS)
def test_doctests(name: str) -> None:
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in _doctests(name):
        runner.run(test, out=out.write)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, out.getvalue()
