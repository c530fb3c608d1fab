"""Whether a case was dispatched urgent (its time limit the urgent one), and when it was last dispatched: the wall
flashes urgent cases for a while after their dispatch (store/loop.py LOOP_URGENT).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("dispatched_ms", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("dispatched_ms")
        batch.drop_column("urgent")
