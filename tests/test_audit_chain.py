"""The audit trail on SQLite and PostgreSQL: triggers make case_events append-only (only the
comment may be erased), the hash chain, `fahrplan audit verify` and its tamper detection."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from activities import CaseActivities
from persistence import audit
from persistence import models as m
from persistence.db import Database
from persistence.erasure import erase
from persistence.migrate import upgrade
from tests.cases import rows
from tests.dbfixtures import *
from tests.dbfixtures import add_person
from tests.test_activities import T0, add_request, record, start, termin

FAHRPLAN = str(Path(sys.executable).with_name("fahrplan"))
SQLITE_TRIGGERS = ("case_events_no_update", "case_events_no_delete", "erasures_no_update", "erasures_no_delete")
# One change per column that is not `comment`: each must be refused by the database.
COLUMN_CHANGES = {
    "id": "id = id + 1000",
    "case_id": "case_id = 'b-case'",
    "sequence": "sequence = sequence + 100",
    "trigger": "trigger = 'anders'",
    "from_state": "from_state = 'anders'",
    "to_state": "to_state = 'anders'",
    "actor": "actor = 'jemand'",
    "role": "role = 'teamleitung'",
    "comment_digest": "comment_digest = NULL",
    "data": "data = '{\"x\": 1}'",
    "occurred_at": "occurred_at = (SELECT occurred_at FROM case_events WHERE case_id = 'b-case' AND sequence = 0)",
    "prev_hash": "prev_hash = hash",
    "hash": "hash = prev_hash",
}


async def _chains(db: Database) -> tuple[str, str]:
    """Case a-case: events 0-3, event 2 with a comment; case b-case: events 0-2."""
    acts = CaseActivities(db)
    person = await add_person(db)
    await acts.record_transition(start("a-case", person))
    await acts.record_transition(record("a-case", 1, "an_clearing_uebergeben", "antrag_eingegangen", "clearing_offen"))
    request = await add_request(db, "a-case", "jobcoach-1", "Termin telefonisch abgestimmt")
    await acts.record_transition(termin("a-case", 2, request_id=request, letters=[]))
    await acts.record_transition(record("a-case", 3, "arbeit_aufgenommen", "clearing_terminiert", "integriert", final=True))
    await acts.record_transition(start("b-case"))
    await acts.record_transition(record("b-case", 1, "an_clearing_uebergeben", "antrag_eingegangen", "clearing_offen"))
    await acts.record_transition(termin("b-case", 2, letters=[]))
    return "a-case", "b-case"


async def _tamper(db: Database, statement: str) -> None:
    """What only an administrator can do: bypass the triggers and change the table."""
    async with db.engine.begin() as connection:
        if db.backend == "sqlite":
            for trigger in SQLITE_TRIGGERS:
                await connection.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        else:
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(text(statement))


async def _refused(db: Database, statement: str) -> None:
    with pytest.raises(IntegrityError, match="unver"):
        async with db.unit_of_work() as session:
            await session.execute(text(statement))


async def test_update_any_column_but_comment_refused_by_trigger(database: Database):
    await _chains(database)
    where = "WHERE case_id = 'a-case' AND sequence = 2"
    for change in COLUMN_CHANGES.values():
        await _refused(database, f"UPDATE case_events SET {change} {where}")
    await _refused(database, f"UPDATE case_events SET comment = 'anders' {where}")
    await _refused(database, f"UPDATE case_events SET comment = NULL, to_state = 'anders' {where}")
    [event] = await rows(database, m.CaseEvent, case_id="a-case", sequence=2)
    assert (event.to_state, event.comment) == ("clearing_terminiert", "Termin telefonisch abgestimmt")


async def test_delete_event_refused_by_trigger(database: Database):
    await _chains(database)
    await _refused(database, "DELETE FROM case_events WHERE case_id = 'a-case' AND sequence = 3")
    await _refused(database, "DELETE FROM case_events")
    if database.backend == "postgresql":
        await _refused(database, "TRUNCATE case_events")
    assert len(await rows(database, m.CaseEvent)) == 7


async def test_erase_comment_allowed_and_chain_still_verifies(database: Database):
    await _chains(database)
    async with database.unit_of_work() as session:
        await session.execute(text("UPDATE case_events SET comment = NULL WHERE case_id = 'a-case'"))
    [event] = await rows(database, m.CaseEvent, case_id="a-case", sequence=2)
    assert event.comment is None and event.comment_digest == audit.comment_digest("Termin telefonisch abgestimmt")
    report = await audit.verify(database)
    assert (report.ok, report.cases, report.events, report.erased_comments) == (True, 2, 7, 1)


async def test_erasures_row_cannot_change(database: Database):
    async with database.unit_of_work() as session:
        session.add(m.Erasure(case_ids=["a-case"], actor="tl-1", role="teamleitung", counts={}, erased_at=T0))
    await _refused(database, "UPDATE erasures SET actor = 'jemand'")
    await _refused(database, "DELETE FROM erasures")


async def test_chain_links_each_event_to_its_predecessor(database: Database):
    await _chains(database)
    events = await rows(database, m.CaseEvent, case_id="a-case")
    events.sort(key=lambda e: e.sequence)
    assert events[0].prev_hash == audit.GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    for event in events:
        row = {c.name: getattr(event, c.name) for c in m.CaseEvent.__table__.columns}
        assert event.hash == audit.event_hash(row, event.prev_hash)


async def test_verify_clean_database_ok(database: Database):
    await _chains(database)
    report = await audit.verify(database)
    assert (report.ok, report.cases, report.events) == (True, 2, 7)
    assert "intakt" in audit.summary(report)


@pytest.mark.parametrize(
    ("statement", "sequence", "reason"),
    [
        ("UPDATE case_events SET to_state = 'integriert' WHERE case_id = 'a-case' AND sequence = 2", 2, "Inhalt verändert"),
        ("DELETE FROM case_events WHERE case_id = 'a-case' AND sequence = 1", 2, "Sequenz 2 statt 1"),
        ("UPDATE case_events SET comment = 'Termin verschoben' WHERE case_id = 'a-case' AND sequence = 2", 2, "Kommentar"),
        ("DELETE FROM case_events WHERE case_id = 'a-case' AND sequence = 3", 3, "fehlen"),
        ("UPDATE case_events SET hash = (SELECT hash FROM case_events WHERE case_id = 'a-case' AND sequence = 2) "
         "WHERE case_id = 'a-case' AND sequence = 1", 1, "Inhalt verändert"),
    ],
    ids=["changed-to-state", "deleted-middle-event", "changed-comment", "cut-off-tail", "copied-hash"],
)
async def test_verify_tampered_event_reports_first_broken_link(database: Database, statement: str, sequence: int, reason: str):
    await _chains(database)
    await _tamper(database, statement)
    report = await audit.verify(database)
    assert not report.ok
    assert (report.broken.case_id, report.broken.sequence) == ("a-case", sequence)
    assert reason in report.broken.reason


async def test_verify_swapped_hashes_reports_first_of_them(database: Database):
    await _chains(database)
    await _tamper(
        database,
        "UPDATE case_events SET hash = CASE sequence "
        "WHEN 1 THEN (SELECT hash FROM case_events WHERE case_id = 'a-case' AND sequence = 2) "
        "ELSE (SELECT hash FROM case_events WHERE case_id = 'a-case' AND sequence = 1) END "
        "WHERE case_id = 'a-case' AND sequence IN (1, 2)",
    )
    report = await audit.verify(database)
    assert (report.broken.case_id, report.broken.sequence) == ("a-case", 1)


async def test_verify_event_rewritten_with_fresh_hash_breaks_next_link(database: Database):
    """Recomputing the changed event's own hash is not enough: its successor points to the old one."""
    await _chains(database)
    [event] = await rows(database, m.CaseEvent, case_id="a-case", sequence=1)
    row = {c.name: getattr(event, c.name) for c in m.CaseEvent.__table__.columns} | {"to_state": "integriert"}
    forged = audit.event_hash(row, event.prev_hash)
    await _tamper(database, f"UPDATE case_events SET to_state = 'integriert', hash = '{forged}' WHERE id = {event.id}")
    report = await audit.verify(database)
    assert (report.broken.case_id, report.broken.sequence) == ("a-case", 2)
    assert "prev_hash" in report.broken.reason


