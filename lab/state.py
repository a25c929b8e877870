"""What a lab is made of, recorded in its state directory as it is built.

Everything the lab creates carries its prefix and is written here *before* it is created, so
that ``lab down`` can remove it even after ``lab up`` was killed halfway. ``lab down`` also
sweeps by prefix, so a lost state file leaves nothing behind either.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from govnet.errors import LabError
from govnet.paths import state_home

DEFAULT_PREFIX = "gvl"


class NodeState(BaseModel):
    """One lab node."""

    model_config = ConfigDict(extra="forbid")

    name: str
    index: int
    namespace: str
    mgmt_ip: str
    kind: Literal["router", "light"]
    role: str
    mgmt_veth: str
    lan: list[str] = []


class LinkState(BaseModel):
    """One data link (a veth pair between two namespaces)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    a_node: str
    a_if: str
    b_node: str
    b_if: str
    ducts: list[str] = []


class LabState(BaseModel):
    """The whole lab."""

    model_config = ConfigDict(extra="forbid")

    prefix: str
    size: str
    bare: bool
    source_inventory: str
    mgmt_subnet: str
    controller_ip: str
    trap_receiver: str
    user: str
    phase: Literal["building", "up", "down"] = "building"
    guards_installed: list[str] = []
    nodes: dict[str, NodeState] = Field(default_factory=dict)
    links: list[LinkState] = []
    failed_links: list[str] = []
    failed_nodes: list[str] = []
    #: Extra fiber loss per link id (dB), set by ``govnet lab attenuate``.
    attenuation: dict[str, float] = Field(default_factory=dict)
    #: WiFi client counts the APs report, set by ``govnet lab wifi``.
    wifi_clients: dict[str, int] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)


def lab_prefix() -> str:
    """The lab's name prefix: ``$GOVNET_LAB_PREFIX`` or ``gvl`` (3-6 characters: a lower-case
    letter, then lower-case letters or digits, as the test lanes' ``g2x``)."""
    prefix = os.environ.get("GOVNET_LAB_PREFIX", DEFAULT_PREFIX)
    if not re.fullmatch(r"[a-z][a-z0-9]{2,5}", prefix):
        raise LabError(
            f"bad lab prefix '{prefix}'",
            hint="GOVNET_LAB_PREFIX takes 3 to 6 characters: a lower-case letter, then lower-case "
            "letters or digits",
        )
    return prefix


def lab_dir(prefix: str) -> Path:
    """The lab's state directory (outside the repository): ``$GOVNET_LAB_STATE/<prefix>``,
    default ``~/.local/state/govnet/lab/<prefix>``."""
    base = os.environ.get("GOVNET_LAB_STATE")
    return (Path(base) if base else state_home() / "lab") / prefix


def runtime_dir(prefix: str) -> Path:
    """Run-time files every lab process can reach (sockets, UTS handles, lab shell)."""
    return Path("/run") / f"govnet-{prefix}"


def load_state(prefix: str) -> LabState | None:
    """The recorded state, or None when there is no lab of that prefix."""
    path = lab_dir(prefix) / "state.json"
    if not path.exists():
        return None
    return LabState.model_validate_json(path.read_text(encoding="utf-8"))


def save_state(state: LabState) -> None:
    """Write the state atomically."""
    directory = lab_dir(state.prefix)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / "state.json.tmp"
    tmp.write_text(json.dumps(state.model_dump(), indent=1), encoding="utf-8")
    os.replace(tmp, directory / "state.json")
