"""The audit log: who did what, when, from where, to what (table ``api_audit`` in the store).

Every state-changing or device-touching request is recorded: an incident acknowledged, a dry run
started (it opens SSH sessions to devices), a session started or ended, and from the command
line a token created or revoked. A row names the caller by token id, token note and role, the
action, its target, the client address and the outcome. It never holds a secret: no token, no
session id, no request body beyond the target (an incident id, a dry run's filters).

Read by ``govnet api audit`` and ``GET /api/v1/audit`` (admin role).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from govnet.api.auth import Principal
from govnet.api.tables import Table
from govnet.monitor.store import Store

#: What a target is cut to (a dry run's filters can be long).
TARGET_MAX = 500


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action."""

    id: int
    at: float
    token_id: str
    token_name: str
    role: str
    action: str
    target: str
    address: str
    outcome: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


class AuditLog:
    """The ``api_audit`` table."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.table = Table(
            store,
            "api_audit",
            "id {id}, at {real} NOT NULL, token_id TEXT NOT NULL, token_name TEXT NOT NULL, "
            "role TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, address TEXT NOT NULL, "
            "outcome TEXT NOT NULL",
            ["CREATE INDEX IF NOT EXISTS api_audit_at ON api_audit (at)"],
        )
        self.clock = clock

    def record(self, caller: Principal | None, action: str, target: str, address: str, outcome: str) -> None:
        """Record one action (``caller`` None: the command line, named ``cli``)."""
        self.table.write(
            "INSERT INTO api_audit (at, token_id, token_name, role, action, target, address, outcome) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.clock(),
                caller.token_id if caller else "-",
                caller.name if caller else "cli",
                caller.role.value if caller else "-",
                action,
                target[:TARGET_MAX],
                address,
                outcome,
            ),
        )

    def entries(
        self, limit: int = 100, offset: int = 0, action: str | None = None
    ) -> tuple[list[AuditEntry], int]:
        """The newest entries first (optionally of one action), and how many there are in all."""
        where, params = ("WHERE action = ?", [action]) if action else ("", [])
        total = self.table.read_one(f"SELECT COUNT(*) FROM api_audit {where}", params)
        rows = self.table.read_all(
            "SELECT id, at, token_id, token_name, role, action, target, address, outcome "
            f"FROM api_audit {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [AuditEntry(int(r[0]), float(r[1]), *(str(x) for x in r[2:])) for r in rows], int(total[0])
