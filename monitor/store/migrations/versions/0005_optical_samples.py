"""Optical receive power in the interface samples and their hourly rollups (nullable columns).

``samples.rx_dbm`` is the level a transceiver reported at the poll; ``samples_hourly`` keeps each
hour's average and lowest level, so a fiber degrading over weeks shows in the 30-day history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Real: sa.types.TypeEngine[float] = sa.Double().with_variant(sa.REAL(), "sqlite")


def upgrade() -> None:
    op.add_column("samples", sa.Column("rx_dbm", Real))
    op.add_column("samples_hourly", sa.Column("rx_dbm_avg", Real))
    op.add_column("samples_hourly", sa.Column("rx_dbm_min", Real))


def downgrade() -> None:
    with op.batch_alter_table("samples_hourly") as batch:
        batch.drop_column("rx_dbm_min")
        batch.drop_column("rx_dbm_avg")
    with op.batch_alter_table("samples") as batch:
        batch.drop_column("rx_dbm")
