"""The durable outbox: every notification is a row before anything is sent.

One table, ``notify_outbox``, in the monitor's store (the same SQLite file or PostgreSQL
database, through the store's pooled :class:`govnet.monitor.store.database.Database`); its
Alembic revision is ``0003_notify_outbox``. A message is written when its event happens and marked
delivered when its channel took it (a 2xx answer, an SMTP server's acceptance, ...). Per channel,
only the oldest undelivered message is ever tried: a receiver that is down holds back the messages
after it, so when it comes back it gets every one of them, once, in the order they were written. A
failed attempt is retried after a back-off that doubles from ``retry.first`` up to
``retry.maximum`` (with some jitter). A crash between a delivery and its mark sends that message
again with the same ``webhook-id``, which lets a receiver drop it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, delete, func, insert, select, update

from govnet.monitor.store import StoreError, store_url
from govnet.monitor.store.database import Database
from govnet.monitor.store.facade import open_database
from govnet.monitor.store.schema import Real, RowId, metadata

#: The outbox's table, on the store's metadata (the migrations' environment imports this module).
outbox_table = sa.Table(
    "notify_outbox",
    metadata,
    sa.Column("id", RowId, sa.Identity(always=True), primary_key=True),
    sa.Column("message_id", sa.Text, nullable=False, unique=True),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("incident_id", sa.BigInteger),
    sa.Column("created", Real, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt", Real, nullable=False),
    sa.Column("delivered", Real),
    sa.Column("last_error", sa.Text),
    #: When the message was given up (its receiver answered 410 Gone): never tried again.
    sa.Column("given_up", Real),
    sa.Index("notify_outbox_pending", "channel", "delivered", "id"),
    sa.Index("notify_outbox_incident", "incident_id", "channel"),
    sqlite_autoincrement=True,
)

#: Channels whose receiver is gone (410): disabled until ``govnet notify enable`` (migration 0006).
channels_table = sa.Table(
    "notify_channels",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("disabled", Real, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("message_id", sa.Text, nullable=False),
)

#: The outbox's errors are the store's (the database's own words, the URL without its password).
OutboxError = StoreError


@dataclass(frozen=True)
class Pending:
    """A message to write: ``payload`` holds what the channel sends (subject, text, JSON body)."""

    message_id: str
    channel: str
    event_type: str
    subject: str
    incident_id: int | None
    created: float
    payload: dict[str, Any]
    not_before: float


@dataclass(frozen=True)
class OutboxRow:
    """A stored message."""

    id: int
    message_id: str
    channel: str
    event_type: str
    subject: str
    incident_id: int | None
    created: float
    payload: dict[str, Any]
    attempts: int
    next_attempt: float
    delivered: float | None
    last_error: str | None
    given_up: float | None = None


@dataclass(frozen=True)
class Disabled:
    """A channel switched off because its receiver is gone."""

    channel: str
    since: float
    reason: str
    message_id: str


def backoff(attempts: int, first: float, maximum: float) -> float:
    """Seconds before the next attempt after ``attempts`` failures (doubling, capped, +0-10 % jitter)."""
    base = min(maximum, first * (2 ** max(0, attempts - 1)))
    return float(base * (1.0 + random.random() * 0.1))


class Outbox:
    """The ``notify_outbox`` table of one store: given the store's database, or a store URL."""

    def __init__(self, db: Database | str | None = None) -> None:
        self._owned = not isinstance(db, Database)
        self.db = db if isinstance(db, Database) else open_database(store_url(db))

    def close(self) -> None:
        """Close the database when the outbox opened it (a store's own is the store's to close)."""
        if self._owned:
            self.db.dispose()

    def add(self, items: Iterable[Pending]) -> int:
        """Write messages (one transaction); returns how many."""
        rows = [
            {
                "message_id": p.message_id,
                "channel": p.channel,
                "event_type": p.event_type,
                "subject": p.subject[:300],
                "incident_id": p.incident_id,
                "created": p.created,
                "payload": json.dumps(p.payload, ensure_ascii=False),
                "attempts": 0,
                "next_attempt": p.not_before,
            }
            for p in items
        ]
        if rows:
            with self.db.write() as conn:
                conn.execute(insert(outbox_table), rows)
        return len(rows)

    def heads(self, now: float) -> list[OutboxRow]:
        """Per channel, its oldest undelivered message, when that one is due."""
        t = outbox_table
        first = select(func.min(t.c.id)).where(_waiting(t)).group_by(t.c.channel).scalar_subquery()
        query = select(t).where(and_(t.c.id.in_(first), t.c.next_attempt <= now)).order_by(t.c.id)
        with self.db.read() as conn:
            return [_row(r) for r in conn.execute(query).mappings()]

    def next_due(self) -> float | None:
        """When the earliest undelivered head is due (None when nothing waits)."""
        t = outbox_table
        first = select(func.min(t.c.id)).where(_waiting(t)).group_by(t.c.channel).scalar_subquery()
        with self.db.read() as conn:
            value = conn.execute(select(func.min(t.c.next_attempt)).where(t.c.id.in_(first))).scalar()
        return None if value is None else float(value)

    def delivered(self, row_id: int, at: float) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(outbox_table)
                .where(outbox_table.c.id == row_id)
                .values(delivered=at, attempts=outbox_table.c.attempts + 1, last_error=None)
            )

    def failed(self, row: OutboxRow, at: float, error: str, first: float, maximum: float) -> float:
        """Record a failed attempt; returns when the next one is due."""
        due = at + backoff(row.attempts + 1, first, maximum)
        with self.db.write() as conn:
            conn.execute(
                update(outbox_table)
                .where(outbox_table.c.id == row.id)
                .values(attempts=outbox_table.c.attempts + 1, next_attempt=due, last_error=error[:500])
            )
        return due

    def last_sent(self, incident_id: int, channel: str, types: Iterable[str]) -> float | None:
        """When the latest message of these types about this incident was written for this channel."""
        t = outbox_table
        query = select(func.max(t.c.created)).where(
            and_(t.c.incident_id == incident_id, t.c.channel == channel, t.c.event_type.in_(list(types)))
        )
        with self.db.read() as conn:
            value = conn.execute(query).scalar()
        return None if value is None else float(value)

    def prune(self, before: float) -> int:
        """Forget messages delivered (or given up) before ``before``; waiting ones are always kept."""
        t = outbox_table
        done = sa.or_(t.c.delivered < before, t.c.given_up < before)
        with self.db.write() as conn:
            result = conn.execute(delete(t).where(done))
        return int(result.rowcount or 0)

    def message_ids(self, ids: list[str]) -> set[str]:
        """Which of these message ids the outbox holds (delivered, waiting or given up)."""
        t = outbox_table
        with self.db.read() as conn:
            return {str(r[0]) for r in conn.execute(select(t.c.message_id).where(t.c.message_id.in_(ids)))}

    def rows(self, channel: str | None = None, pending_only: bool = False) -> list[OutboxRow]:
        """Stored messages, oldest first."""
        t = outbox_table
        query = select(t).order_by(t.c.id)
        if channel is not None:
            query = query.where(t.c.channel == channel)
        if pending_only:
            query = query.where(_waiting(t))
        with self.db.read() as conn:
            return [_row(r) for r in conn.execute(query).mappings()]

    def give_up(self, row: OutboxRow, at: float, reason: str) -> int:
        """The receiver is gone: disable the channel, give up this message and those waiting behind it.

        Returns how many messages were given up. One transaction: a crash leaves both or neither.
        """
        t, c = outbox_table, channels_table
        with self.db.write() as conn:
            conn.execute(delete(c).where(c.c.name == row.channel))
            conn.execute(
                insert(c).values(
                    name=row.channel, disabled=at, reason=reason[:500], message_id=row.message_id
                )
            )
            conn.execute(
                update(t).where(t.c.id == row.id).values(attempts=t.c.attempts + 1, last_error=reason[:500])
            )
            done = conn.execute(
                update(t).where(and_(t.c.channel == row.channel, _waiting(t))).values(given_up=at)
            )
        return int(done.rowcount or 0)

    def disabled(self) -> dict[str, Disabled]:
        """The disabled channels, by name."""
        c = channels_table
        with self.db.read() as conn:
            rows = conn.execute(select(c.c.name, c.c.disabled, c.c.reason, c.c.message_id)).all()
        return {str(r[0]): Disabled(str(r[0]), float(r[1]), str(r[2]), str(r[3])) for r in rows}

    def enable(self, channel: str) -> bool:
        """Switch a disabled channel on again; False when it was not disabled."""
        c = channels_table
        with self.db.write() as conn:
            done = conn.execute(delete(c).where(c.c.name == channel))
        return bool(done.rowcount)

    def counts(self) -> dict[str, dict[str, Any]]:
        """Per channel: messages waiting, delivered, given up, and the last delivery and error."""
        t = outbox_table
        query = select(
            t.c.channel,
            func.sum(sa.case((_waiting(t), 1), else_=0)),
            func.sum(sa.case((t.c.delivered.is_not(None), 1), else_=0)),
            func.sum(sa.case((t.c.given_up.is_not(None), 1), else_=0)),
            func.max(t.c.delivered),
        ).group_by(t.c.channel)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
            errors = dict(
                conn.execute(
                    select(t.c.channel, t.c.last_error).where(
                        t.c.id.in_(
                            select(func.max(t.c.id))
                            .where(t.c.last_error.is_not(None))
                            .group_by(t.c.channel)
                            .scalar_subquery()
                        )
                    )
                ).all()
            )
        return {
            str(r[0]): {
                "waiting": int(r[1] or 0),
                "delivered": int(r[2] or 0),
                "given_up": int(r[3] or 0),
                "last_delivered": None if r[4] is None else float(r[4]),
                "last_error": errors.get(r[0]),
            }
            for r in rows
        }


def _waiting(t: sa.Table) -> sa.ColumnElement[bool]:
    """Neither delivered nor given up."""
    return and_(t.c.delivered.is_(None), t.c.given_up.is_(None))


def _row(r: Any) -> OutboxRow:
    return OutboxRow(
        id=int(r["id"]),
        message_id=str(r["message_id"]),
        channel=str(r["channel"]),
        event_type=str(r["event_type"]),
        subject=str(r["subject"]),
        incident_id=None if r["incident_id"] is None else int(r["incident_id"]),
        created=float(r["created"]),
        payload=json.loads(r["payload"]),
        attempts=int(r["attempts"]),
        next_attempt=float(r["next_attempt"]),
        delivered=None if r["delivered"] is None else float(r["delivered"]),
        last_error=r["last_error"],
        given_up=None if r["given_up"] is None else float(r["given_up"]),
    )
