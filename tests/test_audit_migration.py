"""Migrations 0005 and 0008 on SQLite and PostgreSQL: 0005 merges the 0002-0004 heads and
backfills the (then unkeyed) hash chain of events recorded before it; 0008 keeps those hashes,
marks them unkeyed and records their cut-off, after which a case's chain goes on keyed. Both go
back down."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from persistence import audit, audit_verify
from persistence.db import Database, sync_url
from persistence.migrate import alembic_config, upgrade
from tests.dbfixtures import TEST_AUDIT_KEYS

NOW = datetime(2025, 1, 9, 9, 0, tzinfo=UTC)
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
                    "INSERT INTO cases (case_id, process, state, facts, deadlines, overdue, final, version, "
                    "workflow_id, links, created_at, updated_at) "
                    "VALUES (:c, 'neuantrag', 's', '{}', '{}', false, false, :v, :w, '{}', "
                    "'2025-01-06 09:00:00+00', '2025-01-06 09:00:00+00')"
                ),
                {"c": case_id, "v": 2 if case_id == "c-1" else 0, "w": f"neuantrag-{case_id}"},
            )
        for case_id, sequence, comment, at in EVENTS:
            connection.execute(
                text(
                    "INSERT INTO case_events (case_id, sequence, trigger, from_state, to_state, actor, role, comment, "
                    "data, occurred_at) "
                    "VALUES (:c, :s, 't', NULL, 's', 'egs-1', 'egs', :comment, :data, :at)"
                ),
                {
                    "c": case_id,
                    "s": sequence,
                    "comment": comment,
                    "data": json.dumps({"n": sequence, "text": "Größe"}),
                    "at": at + "+00" if "postgresql" in url else at,
                },
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
    rows = _sql(
        empty_url,
        "SELECT sequence, prev_hash, hash, comment_digest FROM case_events WHERE case_id = 'c-1' ORDER BY sequence",
    )
    assert (
        rows[0].prev_hash == audit.GENESIS and rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    )
    assert rows[1].comment_digest == audit.comment_digest("Rückruf vereinbart") and rows[0].comment_digest is None
    command.downgrade(config, "0002")  # unapplies 0005 only: the three branches stay
    assert _heads(empty_url) == old_heads
    upgrade(empty_url)  # and up again: the triggers and the erasures table come back
    assert _heads(empty_url) == set(ScriptDirectory.from_config(config).get_heads())


async def test_upgrade_0008_keeps_old_hashes_marked_unkeyed_and_chains_on_keyed(empty_url: str):
    config = alembic_config(empty_url)
    for head in ("0002", "0003", "0004"):
        command.upgrade(config, head)
    _old_events(empty_url)
    command.upgrade(config, "0006")
    before = _sql(empty_url, "SELECT id, hash FROM case_events ORDER BY id")
    upgrade(empty_url)
    after = _sql(empty_url, "SELECT id, hash, key_id FROM case_events ORDER BY id")
    assert [(r.id, r.hash) for r in after] == [(r.id, r.hash) for r in before]
    assert {r.key_id for r in after} == {audit.UNKEYED}
    [legacy] = _sql(empty_url, "SELECT max_event_id, events FROM audit_legacy")
    assert (legacy.max_event_id, legacy.events) == (max(r.id for r in before), 4)
    db = Database(empty_url, audit_keys=TEST_AUDIT_KEYS)
    try:
        report = await audit_verify.verify(db)
        assert (report.ok, report.cases, report.events, report.unkeyed_events) == (True, 2, 4, 4), report.breaks
        c1 = await db.run(lambda session: audit.head(session, "c-1"))
        fields = {"trigger": "t", "from_state": "s", "to_state": "s", "actor": "egs-1", "role": "egs", "data": {}}
        await db.run(
            lambda session: audit.append_event(
                session, prev=c1, case_id="c-1", sequence=3, comment=None, occurred_at=NOW, **fields
            )
        )
        [new] = _sql(empty_url, "SELECT key_id, prev_hash FROM case_events WHERE case_id = 'c-1' AND sequence = 3")
        assert (new.key_id, new.prev_hash) == (TEST_AUDIT_KEYS.active, c1.hash)  # keyed, linked to the old head
        report = await audit_verify.verify(db)
        assert (report.ok, report.events, report.unkeyed_events) == (True, 5, 4), report.breaks
    finally:
        await db.dispose()
    command.downgrade(config, "0006")
    assert "key_id" not in {c["name"] for c in _columns(empty_url, "case_events")}
    upgrade(empty_url)
    assert _heads(empty_url) == set(ScriptDirectory.from_config(config).get_heads())


def _sql(url: str, statement: str) -> list:
    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(text(statement)).all()
    finally:
        engine.dispose()


def _columns(url: str, table: str) -> list[dict]:
    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return inspect(connection).get_columns(table)
    finally:
        engine.dispose()
