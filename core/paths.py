"""Where govnet keeps files outside the repository (secrets, lab state, stores).

Everything honours the XDG base directories, so tests can point ``HOME`` or
``XDG_CONFIG_HOME``/``XDG_STATE_HOME`` at a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path


def config_home() -> Path:
    """``$XDG_CONFIG_HOME/govnet`` (default ``~/.config/govnet``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "govnet"


def state_home() -> Path:
    """``$XDG_STATE_HOME/govnet`` (default ``~/.local/state/govnet``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "govnet"
