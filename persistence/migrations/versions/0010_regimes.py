"""Legal regimes (R61): the regime a case runs under (`cases.regime`) and the one each audit
event was recorded under (`case_events.regime`, sealed in the event's hash when set).

Plain ADD COLUMN on both backends (no table rebuild: the triggers guarding case_events stay).
Cases and events from before stay NULL: they ran under buergergeld_2023.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("regime", sa.String(40), nullable=True))
    op.create_index("ix_cases_regime", "cases", ["regime"])
    op.add_column("case_events", sa.Column("regime", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_cases_regime", table_name="cases")
    op.drop_column("cases", "regime")
    op.drop_column("case_events", "regime")
