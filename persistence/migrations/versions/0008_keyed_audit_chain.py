"""Keyed audit chain: `case_events.key_id`, and `audit_legacy`, the cut-off of the unkeyed events.

From here on every event's hash is an HMAC-SHA256 under a key outside the database
(persistence/audit.py). The events already there keep their plain sha256 hash: the column
default marks them `key_id = 'sha256'`, and `audit_legacy` records the largest id among them,
so verification refuses the marker on any later event (a chain rewritten as "unkeyed").
No UPDATE of case_events is needed, so the append-only triggers stay untouched on PostgreSQL
(its trigger compares whole rows, key_id included); SQLite's lists its columns and gets key_id.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNKEYED = "sha256"
SQLITE_MESSAGE = "case_events ist unveraenderlich: nur comment darf auf NULL gesetzt werden"
COLUMNS_0005 = (
    "id",
    "case_id",
    "sequence",
    "trigger",
    "from_state",
    "to_state",
    "actor",
    "role",
    "data",
    "occurred_at",
    "comment_digest",
    "prev_hash",
    "hash",
)


def _sqlite_no_update(columns: Sequence[str]) -> str:
    unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns)
    return (
        f"CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events WHEN NOT (NEW.comment IS NULL AND "
        f"{unchanged}) BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGE}'); END"
    )


SQLITE_LEGACY_TRIGGERS = [
    f"CREATE TRIGGER audit_legacy_no_{op_} BEFORE {op_.upper()} ON audit_legacy "
    "BEGIN SELECT RAISE(ABORT, 'audit_legacy ist unveraenderlich'); END"
    for op_ in ("update", "delete")
]
POSTGRES_LEGACY_TRIGGERS = [
    "CREATE TRIGGER audit_legacy_append_only BEFORE UPDATE OR DELETE ON audit_legacy "
    "FOR EACH ROW EXECUTE FUNCTION fahrplan_append_only()",
    "CREATE TRIGGER audit_legacy_no_truncate BEFORE TRUNCATE ON audit_legacy "
    "FOR EACH STATEMENT EXECUTE FUNCTION fahrplan_append_only()",
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("case_events", sa.Column("key_id", sa.String(40), nullable=False, server_default=UNKEYED))
    legacy = op.create_table(
        "audit_legacy",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("max_event_id", sa.Integer(), nullable=True),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("migrated_at", sa.DateTime(timezone=True), nullable=False),
    )
    events = sa.table("case_events", sa.column("id", sa.Integer()))
    found = op.get_bind().execute(sa.select(sa.func.max(events.c.id), sa.func.count())).one()
    op.bulk_insert(legacy, [{"max_event_id": found[0], "events": found[1], "migrated_at": datetime.now(UTC)}])
    if sqlite:
        op.execute("DROP TRIGGER case_events_no_update")
        op.execute(_sqlite_no_update((*COLUMNS_0005, "key_id")))
    for statement in SQLITE_LEGACY_TRIGGERS if sqlite else POSTGRES_LEGACY_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Back to plain sha256 chains: events hashed with a key no longer verify afterwards."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER case_events_no_update")
    op.drop_table("audit_legacy")  # its triggers go with it
    op.drop_column("case_events", "key_id")  # SQLite >= 3.35 drops a column without a rebuild
    if sqlite:
        op.execute(_sqlite_no_update(COLUMNS_0005))