async def _fahrplan(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        FAHRPLAN, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await process.communicate()
    return process.returncode, out.decode()


async def test_cli_audit_verify_exit_code_and_first_broken_link(database: Database, database_url: str):
    await _chains(database)
    code, out = await _fahrplan("audit", "verify", "--database-url", database_url)
    assert code == 0, out
    assert "Fälle: 2, Ereignisse: 7" in out and "intakt" in out
    await _tamper(database, "UPDATE case_events SET actor = 'jemand' WHERE case_id = 'b-case' AND sequence = 1")
    code, out = await _fahrplan("audit", "verify", "--database-url", database_url)
    assert code == 1, out
    assert "GEBROCHEN: Fall b-case, Sequenz 1" in out


async def test_cli_erase_open_case_refused_then_final_case_erased(database: Database, database_url: str):
    await _chains(database)  # a-case is final (its person has no other case); b-case is open
    code, out = await _fahrplan("erase", "b-case", "--database-url", database_url)
    assert code == 1 and "b-case" in out
    code, out = await _fahrplan("erase", "a-case", "--actor", "tl-1", "--database-url", database_url)
    assert code == 0, out
    [event] = await rows(database, m.CaseEvent, case_id="a-case", sequence=2)
    [erasure] = await rows(database, m.Erasure)
    assert event.comment is None
    assert (erasure.case_ids, erasure.actor, erasure.counts["personen"], erasure.counts["kommentare"]) == (["a-case"], "tl-1", 1, 1)
    assert (await audit.verify(database)).ok


async def test_erase_by_postgres_app_role_without_update_and_delete_grants(postgres_database: str):
    """Production grants (README): the app role may insert events and erase comments, nothing more,
    and cannot switch the triggers off (PostgreSQL only: SQLite has no roles)."""
    database_url = postgres_database
    upgrade(database_url)
    role = f"fahrplan_app_{uuid.uuid4().hex[:8]}"
    admin_url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    grants = [
        f"CREATE ROLE {role} LOGIN",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON case_events, erasures FROM {role}",
        f"GRANT UPDATE (comment) ON case_events TO {role}",
    ]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for statement in grants:
            admin.execute(statement)
    app = Database(make_url(database_url).set(username=role).render_as_string(hide_password=False))
    try:
        await _chains(app)  # record_transition works with INSERT only
        for statement in (
            "UPDATE case_events SET to_state = 'x'",
            "DELETE FROM case_events",
            "ALTER TABLE case_events DISABLE TRIGGER ALL",
            "SET session_replication_role = replica",
        ):
            with pytest.raises(DBAPIError, match="permission denied|must be owner|must be superuser"):
                async with app.unit_of_work() as session:
                    await session.execute(text(statement))
        done = await erase(app, "a-case", "tl-1", "teamleitung")
        assert done.counts["kommentare"] == 1
        assert (await audit.verify(app)).ok
    finally:
        await app.dispose()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")
