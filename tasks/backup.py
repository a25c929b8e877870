"""Backups of running configurations in a git repository, secrets masked, one commit per run.

The repository lives outside the project (``$XDG_STATE_HOME/govnet/backups`` unless told
otherwise). Before anything is written, every secret value the inventory knows is replaced by
``********``, and so is the value of any line that looks like a password, community or key, so a
backup is safe to share. A backup that still carries a mask cannot be pushed back as it is: the
rollback refuses it with a clear error rather than push a masked password.
"""

from __future__ import annotations

import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.paths import state_home

MASK = "********"
_SECRET_LINE = re.compile(
    r"^(?P<head>[^\S\n]*(?:\S+[^\S\n]+)*?"
    r"\b(?:password|secret|community|auth-key|priv-key|authentication-key|key-string"
    r"|message-digest-key \d+ md5)\b"
    r"(?:[^\S\n]+\d)?[^\S\n]+)(?P<value>\S+)",
    re.IGNORECASE | re.MULTILINE,
)


def default_repo() -> Path:
    """Where backups go by default."""
    return state_home() / "backups"


def mask(text: str, secrets: set[str]) -> str:
    """Mask known secret values and the values of secret-looking lines.

    >>> mask("snmp-server community s3cr3t RO\\nhostname hub\\n", {"s3cr3t"})
    'snmp-server community ******** RO\\nhostname hub\\n'
    >>> mask(" password 7 abcdef\\n", set())
    ' password 7 ********\\n'
    """
    for value in sorted(secrets, key=len, reverse=True):
        if value:
            text = text.replace(value, MASK)
    return _SECRET_LINE.sub(lambda m: m.group("head") + MASK, text)


def _git(repo: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=govnet", "-c", "user.email=govnet@localhost", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if check and proc.returncode != 0:
        raise GovnetError(
            f"git {' '.join(args)} failed: {proc.stderr.strip()}", hint=f"check the repository {repo}"
        )
    return proc.stdout


@dataclass
class BackupResult:
    """Outcome of one backup run."""

    commit: str | None
    saved: list[str]
    failed: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"commit": self.commit, "saved": self.saved, "failed": self.failed}


def backup(
    network: Network, devices: list[str], connect: Any, repo: Path | None = None, workers: int = 16
) -> BackupResult:
    """Fetch each running config (``connect(name)`` gives an open NAPALM driver), mask, commit."""
    target = repo or default_repo()
    target.mkdir(parents=True, exist_ok=True)
    if not (target / ".git").exists():
        _git(target, "init", "-q")
    secrets = network.secrets.plain_values()

    def fetch(name: str) -> tuple[str, str | None, str | None]:
        try:
            driver = connect(name)
            try:
                return name, driver.get_config(retrieve="running")["running"], None
            finally:
                driver.close()
        except Exception as exc:
            return name, None, str(exc)

    saved, failed = [], {}
    with ThreadPoolExecutor(workers) as pool:
        for name, text, error in pool.map(fetch, devices):
            if text is None:
                failed[name] = error or "no configuration"
                continue
            (target / f"{name}.conf").write_text(mask(text, secrets), encoding="utf-8")
            saved.append(name)
    _git(target, "add", "-A")
    if not _git(target, "status", "--porcelain").strip():
        head = _git(target, "rev-parse", "HEAD", check=False).strip() or None
        return BackupResult(head, saved, failed)
    _git(
        target,
        "commit",
        "-q",
        "-m",
        f"govnet backup {time.strftime('%Y-%m-%d %H:%M:%S')}: {len(saved)} device(s)",
    )
    return BackupResult(_git(target, "rev-parse", "HEAD").strip(), saved, failed)


def configs_at(ref: str, devices: list[str], repo: Path | None = None) -> dict[str, str]:
    """Each device's backed-up configuration at a git revision; refuses masked ones."""
    target = repo or default_repo()
    if not (target / ".git").exists():
        raise GovnetError(f"no backup repository at {target}", hint="run 'govnet config backup' first")
    out = {}
    for name in devices:
        proc = subprocess.run(
            ["git", "-C", str(target), "show", f"{ref}:{name}.conf"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise GovnetError(f"no backup of {name} at '{ref}'", hint=f"see 'git -C {target} log'")
        if MASK in proc.stdout:
            raise GovnetError(
                f"the backup of {name} at '{ref}' has masked secrets",
                hint="restore it by hand with the secrets filled in",
            )
        out[name] = proc.stdout
    return out
