"""What a change is on each platform: atomic, confirmed, rolled back, verified (the table of
docs/vendors.md, kept here so a test compares the two and the code paths they name).

Each row says what govnet's own code does (``provision push --commit``, ``provision send
--commit``), not what the platform could do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capability:
    """One platform's row."""

    platform: str
    path: str
    atomic: str
    confirmed: str
    rolled_back: str
    verified: str
    send: str


CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        platform="frr",
        path="NAPALM (napalm_frr: govnet-cfg on the router)",
        atomic="yes: the whole intent as a replace candidate (frr-reload.py computes the change)",
        confirmed="commit-confirm: `govnet-cfg apply --revert-in N`, confirmed after post-checks",
        rolled_back="the device's checkpoint (`rollback`), else the previous config pushed back, "
        "else its confirm timer waited for",
        verified="the device's diff to the intent is empty; interfaces up, OSPF Full, BGP "
        "Established as before; then confirmed",
        send="all or nothing: vtysh takes line by line, so after a refused line the lines that "
        "took are sent back the other way (hier-config) and the device read back; nothing saved "
        "until the change is whole",
    ),
    Capability(
        platform="cisco_ios",
        path="CLI (Netmiko): hier-config remediation",
        atomic="yes: the remediation under `configure terminal revert timer N`, `archive` checked "
        "first (`show archive`); refused without it, nothing sent",
        confirmed="revert timer (`revert_in` rounded up to minutes, 1-120); `configure confirm` "
        "after read-back, then `write memory`",
        rolled_back="`configure revert now` (the archived config) on a refused or unshown line or "
        "any error; the timer if the session is lost",
        verified="every line sent shows in its section of the new running config (a `no X` "
        "holds when X is absent); read back line by line after a rollback",
        send="all or nothing, as push",
    ),
    Capability(
        platform="huawei_vrp",
        path="CLI (Netmiko): hier-config remediation",
        atomic="yes: two-stage commit: `system-view` edits a candidate; nothing runs before "
        "`commit` (VRP8 two-stage mode assumed, not checked)",
        confirmed="`commit trial <revert_in, at least 60> s`; `commit` after read-back, then `save`",
        rolled_back="`abort` (the candidate discarded) when a line is refused; `rollback "
        "configuration last 1` when the trial does not show the change; the trial timer if the "
        "session is lost",
        verified="as IOS",
        send="all or nothing, as push",
    ),
    Capability(
        platform="mikrotik_routeros",
        path="CLI (Netmiko): intended commands `/export` lacks (added only, nothing removed)",
        atomic="yes: `/system backup save` first, then safe mode (Ctrl-X); refused if another "
        "session holds it",
        confirmed="no timer: safe mode is held until read-back, then released (Ctrl-X)",
        rolled_back="Ctrl-D (safe mode changes undone, session ends); a lost session is undone by "
        "RouterOS after its TCP timeout (about 9 minutes); the backup stays on the device",
        verified="every command sent shows in `/export` (quoted or bare alike); read back from a "
        "new session after a rollback (waited for up to 30 s)",
        send="all or nothing, as push",
    ),
)

COLUMNS = ("platform", "push path", "atomic", "confirmed", "rolled back", "verified", "provision send")


def markdown_table() -> str:
    """The capability table as docs/vendors.md holds it."""
    rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for c in CAPABILITIES:
        cells = (c.platform, c.path, c.atomic, c.confirmed, c.rolled_back, c.verified, c.send)
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def cli_platforms() -> set[str]:
    """Platforms whose row says the push goes over the CLI (the safe-send platforms).

    >>> from govnet.tasks.safe_send import SAFE_PLATFORMS
    >>> cli_platforms() == set(SAFE_PLATFORMS)
    True
    """
    return {c.platform for c in CAPABILITIES if c.path.startswith("CLI")}
