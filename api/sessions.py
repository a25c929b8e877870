"""Browser sessions for the NOC page: a token is exchanged once for a server-side session.

The cookie holds a random session id (32 bytes), never the token; the store keeps only the id's
SHA-256 (table ``api_sessions``, created by the store's migration 0004), the token id it stands
for, a CSRF secret and two times. A session ends after :attr:`Sessions.idle_s` without a
request, after :attr:`Sessions.absolute_s` in any case, on logout, and with its token: every
request looks the token up again, so a revoked or expired token ends its sessions at once.
Each login deletes the sessions that have ended (a browser that dropped its cookie never asks
again) and keeps a token to its :data:`MAX_SESSIONS_PER_TOKEN` newest sessions.

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

import sqlalchemy as sa

from govnet.monitor.store import Store
from govnet.monitor.store.schema import api_sessions as table

COOKIE = "govnet_session"
CSRF_HEADER = "x-csrf-token"

#: A session's ``last_seen`` is written at most this often (a read per request, not a write).
TOUCH_EVERY_S = 60.0
#: Live sessions one token may hold; a login beyond ends the token's oldest.
MAX_SESSIONS_PER_TOKEN = 20


@dataclass(frozen=True)
class Session:
    """One live session (its id is known only to the browser)."""

    token_id: str
    csrf: str
    created: float
    last_seen: float

    def csrf_matches(self, sent: str | None) -> bool:
        """Whether ``sent`` is the CSRF secret issued with this browser login (compared in
        constant time)."""
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
        self.db = store.db
        self.idle_s = idle_s
        self.absolute_s = absolute_s
        self.clock = clock

    def start(self, token_id: str) -> tuple[str, Session]:
        """A new session for ``token_id``: (its id, for the cookie only; the session)."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(token_id, secrets.token_urlsafe(32), now, now)
        c = table.c
        # Sessions whose browser never came back are found by no request: each login sweeps them.
        expired = (c.last_seen <= now - self.idle_s) | (c.created <= now - self.absolute_s)
        newest = (
            sa.select(c.id_sha256)
            .where(c.token_id == token_id)
            .order_by(c.created.desc())
            .limit(MAX_SESSIONS_PER_TOKEN - 1)
        )
        with self.db.write() as conn:
            conn.execute(sa.delete(table).where(expired))
            conn.execute(
                sa.delete(table).where(c.token_id == token_id, c.id_sha256.not_in(newest.scalar_subquery()))
            )
            conn.execute(
                sa.insert(table).values(
                    id_sha256=_digest(session_id),
                    token_id=token_id,
                    csrf=session.csrf,
                    created=now,
                    last_seen=now,
                )
            )
        return session_id, session

    def get(self, session_id: str) -> Session | None:
        """The live session with this id (None: unknown, idle too long, or too old; then deleted)."""
        digest = _digest(session_id)
        query = sa.select(table.c.token_id, table.c.csrf, table.c.created, table.c.last_seen).where(
            table.c.id_sha256 == digest
        )
        with self.db.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        session = Session(str(row[0]), str(row[1]), float(row[2]), float(row[3]))
        now = self.clock()
        if now - session.last_seen >= self.idle_s or now - session.created >= self.absolute_s:
            self._delete(table.c.id_sha256 == digest)
            return None
        if now - session.last_seen >= TOUCH_EVERY_S:
            with self.db.write() as conn:
                conn.execute(sa.update(table).where(table.c.id_sha256 == digest).values(last_seen=now))
        return session

    def end(self, session_id: str) -> None:
        """Forget one session."""
        self._delete(table.c.id_sha256 == _digest(session_id))

    def end_token(self, token_id: str) -> None:
        """Forget every session of a token (its revocation)."""
        self._delete(table.c.token_id == token_id)

    def count(self) -> int:
        """Sessions in the table (live or not yet swept)."""
        with self.db.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    def token_ids(self) -> list[str]:
        """The token id of every session in the table (for tests and audits; no session id)."""
        with self.db.read() as conn:
            return [str(r[0]) for r in conn.execute(sa.select(table.c.token_id))]

    def _delete(self, where: sa.ColumnElement[bool]) -> None:
        with self.db.write() as conn:
            conn.execute(sa.delete(table).where(where))
