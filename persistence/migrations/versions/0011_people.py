"""People (R14): Kundennummer and name search keys on people, the Kundennummer counter, and the
indexes person search, the Fallakte and the inbox need at 50,000 open cases (bench/people.py).

Existing people get Kundennummern in the order they were created (1, 2, ...); the counter
continues after the last one. Search keys are computed with persistence.people.search_key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.people import KUNDENNUMMER, format_kundennummer, search_key

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("people", sa.Column("kundennummer", sa.String(20), nullable=True))
    op.add_column("people", sa.Column("vorname_suche", sa.String(100), nullable=True))
    op.add_column("people", sa.Column("nachname_suche", sa.String(100), nullable=True))
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    people = sa.table(
        "people",
        sa.column("person_id", sa.String),
        sa.column("vorname", sa.String),
        sa.column("nachname", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("kundennummer", sa.String),
        sa.column("vorname_suche", sa.String),
        sa.column("nachname_suche", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(people.c.person_id, people.c.vorname, people.c.nachname).order_by(
            people.c.created_at, people.c.person_id
        )
    ).all()
    for number, row in enumerate(rows, 1):
        bind.execute(
            people.update()
            .where(people.c.person_id == row.person_id)
            .values(
                kundennummer=format_kundennummer(number),
                vorname_suche=search_key(row.vorname),
                nachname_suche=search_key(row.nachname),
            )
        )
    op.bulk_insert(counters, [{"name": KUNDENNUMMER, "value": len(rows)}])
    op.create_index("ux_people_kundennummer", "people", ["kundennummer"], unique=True)
    op.create_index("ix_people_nachname_suche", "people", ["nachname_suche", "vorname_suche"])
    op.create_index("ix_people_vorname_suche", "people", ["vorname_suche"])
    op.create_index("ix_people_geburtsdatum", "people", ["geburtsdatum"])
    op.create_index("ix_cases_person", "cases", ["person_id"])
    op.create_index("ix_tasks_inbox", "tasks", ["role", "status", sa.text("vorrang DESC"), "priority", "due", "id"])


def downgrade() -> None:
    for index, table in (
        ("ix_tasks_inbox", "tasks"),
        ("ix_cases_person", "cases"),
        ("ix_people_geburtsdatum", "people"),
        ("ix_people_vorname_suche", "people"),
        ("ix_people_nachname_suche", "people"),
        ("ux_people_kundennummer", "people"),
    ):
        op.drop_index(index, table_name=table)
    op.drop_table("counters")
    # Not batch mode: on SQLite it would rebuild `people`, and dropping the old table sets every
    # cases.person_id to NULL (ON DELETE SET NULL). SQLite >= 3.35 drops a column in place.
    for column in ("nachname_suche", "vorname_suche", "kundennummer"):
        op.execute(f"ALTER TABLE people DROP COLUMN {column}")
