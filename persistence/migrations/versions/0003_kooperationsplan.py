"""Kooperationsplan: plan versions (R40–R42), the plan's content outside Temporal.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("kooperationsplan",)
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("quelle", sa.String(20), nullable=False),
        sa.Column("inhalt", sa.JSON(), nullable=False),
        sa.Column("inhalt_hash", sa.String(64), nullable=False),
        sa.Column("erstellt_von", sa.String(100), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("gueltig_ab", TIMESTAMP, nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.UniqueConstraint("case_id", "version", name="uq_plan_versions_case_version"),
    )
    op.create_index("ix_plan_versions_case_id", "plan_versions", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_plan_versions_case_id", table_name="plan_versions")
    op.drop_table("plan_versions")
