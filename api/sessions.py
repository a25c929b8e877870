"""Browser sessions for the NOC page: a token is exchanged once for a server-side session.

The cookie holds a random session id (32 bytes), never the token; the store keeps only the id's
SHA-256 (table ``api_sessions``), the token id it stands for, a CSRF secret and two times. A
session ends after :attr:`Sessions.idle_s` without a request, after :attr:`Sessions.absolute_s`
in any case, on logout, and with its token: every request looks the token up again, so a revoked
or expired token ends its sessions at once.

State-changing requests made with a session (anything but GET/HEAD/OPTIONS) must carry the
session's CSRF secret in ``X-CSRF-Token`` (the page gets it from ``GET /api/v1/session``); the
cookie is ``SameSite=Strict`` as well. Requests with a bearer token need neither.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from govnet.api.tables import Table
from govnet.monitor.store import Store

COOKIE = "govnet_session"
CSRF_HEADER = "x-csrf-token"

#: A session's ``last_seen`` is written at most this often (a read per request, not a write).
TOUCH_EVERY_S = 60.0


@dataclass(frozen=True)
class Session:
    """One live session (its id is known only to the browser)."""

    token_id: str
    csrf: str
    created: float
    last_seen: float

    def csrf_matches(self, sent: str | None) -> bool:
        """Whether ``sent`` is this session's CSRF secret (constant time)."""
        return sent is not None and hmac.compare_digest(sent.encode(), self.csrf.encode())


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    """The ``api_sessions`` table."""

    def __init__(
        self,
        store: Store,
        idle_s: float = 30 * 60,
        absolute_s: float = 12 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table = Table(
            store,
            "api_sessions",
            "id_sha256 TEXT PRIMARY KEY, token_id TEXT NOT NULL, csrf TEXT NOT NULL, "
            "created {real} NOT NULL, last_seen {real} NOT NULL",
            ["CREATE INDEX IF NOT EXISTS api_sessions_token ON api_sessions (token_id)"],
        )
        self.idle_s = idle_s
        self.absolute_s = absolute_s
        self.clock = clock

    def start(self, token_id: str) -> tuple[str, Session]:
        """A new session for ``token_id``: (its id, for the cookie only; the session)."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(token_id, secrets.token_urlsafe(32), now, now)
        self.table.write(
            "INSERT INTO api_sessions (id_sha256, token_id, csrf, created, last_seen) VALUES (?, ?, ?, ?, ?)",
            (_digest(session_id), token_id, session.csrf, now, now),
        )
        return session_id, session

    def get(self, session_id: str) -> Session | None:
        """The live session with this id (None: unknown, idle too long, or too old; then deleted)."""
        digest = _digest(session_id)
        row = self.table.read_one(
            "SELECT token_id, csrf, created, last_seen FROM api_sessions WHERE id_sha256 = ?", (digest,)
        )
        if row is None:
            return None
        session = Session(str(row[0]), str(row[1]), float(row[2]), float(row[3]))
        now = self.clock()
        if now - session.last_seen >= self.idle_s or now - session.created >= self.absolute_s:
            self.table.write("DELETE FROM api_sessions WHERE id_sha256 = ?", (digest,))
            return None
        if now - session.last_seen >= TOUCH_EVERY_S:
            self.table.write("UPDATE api_sessions SET last_seen = ? WHERE id_sha256 = ?", (now, digest))
        return session

    def end(self, session_id: str) -> None:
        """Forget one session."""
        self.table.write("DELETE FROM api_sessions WHERE id_sha256 = ?", (_digest(session_id),))

    def end_token(self, token_id: str) -> None:
        """Forget every session of a token (its revocation)."""
        self.table.write("DELETE FROM api_sessions WHERE token_id = ?", (token_id,))

    def count(self) -> int:
        """Sessions in the table (live or not yet swept)."""
        row = self.table.read_one("SELECT COUNT(*) FROM api_sessions", ())
        return int(row[0]) if row else 0
