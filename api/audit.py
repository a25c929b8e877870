"""The audit log: who did what, when, from where, to what (table ``api_audit`` in the store,
created by its migration 0004).

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

import sqlalchemy as sa

from govnet.api.auth import Principal
from govnet.monitor.store import Store
from govnet.monitor.store.schema import api_audit as table

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
        self.db = store.db
        self.clock = clock

    def record(self, caller: Principal | None, action: str, target: str, address: str, outcome: str) -> None:
        """Record one action (``caller`` None: the command line, named ``cli``)."""
        with self.db.write() as conn:
            conn.execute(
                sa.insert(table).values(
                    at=self.clock(),
                    token_id=caller.token_id if caller else "-",
                    token_name=caller.name if caller else "cli",
                    role=caller.role.value if caller else "-",
                    action=action,
                    target=target[:TARGET_MAX],
                    address=address,
                    outcome=outcome,
                )
            )

    def entries(
        self, limit: int = 100, offset: int = 0, action: str | None = None
    ) -> tuple[list[AuditEntry], int]:
        """The newest entries first (optionally of one action), and how many there are in all."""
        where = [table.c.action == action] if action else []
        columns = [table.c[name] for name in AuditEntry.__dataclass_fields__]
        query = sa.select(*columns).where(*where).order_by(table.c.id.desc()).limit(limit).offset(offset)
        with self.db.read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()
            rows = conn.execute(query).all()
        return [AuditEntry(int(r[0]), float(r[1]), *(str(x) for x in r[2:])) for r in rows], int(total)
