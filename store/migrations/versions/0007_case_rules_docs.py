"""The dispatch table and time limits as an admin edits them (config/case_rules.yaml is the default until the first
edit): every saved version, who saved it and when; the newest applies (cases/service.py rules).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_rules_docs",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("doc", sa.Text, nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_rules_docs")
