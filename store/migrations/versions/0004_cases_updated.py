"""Indexes on when each case last changed, so a reader keeping the one map's case layer up to date reads only what
changed (store/casebook.py Casebook.positions), and on open cases' due times (the overview's longest overdue first,
Casebook.overdue).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_updated", "cases", ["updated_ms"])
    op.create_index("ix_cases_state_due", "cases", ["state", "due_ms"])


def downgrade() -> None:
    op.drop_index("ix_cases_state_due", table_name="cases")
    op.drop_index("ix_cases_updated", table_name="cases")
