"""Migration 0005 on SQLite and PostgreSQL: merges the 0002-0004 heads, backfills the hash
chain of events recorded before it, and goes back down to the three heads."""

from __future__ import annotations

import json

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from persistence import audit
from persistence.db import Database, sync_url
from persistence.migrate import alembic_config, upgrade
from tests.dbfixtures import *

EVENTS = [  # (case, sequence, comment, occurred_at) as written before 0005
    ("c-1", 0, None, "2025-01-06 09:00:00"),
    ("c-1", 1, "Rückruf vereinbart", "2025-01-07 10:30:00.250000"),
    ("c-1", 2, None, "2025-01-08 11:00:00"),
    ("c-2", 0, None, "2025-01-06 12:00:00"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fahrplan.db'}"
    return request.getfixturevalue("postgres_database")


def _heads(url: str) -> set[str]:
    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def _old_events(url: str) -> None:
    engine = create_engine(sync_url(url), poolclass=NullPool)
    with engine.begin() as connection:
        for case_id in ("c-1", "c-2"):
            connection.execute(
                text(
                    "INSERT INTO cases (case_id, process, state, facts, deadlines, overdue, final, version, workflow_id, links, created_at, updated_at) "
                    "VALUES (:c, 'neuantrag', 's', '{}', '{}', false, false, :v, :w, '{}', '2025-01-06 09:00:00+00', '2025-01-06 09:00:00+00')"
                ),
                {"c": case_id, "v": 2 if case_id == "c-1" else 0, "w": f"neuantrag-{case_id}"},
            )
        for case_id, sequence, comment, at in EVENTS:
            connection.execute(
                text(
                    "INSERT INTO case_events (case_id, sequence, trigger, from_state, to_state, actor, role, comment, data, occurred_at) "
                    "VALUES (:c, :s, 't', NULL, 's', 'egs-1', 'egs', :comment, :data, :at)"
                ),
                {"c": case_id, "s": sequence, "comment": comment, "data": json.dumps({"n": sequence, "text": "Größe"}), "at": at + "+00"
                 if "postgresql" in url else at},
            )
    engine.dispose()


async def test_upgrade_merges_heads_and_backfills_verifiable_chain(empty_url: str):
    config = alembic_config(empty_url)
    old_heads = {"0002", "0003", "0004"}
    for head in sorted(old_heads):
        command.upgrade(config, head)
    assert _heads(empty_url) == old_heads
    _old_events(empty_url)
    command.upgrade(config, "0005")
    assert _heads(empty_url) == {"0005"}
    db = Database(empty_url)
    try:
        report = await audit.verify(db)
        assert (report.ok, report.cases, report.events) == (True, 2, 4), report.broken
        async with db.unit_of_work(read_only=True) as session:
            rows = (await session.execute(text("SELECT sequence, prev_hash, hash, comment_digest FROM case_events WHERE case_id = 'c-1' ORDER BY sequence"))).all()
        assert rows[0].prev_hash == audit.GENESIS and rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
        assert rows[1].comment_digest == audit.comment_digest("Rückruf vereinbart") and rows[0].comment_digest is None
    finally:
        await db.dispose()
    command.downgrade(config, "0002")  # unapplies 0005 only: the three branches stay
    assert _heads(empty_url) == old_heads
    upgrade(empty_url)  # and up again: the triggers and the erasures table come back
    assert _heads(empty_url) == set(ScriptDirectory.from_config(config).get_heads())
