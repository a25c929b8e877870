"""Notification channels a receiver has retired: ``notify_channels`` and ``notify_outbox.given_up``.

A webhook receiver answering 410 Gone (Standard Webhooks: the endpoint no longer exists) disables
its channel: one row in ``notify_channels`` (since when, why, which message), kept across restarts
until ``govnet notify enable``. The message it refused, and those waiting behind it, are marked
``given_up`` (never retried, kept as the record of what was not sent).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Real: sa.types.TypeEngine[float] = sa.Double().with_variant(sa.REAL(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notify_channels",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("disabled", Real, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
    )
    op.add_column("notify_outbox", sa.Column("given_up", Real))


def downgrade() -> None:
    with op.batch_alter_table("notify_outbox") as batch:
        batch.drop_column("given_up")
    op.drop_table("notify_channels")
