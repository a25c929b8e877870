"""Backups of running configurations in a git repository, secrets masked, one commit per run.

The repository lives outside the project (``$XDG_STATE_HOME/govnet/backups`` unless told
otherwise). Before anything is written, every secret value the inventory knows is replaced by
``********``, and so is the value of any line that looks like a password, community or key, so a
backup is safe to share. A backup that still carries a mask cannot be pushed back as it is: the
rollback refuses it with a clear error rather than push a masked password.
"""

from __future__ import annotations

import logging
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nornir.core.exceptions import NornirSubTaskError
from nornir.core.filter import F
from nornir.core.task import Result, Task
from nornir_napalm.plugins.tasks import napalm_get

from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.paths import state_home
from govnet.tasks.connections import Connect, close_all, napalm_session
from govnet.tasks.masking import MASK, mask
from govnet.tasks.nornir_run import nornir_for

__all__ = ["MASK", "BackupResult", "backup", "configs_at", "default_repo", "mask"]


def default_repo() -> Path:
    """Where backups go by default."""
    return state_home() / "backups"


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


def _fetch(task: Task, network: Network, connect: Connect | None) -> Result:
    """The Nornir task: the host's running configuration (``napalm_get``), masked at once."""
    try:
        napalm_session(task, network, connect)
        got = task.run(task=napalm_get, getters=["config"], retrieve="running", severity_level=logging.DEBUG)
        return Result(host=task.host, result=mask(str(got[0].result["config"]["running"]), secrets(network)))
    finally:
        close_all(task)


def secrets(network: Network) -> set[str]:
    """Every secret value the inventory knows (for masking; never print the result)."""
    return network.secrets.plain_values()


def backup(
    network: Network,
    devices: list[str],
    connect: Connect | None = None,
    repo: Path | None = None,
    workers: int = 16,
) -> BackupResult:
    """Fetch each running config (Nornir, nornir_napalm's ``napalm_get``), mask, commit.

    ``connect(name)`` hands over the caller's own open NAPALM drivers instead of nornir_napalm's.
    """
    target = repo or default_repo()
    target.mkdir(parents=True, exist_ok=True)
    if not (target / ".git").exists():
        _git(target, "init", "-q")
    known = secrets(network)
    nr = nornir_for(network, workers=workers).filter(F(name__any=devices))
    outcome = nr.run(task=_fetch, network=network, connect=connect, on_failed=True)
    saved, failed = [], {}
    for name in devices:
        multi = outcome.get(name)
        first = multi[0] if multi else None
        if first is None or first.failed or not isinstance(first.result, str):
            error = _cause(first.exception) if first is not None and first.exception else "no configuration"
            failed[name] = mask(error, known)
            continue
        (target / f"{name}.conf").write_text(first.result, encoding="utf-8")
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


def _cause(exc: BaseException) -> str:
    """The error a failed sub-task raised (Nornir wraps it), as text."""
    if isinstance(exc, NornirSubTaskError):
        first = exc.result[0] if isinstance(exc.result, list) else exc.result
        if first.exception is not None:
            return str(first.exception)
    return str(exc)


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
