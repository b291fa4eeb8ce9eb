"""Operator actions in the Temporal UI (README "Operations"): a case whose workflow was terminated,
cancelled, failed or timed out is closed with the reason; a reset workflow's events continue the
audit trail after the events it discarded (`sequence_offset`: audit sequence = workflow sequence +
offset).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: a batch rebuild of `cases` on SQLite would have to drop a
    # table other tables' foreign keys point at.
    op.add_column("cases", sa.Column("closed_reason", sa.String(40), nullable=True))
    op.add_column("cases", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("cases", sa.Column("sequence_offset", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for column in ("sequence_offset", "closed_at", "closed_reason"):  # SQLite 3.35+ drops columns in place
        op.drop_column("cases", column)
