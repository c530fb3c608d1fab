"""Indexes for the queues people open (the first cases of a step, longest waiting first; per district and per
department) and for the live layer's rebuild (closings by time), so they stay fast with a million cases
(bench/cases_bench.py).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_cases_state_reported": ["state", "reported_ms", "id"],
    "ix_cases_district_state_reported": ["district", "state", "reported_ms"],
    "ix_cases_department_state_reported": ["department", "state", "reported_ms"],
    "ix_cases_state_closed": ["state", "closed_ms"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "cases", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="cases")
