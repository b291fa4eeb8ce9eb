"""Group coaching: sessions and bookings (R20–R22); tasks get Jobturbo precedence (R25),
a non-case subject (R21 session decisions) and who completed them by hand.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("gruppencoaching",)
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gc_sitzungen",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("beginn", TIMESTAMP, nullable=False),
        sa.Column("dauer_minuten", sa.Integer(), nullable=False),
        sa.Column("kapazitaet", sa.Integer(), nullable=False),
        sa.Column("min_teilnehmende", sa.Integer(), nullable=False),
        sa.Column("pruefung_um", TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("gebucht_bei_pruefung", sa.Integer(), nullable=True),
        sa.Column("entscheidung", sa.String(30), nullable=True),
        sa.Column("entschieden_von", sa.String(100), nullable=True),
        sa.Column("entschieden_am", TIMESTAMP, nullable=True),
        sa.Column("kommentar", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("beginn"),
    )
    op.create_index("ix_gc_sitzungen_status", "gc_sitzungen", ["status"])

    op.create_table(
        "gc_buchungen",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sitzung_id", sa.Integer(), sa.ForeignKey("gc_sitzungen.id"), nullable=False),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("anwesend", sa.Boolean(), nullable=True),
        sa.Column("gebucht_von", sa.String(100), nullable=False),
        sa.Column("gebucht_am", TIMESTAMP, nullable=False),
        sa.Column("storniert_am", TIMESTAMP, nullable=True),
        sa.Column("anwesenheit_von", sa.String(100), nullable=True),
        sa.UniqueConstraint("sitzung_id", "case_id", name="uq_gc_buchungen_sitzung_case"),
    )
    op.create_index("ix_gc_buchungen_sitzung_id", "gc_buchungen", ["sitzung_id"])
    op.create_index("ix_gc_buchungen_case_id", "gc_buchungen", ["case_id"])

    with op.batch_alter_table("tasks") as tasks:
        tasks.add_column(sa.Column("vorrang", sa.Boolean(), server_default=sa.false(), nullable=False))
        tasks.add_column(sa.Column("ref", sa.String(100), nullable=True))
        tasks.add_column(sa.Column("closed_by", sa.String(100), nullable=True))
        tasks.create_unique_constraint("uq_tasks_kind_ref", ["kind", "ref"])


def downgrade() -> None:
    with op.batch_alter_table("tasks") as tasks:
        tasks.drop_constraint("uq_tasks_kind_ref", type_="unique")
        tasks.drop_column("closed_by")
        tasks.drop_column("ref")
        tasks.drop_column("vorrang")
    op.drop_table("gc_buchungen")
    op.drop_table("gc_sitzungen")
