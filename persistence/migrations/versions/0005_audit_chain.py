"""Tamper-evident audit trail: merges the 0002-0004 branches; hash chain columns on case_events
(backfilled), the erasures table, and triggers that make both append-only.

case_events may only change by setting `comment` to NULL (erasure, Art. 17 DSGVO); every other
UPDATE, every DELETE (and in PostgreSQL TRUNCATE) raises. Careful on SQLite: a later migration
that rebuilds case_events (batch mode) drops these triggers and must create them again.

Revision ID: 0005
Revises: 0002, 0003, 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from persistence.audit import GENESIS, comment_digest, unkeyed_hash

revision: str = "0005"
down_revision: str | tuple[str, ...] | None = ("0002", "0003", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
EVENT_COLUMNS = (
    "id",
    "case_id",
    "sequence",
    "trigger",
    "from_state",
    "to_state",
    "actor",
    "role",
    "comment",
    "data",
    "occurred_at",
)
SQLITE_MESSAGE = "case_events ist unveraenderlich: nur comment darf auf NULL gesetzt werden"

POSTGRES_UP = [
    """
    CREATE FUNCTION fahrplan_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'case_events' AND TG_OP = 'UPDATE' THEN
            IF NEW.comment IS NULL AND (to_jsonb(NEW) - 'comment') = (to_jsonb(OLD) - 'comment') THEN
                RETURN NEW;
            END IF;
        END IF;
        RAISE EXCEPTION '% ist unveränderlich: % nicht erlaubt', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Einzige erlaubte Änderung: case_events.comment auf NULL setzen '
                         '(Löschung nach Art. 17 DSGVO).';
    END
    $$
    """,
    *(
        statement
        for table in ("case_events", "erasures")
        for statement in (
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION fahrplan_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION fahrplan_append_only()",
        )
    ),
]
POSTGRES_DOWN = [
    *(
        f"DROP TRIGGER {table}_{kind} ON {table}"
        for table in ("case_events", "erasures")
        for kind in ("append_only", "no_truncate")
    ),
    "DROP FUNCTION fahrplan_append_only()",
]
_UNCHANGED = " AND ".join(
    f"NEW.{c} IS OLD.{c}" for c in (*EVENT_COLUMNS, "comment_digest", "prev_hash", "hash") if c != "comment"
)
SQLITE_UP = [
    "CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events "
    f"BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGE}'); END",
    "CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events "
    f"WHEN NOT (NEW.comment IS NULL AND {_UNCHANGED}) BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGE}'); END",
    "CREATE TRIGGER erasures_no_delete BEFORE DELETE ON erasures "
    "BEGIN SELECT RAISE(ABORT, 'erasures ist unveraenderlich'); END",
    "CREATE TRIGGER erasures_no_update BEFORE UPDATE ON erasures "
    "BEGIN SELECT RAISE(ABORT, 'erasures ist unveraenderlich'); END",
]
SQLITE_DOWN = [
    f"DROP TRIGGER {name}"
    for name in ("case_events_no_delete", "case_events_no_update", "erasures_no_delete", "erasures_no_update")
]


def _backfill() -> None:
    """Chain the existing events of each case in sequence order."""
    events = sa.table(
        "case_events",
        *(sa.column(c) for c in EVENT_COLUMNS if c not in ("data", "occurred_at")),
        sa.column("data", sa.JSON()),
        sa.column("occurred_at", TIMESTAMP),
        sa.column("comment_digest"),
        sa.column("prev_hash"),
        sa.column("hash"),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(events).order_by(events.c.case_id, events.c.sequence)).mappings().all()
    case_id, prev_hash = None, GENESIS
    for row in rows:
        if row["case_id"] != case_id:
            case_id, prev_hash = row["case_id"], GENESIS
        values = dict(row) | {"comment_digest": comment_digest(row["comment"])}
        digest = unkeyed_hash(values, prev_hash)
        bind.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(comment_digest=values["comment_digest"], prev_hash=prev_hash, hash=digest)
        )
        prev_hash = digest


def upgrade() -> None:
    with op.batch_alter_table("case_events") as batch:
        batch.add_column(sa.Column("comment_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    _backfill()
    with op.batch_alter_table("case_events") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(64), nullable=False)
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_ids", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("erased_at", TIMESTAMP, nullable=False),
    )
    for statement in POSTGRES_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in POSTGRES_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.drop_table("erasures")
    with op.batch_alter_table("case_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("comment_digest")
