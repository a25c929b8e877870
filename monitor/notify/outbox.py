"""The durable outbox: every notification is a row before anything is sent.

One table, ``notify_outbox``, in the monitor's store (the same SQLite file or PostgreSQL
database, through SQLAlchemy Core on a connection of its own). A message is written when its
event happens and marked delivered when its channel took it (a 2xx answer, an SMTP server's
acceptance, ...). Per channel, only the oldest undelivered message is ever tried: a receiver that
is down holds back the messages after it, so when it comes back it gets every one of them, once,
in the order they were written. A failed attempt is retried after a back-off that doubles from
``retry.first`` up to ``retry.maximum`` (with some jitter). A crash between a delivery and its
mark sends that message again with the same ``webhook-id``, which lets a receiver drop it.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from govnet.errors import GovnetError
from govnet.monitor.store import default_store_url, mask_url

metadata = MetaData()

outbox_table = Table(
    "notify_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(64), nullable=False, unique=True),
    Column("channel", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("incident_id", Integer, nullable=True),
    Column("created", Float, nullable=False),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt", Float, nullable=False),
    Column("delivered", Float, nullable=True),
    Column("last_error", Text, nullable=True),
)
Index("notify_outbox_pending", outbox_table.c.channel, outbox_table.c.delivered, outbox_table.c.id)
Index("notify_outbox_incident", outbox_table.c.incident_id, outbox_table.c.channel)


class OutboxError(GovnetError):
    """The outbox could not be opened or written."""


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


def sqlalchemy_url(url: str | None) -> str:
    """The SQLAlchemy URL of a store URL (``sqlite:///PATH``, a plain path, ``postgresql://...``).

    >>> sqlalchemy_url("postgresql://govnet@db/govnet")
    'postgresql+psycopg://govnet@db/govnet'
    >>> sqlalchemy_url("sqlite:////var/lib/govnet/monitor.db")
    'sqlite:////var/lib/govnet/monitor.db'
    """
    url = url or os.environ.get("GOVNET_STORE") or default_store_url()
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return url
    if "://" in url:
        raise OutboxError(
            f"unknown store URL {mask_url(url)}", hint="use sqlite:///PATH or postgresql://user@host/db"
        )
    return "sqlite:///" + str(Path(url).resolve())


def backoff(attempts: int, first: float, maximum: float) -> float:
    """Seconds before the next attempt after ``attempts`` failures (doubling, capped, +0-10 % jitter)."""
    base = min(maximum, first * (2 ** max(0, attempts - 1)))
    return float(base * (1.0 + random.random() * 0.1))


class Outbox:
    """The ``notify_outbox`` table of one store."""

    def __init__(self, url: str | None = None) -> None:
        self.url = sqlalchemy_url(url)
        self._where = mask_url(self.url)
        args: dict[str, Any] = {"timeout": 15} if self.url.startswith("sqlite") else {}
        try:
            self.engine: Engine = create_engine(self.url, connect_args=args)
            metadata.create_all(self.engine, checkfirst=True)
        except SQLAlchemyError as exc:
            raise OutboxError(
                f"cannot open the notification outbox in {self._where}: {_first_line(exc)}"
            ) from exc

    def close(self) -> None:
        self.engine.dispose()

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
            with self._begin() as conn:
                conn.execute(insert(outbox_table), rows)
        return len(rows)

    def heads(self, now: float) -> list[OutboxRow]:
        """Per channel, its oldest undelivered message, when that one is due."""
        t = outbox_table
        first = (
            select(func.min(t.c.id)).where(t.c.delivered.is_(None)).group_by(t.c.channel).scalar_subquery()
        )
        query = select(t).where(and_(t.c.id.in_(first), t.c.next_attempt <= now)).order_by(t.c.id)
        with self._begin() as conn:
            return [_row(r) for r in conn.execute(query).mappings()]

    def next_due(self) -> float | None:
        """When the earliest undelivered head is due (None when nothing waits)."""
        t = outbox_table
        first = (
            select(func.min(t.c.id)).where(t.c.delivered.is_(None)).group_by(t.c.channel).scalar_subquery()
        )
        with self._begin() as conn:
            value = conn.execute(select(func.min(t.c.next_attempt)).where(t.c.id.in_(first))).scalar()
        return None if value is None else float(value)

    def delivered(self, row_id: int, at: float) -> None:
        with self._begin() as conn:
            conn.execute(
                update(outbox_table)
                .where(outbox_table.c.id == row_id)
                .values(delivered=at, attempts=outbox_table.c.attempts + 1, last_error=None)
            )

    def failed(self, row: OutboxRow, at: float, error: str, first: float, maximum: float) -> float:
        """Record a failed attempt; returns when the next one is due."""
        due = at + backoff(row.attempts + 1, first, maximum)
        with self._begin() as conn:
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
        with self._begin() as conn:
            value = conn.execute(query).scalar()
        return None if value is None else float(value)

    def prune(self, before: float) -> int:
        """Forget messages delivered before ``before`` (undelivered ones are always kept)."""
        t = outbox_table
        with self._begin() as conn:
            result = conn.execute(delete(t).where(and_(t.c.delivered.is_not(None), t.c.delivered < before)))
        return int(result.rowcount or 0)

    def rows(self, channel: str | None = None, pending_only: bool = False) -> list[OutboxRow]:
        """Stored messages, oldest first."""
        t = outbox_table
        query = select(t).order_by(t.c.id)
        if channel is not None:
            query = query.where(t.c.channel == channel)
        if pending_only:
            query = query.where(t.c.delivered.is_(None))
        with self._begin() as conn:
            return [_row(r) for r in conn.execute(query).mappings()]

    def _begin(self) -> _Guard:
        return _Guard(self.engine, self._where)


class _Guard:
    """``engine.begin()`` whose errors become :class:`OutboxError` (with the URL masked)."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._cm = engine.begin()
        self._where = where

    def __enter__(self) -> Any:
        try:
            return self._cm.__enter__()
        except SQLAlchemyError as exc:
            raise OutboxError(f"notification outbox {self._where}: {_first_line(exc)}") from exc

    def __exit__(self, *exc: Any) -> bool | None:
        try:
            return self._cm.__exit__(*exc)
        except SQLAlchemyError as err:
            raise OutboxError(f"notification outbox {self._where}: {_first_line(err)}") from err


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
    )
