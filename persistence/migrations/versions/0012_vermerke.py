"""Gesprächsvermerke (R15) in their own keyed hash chain per case (persistence/vermerke.py),
append-only like case_events (only `text` may be set to NULL, by erasure); participant accesses
(persistence/teilnehmendenzugang.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
COLUMNS = (
    "id",
    "case_id",
    "nummer",
    "textbaustein",
    "text_digest",
    "gespraech_am",
    "actor",
    "role",
    "created_at",
    "idempotency_key",
    "fingerprint",
    "prev_hash",
    "key_id",
    "hash",
)
MESSAGE = "vermerke ist unveraenderlich: nur text darf auf NULL gesetzt werden"
_UNCHANGED = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in COLUMNS)
SQLITE_UP = [
    f"CREATE TRIGGER vermerke_no_delete BEFORE DELETE ON vermerke BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    "CREATE TRIGGER vermerke_no_update BEFORE UPDATE ON vermerke "
    f"WHEN NOT (NEW.text IS NULL AND {_UNCHANGED}) BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_DOWN = ["DROP TRIGGER vermerke_no_delete", "DROP TRIGGER vermerke_no_update"]
POSTGRES_UP = [
    """
    CREATE FUNCTION fahrplan_vermerke_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.text IS NULL AND (to_jsonb(NEW) - 'text') = (to_jsonb(OLD) - 'text') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'vermerke ist unveränderlich: % nicht erlaubt', TG_OP
            USING ERRCODE = 'restrict_violation',
                  HINT = 'Einzige erlaubte Änderung: vermerke.text auf NULL setzen (Löschung nach Art. 17 DSGVO).';
    END
    $$
    """,
    "CREATE TRIGGER vermerke_append_only BEFORE UPDATE OR DELETE ON vermerke "
    "FOR EACH ROW EXECUTE FUNCTION fahrplan_vermerke_append_only()",
    "CREATE TRIGGER vermerke_no_truncate BEFORE TRUNCATE ON vermerke "
    "FOR EACH STATEMENT EXECUTE FUNCTION fahrplan_vermerke_append_only()",
]
POSTGRES_DOWN = [
    "DROP TRIGGER vermerke_append_only ON vermerke",
    "DROP TRIGGER vermerke_no_truncate ON vermerke",
    "DROP FUNCTION fahrplan_vermerke_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "vermerke",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("nummer", sa.Integer(), nullable=False),
        sa.Column("textbaustein", sa.String(60), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("text_digest", sa.String(64), nullable=False),
        sa.Column("gespraech_am", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("case_id", "nummer", name="uq_vermerke_case_nummer"),
        sa.UniqueConstraint("actor", "idempotency_key", name="uq_vermerke_actor_key"),
    )
    op.create_index("ix_vermerke_case_created", "vermerke", ["case_id", "created_at"])
    op.create_table(
        "teilnehmendenzugaenge",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("revoked_by", sa.String(100), nullable=True),
    )
    op.create_index("ux_teilnehmendenzugaenge_token", "teilnehmendenzugaenge", ["token_hash"], unique=True)
    op.create_index("ix_teilnehmendenzugaenge_case", "teilnehmendenzugaenge", ["case_id"])
    for statement in POSTGRES_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in POSTGRES_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.drop_table("teilnehmendenzugaenge")
    op.drop_table("vermerke")
