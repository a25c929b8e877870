"""The store's schema as govnet created it before migrations (its ``meta`` schema 1).

A store created by that govnet is stamped with this revision when first opened, then upgraded;
a new store is created by running it. The tables are spelled out here, not taken from the live
metadata: a migration must keep meaning what it meant when it was written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Real: sa.types.TypeEngine[float] = sa.Double().with_variant(sa.REAL(), "sqlite")
RowId: sa.types.TypeEngine[int] = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column[int]:
    return sa.Column("id", RowId, sa.Identity(always=True), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "meta", sa.Column("key", sa.Text, primary_key=True), sa.Column("value", sa.Text, nullable=False)
    )
    op.create_table(
        "current",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("since", Real, nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_table(
        "changes",
        _id(),
        sa.Column("at", Real, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("old", sa.Text),
        sa.Column("new", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("changes_by_name", "changes", ["kind", "name", "at"])
    op.create_index("changes_by_time", "changes", ["at"])
    rates = ("in_bps", "out_bps", "util_pct", "in_err_ps", "out_err_ps", "in_disc_ps", "out_disc_ps")
    op.create_table(
        "samples",
        sa.Column("at", Real, nullable=False),
        sa.Column("device", sa.Text, nullable=False),
        sa.Column("interface", sa.Text, nullable=False),
        sa.Column("link", sa.Text),
        *(sa.Column(name, Real) for name in rates),
    )
    op.create_index("samples_by_if", "samples", ["device", "interface", "at"])
    op.create_index("samples_by_time", "samples", ["at"])
    op.create_table(
        "samples_hourly",
        sa.Column("hour", Real, primary_key=True),
        sa.Column("device", sa.Text, primary_key=True),
        sa.Column("interface", sa.Text, primary_key=True),
        sa.Column("link", sa.Text),
        sa.Column("n", sa.Integer, nullable=False),
        *(sa.Column(n, Real) for n in ("in_bps_avg", "out_bps_avg", "util_avg", "util_max", "err_ps_avg")),
    )
    op.create_table(
        "polls",
        sa.Column("at", Real, nullable=False),
        sa.Column("device", sa.Text, nullable=False),
        sa.Column("shard", sa.Text, nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("ok", sa.Integer, nullable=False),
        sa.Column("seconds", Real, nullable=False),
        sa.Column("varbinds", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
    )
    op.create_index("polls_by_time", "polls", ["at"])
    op.create_table(
        "incidents",
        _id(),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("root_cause", sa.Text, nullable=False),
        sa.Column("opened", Real, nullable=False),
        sa.Column("updated", Real, nullable=False),
        sa.Column("closed", Real),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("acknowledged_by", sa.Text),
        sa.Column("acknowledged_at", Real),
        sqlite_autoincrement=True,
    )
    op.create_index("incidents_open", "incidents", ["closed", "key"])
    op.create_table(
        "maintenance",
        _id(),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("starts", Real, nullable=False),
        sa.Column("ends", Real, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.execute(sa.text("INSERT INTO meta (key, value) VALUES ('schema', '1')"))


def downgrade() -> None:
    for table in (
        "maintenance",
        "incidents",
        "polls",
        "samples_hourly",
        "samples",
        "changes",
        "current",
        "meta",
    ):
        op.drop_table(table)
