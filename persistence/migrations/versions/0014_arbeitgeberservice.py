"""Arbeitgeberservice (R28): employers and network partners as contacts, conversations with them;
the inbox index in the R27 order (priority, within it Jobturbo first, R25).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ags_kontakte",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("art", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("branche", sa.String(100), nullable=True),
        sa.Column("anschrift", sa.String(300), nullable=True),
        sa.Column("telefon", sa.String(50), nullable=True),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ags_kontakte_art", "ags_kontakte", ["art"])
    op.create_index("ix_ags_kontakte_name", "ags_kontakte", ["name"])
    op.create_table(
        "ags_gespraeche",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kontakt_id", sa.Integer(), sa.ForeignKey("ags_kontakte.id"), nullable=False),
        sa.Column("am", sa.DateTime(timezone=True), nullable=False),
        sa.Column("thema", sa.String(40), nullable=False),
        sa.Column("notiz", sa.Text(), nullable=False),
        sa.Column("erfasst_von", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ags_gespraeche_kontakt_id", "ags_gespraeche", ["kontakt_id"])
    op.drop_index("ix_tasks_inbox", table_name="tasks")
    op.create_index("ix_tasks_inbox", "tasks", ["role", "status", "priority", sa.text("vorrang DESC"), "due", "id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_inbox", table_name="tasks")
    op.create_index("ix_tasks_inbox", "tasks", ["role", "status", sa.text("vorrang DESC"), "priority", "due", "id"])
    op.drop_index("ix_ags_gespraeche_kontakt_id", "ags_gespraeche")
    op.drop_table("ags_gespraeche")
    op.drop_index("ix_ags_kontakte_name", "ags_kontakte")
    op.drop_index("ix_ags_kontakte_art", "ags_kontakte")
    op.drop_table("ags_kontakte")
