"""The API's browser sessions and audit log: two small tables.

``api_sessions`` holds a session id's SHA-256 (never the id), its token id, its CSRF secret and
two times; ``api_audit`` who did what, when, from where (never a secret).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Real: sa.types.TypeEngine[float] = sa.Double().with_variant(sa.REAL(), "sqlite")
RowId: sa.types.TypeEngine[int] = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "api_sessions",
        sa.Column("id_sha256", sa.Text, primary_key=True),
        sa.Column("token_id", sa.Text, nullable=False),
        sa.Column("csrf", sa.Text, nullable=False),
        sa.Column("created", Real, nullable=False),
        sa.Column("last_seen", Real, nullable=False),
    )
    op.create_index("api_sessions_by_token", "api_sessions", ["token_id"])
    op.create_table(
        "api_audit",
        sa.Column("id", RowId, sa.Identity(always=True), primary_key=True),
        sa.Column("at", Real, nullable=False),
        sa.Column("token_id", sa.Text, nullable=False),
        sa.Column("token_name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("api_audit_by_time", "api_audit", ["at"])
    op.create_index("api_audit_by_action", "api_audit", ["action", "id"])


def downgrade() -> None:
    op.drop_table("api_audit")
    op.drop_table("api_sessions")
