"""Running the commands the lab is made of, with errors that say which command failed and why."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence

from govnet.errors import LabError


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    input_text: str | None = None,
    timeout: float = 60,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure raise :class:`LabError` with its stderr."""
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            input=input_text,
            timeout=timeout,
            check=False,
            env=env,
        )
    except FileNotFoundError as exc:
        raise LabError(f"'{argv[0]}' is not installed", hint="run scripts/setup.sh as root") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"'{shlex.join(argv)}' did not finish within {timeout:g} s") from exc
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise LabError(
            f"'{shlex.join(argv)}' failed ({proc.returncode}): {detail[-1] if detail else 'no output'}"
        )
    return proc
