"""The notification outbox (``govnet.monitor.notify.outbox``): one table of its own.

Every notification is a row here before it is sent; delivered rows are kept 30 days. Spelled out
here, not taken from the live metadata, like every revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Real: sa.types.TypeEngine[float] = sa.Double().with_variant(sa.REAL(), "sqlite")
RowId: sa.types.TypeEngine[int] = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notify_outbox",
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
        sqlite_autoincrement=True,
    )
    op.create_index("notify_outbox_pending", "notify_outbox", ["channel", "delivered", "id"])
    op.create_index("notify_outbox_incident", "notify_outbox", ["incident_id", "channel"])


def downgrade() -> None:
    op.drop_table("notify_outbox")
