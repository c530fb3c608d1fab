"""The Open311 forwarding outbox (data_sources/providers/open311_forward.py): one row per case sent, or to be sent,
to the city's upstream Open311 endpoint; its attempts, the next try, the upstream's id, and the dead letters.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_forwards",
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_ms", sa.BigInteger, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("sent_ms", sa.BigInteger),
        sa.Column("upstream_id", sa.String(128)),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_case_forwards_state_next", "case_forwards", ["state", "next_ms"])


def downgrade() -> None:
    op.drop_index("ix_case_forwards_state_next", table_name="case_forwards")
    op.drop_table("case_forwards")
