"""Who wrote each audit event: the Temporal run (`case_events.run_id`) and the request it applied
(`case_events.request_id`). record_transition tells a step that a lost workflow task of the same
run wrote (activities/lost_tasks.py) from the events of a run an operator reset. Neither is part of
the hash chain; SQLite's no-update trigger lists them (and `regime`, added in 0010) with the rest.
`transition_requests.unconfirmed_at`: when Temporal left the API without the request's outcome
(worker/catch_up.py looks at those requests again).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_MESSAGE = "case_events ist unveraenderlich: nur comment darf auf NULL gesetzt werden"
COLUMNS_0008 = (
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
    "key_id",
)


def _sqlite_no_update(columns: Sequence[str]) -> str:
    unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns)
    return (
        f"CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events WHEN NOT (NEW.comment IS NULL AND "
        f"{unchanged}) BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGE}'); END"
    )


def upgrade() -> None:
    op.add_column("case_events", sa.Column("run_id", sa.String(64), nullable=True))
    op.add_column("case_events", sa.Column("request_id", sa.String(36), nullable=True))
    op.add_column("transition_requests", sa.Column("unconfirmed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_transition_requests_unconfirmed_at", "transition_requests", ["unconfirmed_at"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER case_events_no_update")
        op.execute(_sqlite_no_update((*COLUMNS_0008, "regime", "run_id", "request_id")))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER case_events_no_update")
    op.drop_index("ix_transition_requests_unconfirmed_at", table_name="transition_requests")
    op.drop_column("transition_requests", "unconfirmed_at")
    op.drop_column("case_events", "request_id")
    op.drop_column("case_events", "run_id")
    if sqlite:
        op.execute(_sqlite_no_update(COLUMNS_0008))
