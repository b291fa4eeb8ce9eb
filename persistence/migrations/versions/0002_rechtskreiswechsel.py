"""Rechtskreiswechsel: information events (R31), their bookings and the generated calendar months.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("rechtskreiswechsel",)
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "infoveranstaltungen",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("standort", sa.String(60), nullable=False),
        sa.Column("beginn", TIMESTAMP, nullable=False),
        sa.Column("dauer_minuten", sa.Integer(), nullable=False),
        sa.Column("adresse", sa.String(200), nullable=False),
        sa.Column("raum", sa.String(100), nullable=False),
        sa.Column("kapazitaet", sa.Integer(), nullable=False),
        sa.Column("belegt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("standort", "beginn", name="uq_infoveranstaltungen_standort_beginn"),
    )
    op.create_index("ix_infoveranstaltungen_standort", "infoveranstaltungen", ["standort"])
    op.create_index("ix_infoveranstaltungen_beginn", "infoveranstaltungen", ["beginn"])

    op.create_table(
        "infoveranstaltung_buchungen",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("veranstaltung_id", sa.Integer(), sa.ForeignKey("infoveranstaltungen.id"), nullable=False),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(60), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("case_id", "sequence", "trigger", name="uq_infoveranstaltung_buchungen_step"),
    )
    op.create_index(
        "ix_infoveranstaltung_buchungen_veranstaltung_id", "infoveranstaltung_buchungen", ["veranstaltung_id"]
    )
    op.create_index("ix_infoveranstaltung_buchungen_case_id", "infoveranstaltung_buchungen", ["case_id"])

    op.create_table(
        "infokalender_monate",
        sa.Column("standort", sa.String(60), primary_key=True),
        sa.Column("monat", sa.String(7), primary_key=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )


def downgrade() -> None:
    for table in ("infokalender_monate", "infoveranstaltung_buchungen", "infoveranstaltungen"):
        op.drop_table(table)
