"""Files that hold secrets are readable by their owner only, even when a temp file was left behind
with a wider mode (a crash between writing and renaming, or another tool's file)."""

from __future__ import annotations

import stat
from pathlib import Path

from govnet.api.auth import Role, TokenStore
from govnet.inventory.secrets import SecretStore


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_secrets_file_is_0600_even_over_a_leftover_world_readable_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.yaml"
    leftover = path.with_name(path.name + ".tmp")
    leftover.write_text("old\n")
    leftover.chmod(0o644)
    SecretStore(path, environ={}).write({"lab-ssh.password": "s3cret-value"})
    assert _mode(path) == 0o600
    assert "s3cret-value" in path.read_text()


def test_the_token_file_is_0600_even_over_a_leftover_world_readable_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    leftover = path.with_suffix(".tmp")
    leftover.write_text("{}")
    leftover.chmod(0o644)
    TokenStore(path).create(Role.NOC, note="wall")
    assert _mode(path) == 0o600
