"""The options given before the sub-command (``govnet --inventory DIR --secrets FILE ...``).

The root command stores them on the click context as they are; :func:`govnet.cli.context.app_context`
turns them into the context the sub-commands share, so that ``govnet --help`` imports nothing of the
inventory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GlobalOptions:
    """``--inventory`` and ``--secrets`` as given (None: not given)."""

    inventory: Path | None = None
    secrets: Path | None = None
