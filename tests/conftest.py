"""Shared fixtures: every test runs with its own HOME and XDG dirs, so nothing touches the user's."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mini import MINI_SECRETS, mini_files, write_inventory


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh HOME and XDG dirs; no GOVNET_* variable leaks in from the caller."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    for var in ("GOVNET_INVENTORY", "GOVNET_SECRETS"):
        monkeypatch.delenv(var, raising=False)
    yield home


@pytest.fixture
def mini_secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Put the mini inventory's secrets into the environment."""
    for key, value in MINI_SECRETS.items():
        monkeypatch.setenv(key, value)
    return dict(MINI_SECRETS)


@pytest.fixture
def mini_inventory(tmp_path: Path, mini_secrets: dict[str, str]) -> Path:
    """A valid small inventory on disk, with its secrets in the environment."""
    return write_inventory(tmp_path / "inv", mini_files())


def tree_snapshot(*roots: Path) -> dict[str, str]:
    """Path -> content hash of every file under the roots (to prove nothing was written)."""
    snap: dict[str, str] = {}
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file():
                snap[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif path.is_dir():
                snap[str(path)] = "dir"
    return snap
