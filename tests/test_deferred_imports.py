"""Function-level imports in the product are the marked, deferred heavy ones only: no product
module is exempt from ruff's PLC0415, and every ``noqa: PLC0415`` says why."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_only_tests_bench_and_scripts_may_import_inside_functions() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ignores = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    exempt = {glob for glob, rules in ignores.items() if "PLC0415" in rules}
    assert exempt == {"tests/**", "bench/**", "scripts/**"}


def test_every_deferred_import_says_why() -> None:
    files = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    product = [f for f in files if not f.startswith(("tests/", "bench/", "scripts/"))]
    marked = [
        (f, n, line.strip())
        for f in product
        for n, line in enumerate((ROOT / f).read_text(encoding="utf-8").splitlines(), 1)
        if "noqa: PLC0415" in line
    ]
    assert marked, "no deferred import found: the scan is broken"
    unexplained = [m for m in marked if not re.search(r"noqa: PLC0415\s+\(\S[^)]*\)", m[2])]
    assert not unexplained, unexplained
