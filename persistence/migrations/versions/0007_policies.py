"""Each case's policy (R60): a `policies` table, content-addressed, referenced from `cases`.

The workflow decides with the policy the case started with; the API listed allowed triggers
with the current settings' policy. Case creation (and record_transition for a case opened by
another case) now stores the policy once per content and links the case to it. Cases started
before this migration have no policy_id: the API falls back to the current settings for them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("policy_id", sa.String(64), primary_key=True),
        sa.Column("regime", sa.String(60), nullable=True),
        sa.Column("policy_values", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN with its REFERENCES clause: a batch copy of `cases` would drop the table
        # that case_events and the other tables reference.
        op.execute("ALTER TABLE cases ADD COLUMN policy_id VARCHAR(64) REFERENCES policies (policy_id)")
    else:
        op.add_column("cases", sa.Column("policy_id", sa.String(64), nullable=True))
        op.create_foreign_key("cases_policy_id_fkey", "cases", "policies", ["policy_id"], ["policy_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE cases DROP COLUMN policy_id")  # SQLite 3.35+
    else:
        op.drop_constraint("cases_policy_id_fkey", "cases", type_="foreignkey")
        op.drop_column("cases", "policy_id")
    op.drop_table("policies")
