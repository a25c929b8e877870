"""Mark the store as migrated (``meta`` schema 2), and make ``meta.key`` NOT NULL on SQLite.

A govnet from before the migrations checks ``meta``'s schema number and refuses a store whose
number is above its own (1): so it cannot write into a store whose revisions it does not know.
SQLite lets a ``TEXT PRIMARY KEY`` hold NULL (a quirk it keeps for compatibility), which the old
DDL did not rule out; the table is rebuilt with its rows (govnet never wrote a NULL key).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("meta", recreate="always") as batch:
            batch.alter_column("key", existing_type=sa.Text(), nullable=False)
    op.execute(sa.text("UPDATE meta SET value = '2' WHERE key = 'schema'"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE meta SET value = '1' WHERE key = 'schema'"))
