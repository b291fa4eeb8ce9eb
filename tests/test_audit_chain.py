"""The audit trail on SQLite and PostgreSQL: triggers make case_events append-only (only the
comment may be erased), the keyed hash chain, `fahrplan audit verify` and its tamper detection
in the database (the comparison with the workflows: tests/test_audit_anchors.py)."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from activities import CaseActivities
from persistence import audit, audit_verify
from persistence import models as m
from persistence.audit import ChainKeys
from persistence.db import Database
from persistence.erasure import erase
from persistence.migrate import upgrade
from tests.audit_support import fahrplan, tamper
from tests.cases import rows
from tests.dbfixtures import TEST_AUDIT_KEY, TEST_AUDIT_KEY_ID, TEST_AUDIT_KEYS, add_person
from tests.test_activities import T0, add_request, record, start, termin

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
    "key_id": "key_id = 'sha256'",
}


async def _chains(db: Database) -> tuple[str, str]:
    """Case a-case: events 0-3, event 2 with a comment; case b-case: events 0-2."""
    acts = CaseActivities(db)
    person = await add_person(db)
    await acts.record_transition(start("a-case", person))
    await acts.record_transition(record("a-case", 1, "an_clearing_uebergeben", "antrag_eingegangen", "clearing_offen"))
    request = await add_request(db, "a-case", "jobcoach-1", "Termin telefonisch abgestimmt")
    await acts.record_transition(termin("a-case", 2, request_id=request, letters=[]))
    await acts.record_transition(
        record("a-case", 3, "arbeit_aufgenommen", "clearing_terminiert", "integriert", final=True)
    )
    await acts.record_transition(start("b-case"))
    await acts.record_transition(record("b-case", 1, "an_clearing_uebergeben", "antrag_eingegangen", "clearing_offen"))
    await acts.record_transition(termin("b-case", 2, letters=[]))
    return "a-case", "b-case"


async def _rehash(db: Database, case_id: str, start: int, change: str, how: str) -> None:
    """Change event `start` of the case and rehash it and every later event so that all links fit
    again: with plain sha256 as before 0008 (keeping or marking the key id) or under a wrong key."""
    events = sorted(await rows(db, m.CaseEvent, case_id=case_id), key=lambda e: e.sequence)
    column, value = change.split("=")
    guessed = ChainKeys({TEST_AUDIT_KEY_ID: os.urandom(32)}, TEST_AUDIT_KEY_ID)
    statements, prev = [], events[start - 1].hash if start else audit.GENESIS
    for event in events[start:]:
        row = {c.name: getattr(event, c.name) for c in m.CaseEvent.__table__.columns}
        if event.sequence == start:
            row[column] = value
        key_id = audit.UNKEYED if how == "sha256-markiert" else row["key_id"]
        row["key_id"] = key_id
        digest = guessed.seal(row, prev, key_id) if how == "falscher-schluessel" else audit.unkeyed_hash(row, prev)
        statements.append(
            f"UPDATE case_events SET {column} = '{row[column]}', prev_hash = '{prev}', hash = '{digest}', "
            f"key_id = '{key_id}' WHERE id = {event.id}"
        )
        prev = digest
    await tamper(db, *statements)


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


async def test_verify_comment_nulled_without_erasure_reports_it_with_erasure_row_accepts_it(database: Database):
    """(d) The triggers allow setting a comment to NULL (that is how erasure works), so a database
    user can drop one unseen; it is an erasure only when an `erasures` row covers the case."""
    await _chains(database)
    async with database.unit_of_work() as session:
        await session.execute(text("UPDATE case_events SET comment = NULL WHERE case_id = 'a-case'"))
    [event] = await rows(database, m.CaseEvent, case_id="a-case", sequence=2)
    assert event.comment is None and event.comment_digest == audit.comment_digest("Termin telefonisch abgestimmt")
    report = await audit_verify.verify(database)
    assert (report.broken.case_id, report.broken.sequence) == ("a-case", 2)
    assert "keine Löschung" in report.broken.reason and report.broken_cases == {"a-case"}
    async with database.unit_of_work() as session:
        session.add(m.Erasure(case_ids=["a-case"], actor="tl-1", role="teamleitung", counts={}, erased_at=T0))
    report = await audit_verify.verify(database)
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
        assert event.key_id == TEST_AUDIT_KEY_ID
        assert event.hash == audit.event_hash(row, event.prev_hash, TEST_AUDIT_KEYS)
        assert event.hash != audit.unkeyed_hash(row, event.prev_hash)  # an HMAC, not the plain sha256


async def test_verify_clean_database_ok(database: Database):
    await _chains(database)
    report = await audit_verify.verify(database)
    assert (report.ok, report.cases, report.events) == (True, 2, 7)
    assert "intakt" in audit_verify.summary(report)


@pytest.mark.parametrize(
    ("statement", "sequence", "reason"),
    [
        (
            "UPDATE case_events SET to_state = 'integriert' WHERE case_id = 'a-case' AND sequence = 2",
            2,
            "Inhalt verändert",
        ),
        ("DELETE FROM case_events WHERE case_id = 'a-case' AND sequence = 1", 2, "Sequenz 2 statt 1"),
        (
            "UPDATE case_events SET comment = 'Termin verschoben' WHERE case_id = 'a-case' AND sequence = 2",
            2,
            "Kommentar",
        ),
        ("DELETE FROM case_events WHERE case_id = 'a-case' AND sequence = 3", 3, "fehlen"),
        (
            "UPDATE case_events SET hash = (SELECT hash FROM case_events WHERE case_id = 'a-case' AND sequence = 2) "
            "WHERE case_id = 'a-case' AND sequence = 1",
            1,
            "Inhalt verändert",
        ),
    ],
    ids=["changed-to-state", "deleted-middle-event", "changed-comment", "cut-off-tail", "copied-hash"],
)
async def test_verify_tampered_event_reports_first_broken_link(
    database: Database, statement: str, sequence: int, reason: str
):
    await _chains(database)
    await tamper(database, statement)
    report = await audit_verify.verify(database)
    assert not report.ok
    assert (report.broken.case_id, report.broken.sequence) == ("a-case", sequence)
    assert reason in report.broken.reason


async def test_verify_swapped_hashes_reports_first_of_them(database: Database):
    await _chains(database)
    await tamper(
        database,
        "UPDATE case_events SET hash = CASE sequence "
        "WHEN 1 THEN (SELECT hash FROM case_events WHERE case_id = 'a-case' AND sequence = 2) "
        "ELSE (SELECT hash FROM case_events WHERE case_id = 'a-case' AND sequence = 1) END "
        "WHERE case_id = 'a-case' AND sequence IN (1, 2)",
    )
    report = await audit_verify.verify(database)
    assert (report.broken.case_id, report.broken.sequence) == ("a-case", 1)


async def test_verify_event_rewritten_with_fresh_hash_breaks_next_link(database: Database):
    """Recomputing the changed event's own hash is not enough, even with the key: its successor
    points to the old one."""
    await _chains(database)
    [event] = await rows(database, m.CaseEvent, case_id="a-case", sequence=1)
    row = {c.name: getattr(event, c.name) for c in m.CaseEvent.__table__.columns} | {"to_state": "integriert"}
    forged = audit.event_hash(row, event.prev_hash, TEST_AUDIT_KEYS)
    await tamper(database, f"UPDATE case_events SET to_state = 'integriert', hash = '{forged}' WHERE id = {event.id}")
    report = await audit_verify.verify(database)
    assert (report.broken.case_id, report.broken.sequence) == ("a-case", 2)
    assert "prev_hash" in report.broken.reason


@pytest.mark.parametrize(
    ("how", "start", "sequence", "reason"),
    [
        ("sha256", 1, 1, "ohne den Schlüssel"),
        ("sha256-markiert", 1, 1, "nach einem Ereignis mit Schlüssel"),
        ("sha256-markiert", 0, 0, "nach Migration 0008"),
        ("falscher-schluessel", 1, 1, "ohne den Schlüssel"),
    ],
    ids=["sha256", "as-unkeyed", "whole-case-as-unkeyed", "guessed-key"],
)
async def test_verify_event_changed_and_chain_rehashed_reports_it(
    database: Database, how: str, start: int, sequence: int, reason: str
):
    """(c) The hash was unkeyed: whoever changed an event could rehash the chain from there on and
    verify found every link intact. Without the key no rehash fits, however it is marked."""
    await _chains(database)
    await _rehash(database, "a-case", start, "actor=jemand", how)
    report = await audit_verify.verify(database)
    assert (report.broken.case_id, report.broken.sequence) == ("a-case", sequence), report.breaks
    assert reason in report.broken.reason and report.broken_cases == {"a-case"}


async def test_verify_reports_every_broken_case_each_with_its_first_link(database: Database):
    await _chains(database)
    await tamper(
        database,
        "UPDATE case_events SET actor = 'jemand' WHERE case_id = 'a-case' AND sequence IN (1, 3)",
        "UPDATE case_events SET role = 'teamleitung' WHERE case_id = 'b-case' AND sequence = 2",
    )
    report = await audit_verify.verify(database)
    assert [(b.case_id, b.sequence) for b in report.breaks] == [("a-case", 1), ("b-case", 2)]
    assert report.events == 7


async def test_verify_rotated_keys_old_events_verify_unknown_key_reported(database: Database):
    await _chains(database)
    rotated = ChainKeys({TEST_AUDIT_KEY_ID: TEST_AUDIT_KEY, "2027-01": os.urandom(32)}, "2027-01")
    database.audit_keys = rotated  # new events under the new key, old ones still verify
    assert (await audit_verify.verify(database, rotated)).ok
    report = await audit_verify.verify(database, ChainKeys({"2027-01": os.urandom(32)}, "2027-01"))
    assert {(b.case_id, b.sequence) for b in report.breaks} == {("a-case", 0), ("b-case", 0)}
    assert "'test-nicht-geheim' ist nicht konfiguriert" in report.broken.reason


async def test_verify_audit_legacy_changed_reported(database: Database):
    await _chains(database)
    async with database.unit_of_work() as session:
        session.add(m.AuditLegacy(max_event_id=10**6, events=0, migrated_at=T0))
    report = await audit_verify.verify(database)
    assert report.broken.case_id == audit_verify.ALL_CASES and "audit_legacy" in report.broken.reason


async def test_cli_audit_verify_exit_code_and_first_broken_link(database: Database, database_url: str, tmp_path):
    await _chains(database)
    verify = ("audit", "verify", "--database-url", database_url, "--ohne-temporal")
    code, out = await fahrplan(*verify, env={"FAHRPLAN_DATA_DIR": str(tmp_path / "daten")})
    assert code == 0, out
    assert "Fälle: 2, Ereignisse: 7" in out and "intakt" in out and "--ohne-temporal" in out
    await tamper(
        database,
        "UPDATE case_events SET actor = 'jemand' WHERE case_id = 'b-case' AND sequence = 1",
        "UPDATE case_events SET comment = NULL WHERE case_id = 'a-case' AND sequence = 2",
    )
    code, out = await fahrplan(*verify, env={"FAHRPLAN_DATA_DIR": str(tmp_path / "daten")})
    assert code == 1, out
    assert "GEBROCHEN: Fall a-case, Sequenz 2: Kommentar entfernt" in out
    assert "GEBROCHEN: Fall b-case, Sequenz 1" in out and "Gebrochen: 2 Fälle" in out


async def test_cli_audit_verify_in_production_without_keys_refuses(database_url: str, tmp_path):
    code, out = await fahrplan(
        "audit",
        "verify",
        "--database-url",
        database_url,
        "--ohne-temporal",
        env={
            "FAHRPLAN_MODE": "production",
            "FAHRPLAN_DATABASE_URL": database_url,
            "FAHRPLAN_AUDIT_KEYS": "{}",
            "FAHRPLAN_OIDC_ISSUER": "https://login.example.de/realms/jobcenter",
            "FAHRPLAN_OIDC_AUDIENCE": "fahrplan",
            "FAHRPLAN_OIDC_JWKS_URL": "https://login.example.de/realms/jobcenter/certs",
            "FAHRPLAN_DATA_DIR": str(tmp_path / "daten"),
        },
    )
    assert code == 2 and "Prüfung nicht möglich: FAHRPLAN_AUDIT_KEYS must be set outside local mode" in out, out
    assert not (tmp_path / "daten").exists()  # no local key file outside local mode


async def test_cli_erase_open_case_refused_then_final_case_erased(database: Database, database_url: str):
    await _chains(database)  # a-case is final (its person has no other case); b-case is open
    code, out = await fahrplan("erase", "b-case", "--database-url", database_url)
    assert code == 1 and "b-case" in out
    code, out = await fahrplan("erase", "a-case", "--actor", "tl-1", "--database-url", database_url)
    assert code == 0, out
    [event] = await rows(database, m.CaseEvent, case_id="a-case", sequence=2)
    [erasure] = await rows(database, m.Erasure)
    assert event.comment is None
    assert (erasure.case_ids, erasure.actor, erasure.counts["personen"], erasure.counts["kommentare"]) == (
        ["a-case"],
        "tl-1",
        1,
        1,
    )
    assert (await audit_verify.verify(database)).ok


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
        f"REVOKE UPDATE, DELETE, TRUNCATE ON case_events, erasures, audit_legacy FROM {role}",
        f"GRANT UPDATE (comment) ON case_events TO {role}",
    ]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for statement in grants:
            admin.execute(statement)
    app = Database(
        make_url(database_url).set(username=role).render_as_string(hide_password=False), audit_keys=TEST_AUDIT_KEYS
    )
    try:
        await _chains(app)  # record_transition works with INSERT only
        for statement in (
            "UPDATE case_events SET to_state = 'x'",
            "DELETE FROM case_events",
            "ALTER TABLE case_events DISABLE TRIGGER ALL",
            "SET session_replication_role = replica",
        ):
            with pytest.raises(DBAPIError, match=r"permission denied|must be owner|must be superuser"):
                async with app.unit_of_work() as session:
                    await session.execute(text(statement))
        done = await erase(app, "a-case", "tl-1", "teamleitung")
        assert done.counts["kommentare"] == 1
        assert (await audit_verify.verify(app)).ok
    finally:
        await app.dispose()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")
