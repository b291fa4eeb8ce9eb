"""Prepared statements (persistence/prepared.py) give what session.execute gives, on both backends:
the same rows with the same Python types (aware UTC datetimes, dates, JSON), the same writes, the
same SQLAlchemy errors, inside the session's transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import bindparam, create_engine, insert, make_url, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from activities.cases import WITHDRAW_INVITATIONS
from persistence import models as m
from persistence.db import Database
from persistence.migrate import upgrade
from persistence.prepared import Prepared
from tests.dbfixtures import TEST_AUDIT_KEYS, add_person
from tests.round_trips import counted

_cases, _people, _tasks, _notes = m.Case.__table__, m.Person.__table__, m.Task.__table__, m.Notification.__table__
AT = datetime(2026, 12, 5, 8, 30, 15, 123456, tzinfo=UTC)

CASE = select(_cases.c.case_id, _cases.c.created_at, _cases.c.links, _cases.c.final, _cases.c.version).where(
    _cases.c.case_id == bindparam("case_id")
)
PERSON = select(_people.c.person_id.label("p_id"), _people.c.geburtsdatum).where(
    _people.c.person_id == bindparam("person_id")
)
MOVE = (
    update(_cases)
    .where(_cases.c.case_id == bindparam("b_case_id"))
    .values(links=bindparam("links"), updated_at=bindparam("updated_at"), state="geprueft")
    .returning(_cases.c.state, _cases.c.updated_at)
)
TASK_COLUMNS = ("case_id", "sequence", "kind", "role", "title", "priority", "due", "state", "status", "created_at")
CASE_COLUMNS = ("case_id", "process", "workflow_id", "created_at", "state", "facts", "deadlines", "overdue", "final")
ADD_TASK = insert(_tasks).values({name: bindparam(name) for name in TASK_COLUMNS})


def case_row(case_id: str, person_id: str) -> m.Case:
    return m.Case(
        case_id=case_id,
        process="neuantrag",
        person_id=person_id,
        workflow_id=f"neuantrag-{case_id}",
        created_at=AT,
        state="antrag_eingegangen",
        facts={"antragsweg": "persoenlich"},
        deadlines={"items": []},
        overdue=False,
        final=False,
        version=0,
        links={"kinder": ["a"]},
        updated_at=AT,
    )


def task(case_id: str, kind: str) -> dict:
    return {
        "case_id": case_id,
        "sequence": 1,
        "kind": kind,
        "role": "jobcoach",
        "title": "Termin vereinbaren",
        "priority": 2,
        "due": AT + timedelta(days=3),
        "state": "clearing",
        "status": "offen",
        "created_at": AT,
    }


async def test_rows_and_types_are_those_of_session_execute(database):
    person_id = await add_person(database)
    case_id = str(uuid.uuid4())
    async with database.unit_of_work() as session:
        session.add(case_row(case_id, person_id))

    def read(session):
        return (
            (Prepared(CASE).first(session, {"case_id": case_id}), session.execute(CASE, {"case_id": case_id}).first()),
            (
                Prepared(PERSON).first(session, {"person_id": person_id}),
                session.execute(PERSON, {"person_id": person_id}).first(),
            ),
            Prepared(CASE).first(session, {"case_id": "unbekannt"}),
        )

    (case, expected), (person, expected_person), missing = await database.run(read, read_only=True)
    assert tuple(case) == tuple(expected)
    assert case.created_at == AT and case.created_at.tzinfo is not None
    assert case.links == {"kinder": ["a"]} and case.final is False
    assert person.p_id == person_id and person.geburtsdatum == date(1985, 4, 12)
    assert tuple(person) == tuple(expected_person)
    assert person._asdict() == {"p_id": person_id, "geburtsdatum": date(1985, 4, 12)}
    assert missing is None


async def test_in_an_async_sessions_run_sync_it_runs_as_session_execute(database):
    person_id = await add_person(database)
    case_id = str(uuid.uuid4())
    async with database.unit_of_work() as session:
        session.add(case_row(case_id, person_id))
        await session.flush()
        case = await session.run_sync(lambda sync: Prepared(CASE).first(sync, {"case_id": case_id}))
    assert (case.case_id, case.created_at, case.links) == (case_id, AT, {"kinder": ["a"]})


async def test_writes_with_statement_values_returning_and_executemany(database):
    case_id = str(uuid.uuid4())
    person_id = await add_person(database)
    async with database.unit_of_work() as session:
        session.add(case_row(case_id, person_id))
    later = AT + timedelta(hours=2)

    def write(session):
        moved = Prepared(MOVE).execute(session, {"b_case_id": case_id, "links": {"eltern": "b"}, "updated_at": later})
        Prepared(ADD_TASK).execute(session, [task(case_id, "termin"), task(case_id, "anruf")])
        return moved.rows, moved.rowcount

    rows, count = await database.run(write)
    assert count == 1 and [tuple(r) for r in rows] == [("geprueft", later)]
    async with database.unit_of_work(read_only=True) as session:
        case = await session.get(m.Case, case_id)
        kinds = (await session.execute(select(_tasks.c.kind, _tasks.c.due).where(_tasks.c.case_id == case_id))).all()
    assert (case.state, case.links, case.updated_at) == ("geprueft", {"eltern": "b"}, later)
    assert sorted(kinds) == [("anruf", AT + timedelta(days=3)), ("termin", AT + timedelta(days=3))]


async def test_a_list_of_one_row_is_one_execute(database, monkeypatch):
    """record_transition opens one task and writes one letter per step, as a list: psycopg's
    executemany would enter and leave a pipeline for it (the same round trip, more CPU)."""
    case_id = str(uuid.uuid4())
    person_id = await add_person(database)
    async with database.unit_of_work() as session:
        session.add(case_row(case_id, person_id))
    with counted(monkeypatch) as trips:
        written = await database.run(lambda session: Prepared(ADD_TASK).execute(session, [task(case_id, "termin")]))
    assert written.rowcount == 1
    if database.backend == "postgresql":  # the insert sent on its own, no pipeline's sync after it
        sent = [trip for trip in trips if "INSERT" in trip or trip.startswith("_enqueue_sync")]
        assert len(sent) == 1 and sent[0].startswith("_execute_send b'INSERT INTO tasks"), trips
    async with database.unit_of_work(read_only=True) as session:
        kinds = (await session.execute(select(_tasks.c.kind).where(_tasks.c.case_id == case_id))).scalars().all()
    assert kinds == ["termin"]


async def test_an_in_over_bound_values_is_prepared_and_withdraws_only_pending_invitations(database):
    """record_transition's WITHDRAW_INVITATIONS: its templates are bound values, not an expanding IN."""
    case_id = str(uuid.uuid4())
    person_id = await add_person(database)
    letters = [("einladung_clearing", "ausstehend"), ("einladung_erneut", "versandt"), ("bescheid", "ausstehend")]
    async with database.unit_of_work() as session:
        session.add(case_row(case_id, person_id))
        await session.flush()
        for sequence, (template, status) in enumerate(letters):
            session.add(
                m.Notification(
                    case_id=case_id,
                    sequence=sequence,
                    template=template,
                    channel="brief",
                    subject="Brief",
                    body="Text",
                    status=status,
                    created_at=AT,
                )
            )

    withdrawn = await database.run(lambda session: WITHDRAW_INVITATIONS.execute(session, {"b_case_id": case_id}))
    assert withdrawn.rowcount == 1
    async with database.unit_of_work(read_only=True) as session:
        rows = await session.execute(select(_notes.c.template, _notes.c.status).where(_notes.c.case_id == case_id))
        assert sorted(rows.all()) == sorted(
            [("einladung_clearing", "zurueckgezogen"), ("einladung_erneut", "versandt"), ("bescheid", "ausstehend")]
        )


async def test_driver_errors_are_sqlalchemy_errors_and_roll_back(database):
    case_id = str(uuid.uuid4())
    person_id = await add_person(database)
    async with database.unit_of_work() as session:
        session.add(case_row(case_id, person_id))

    def twice(session):
        Prepared(MOVE).execute(session, {"b_case_id": case_id, "links": {}, "updated_at": AT})
        row = {c.name: getattr(case_row(case_id, None), c.name) for c in _cases.c if c.name in CASE_COLUMNS}
        Prepared(insert(_cases).values({name: bindparam(name) for name in CASE_COLUMNS})).execute(session, row)

    with pytest.raises(IntegrityError):
        await database.run(twice)
    async with database.unit_of_work(read_only=True) as session:
        assert (await session.get(m.Case, case_id)).state == "antrag_eingegangen"  # the update rolled back too


def test_a_missing_parameter_is_named():
    engine = create_engine("sqlite://")
    m.Base.metadata.create_all(engine)
    with engine.begin() as connection, pytest.raises(KeyError, match="b_case_id"):
        Prepared(MOVE).execute(connection, {"links": {}, "updated_at": AT})


def test_expanding_parameters_are_refused():
    statement = select(_tasks.c.kind).where(_tasks.c.kind.in_(bindparam("kinds", expanding=True)))
    with pytest.raises(ValueError, match="expanding"):
        Prepared(statement)._form(sqlite.dialect())


async def test_a_lost_postgresql_connection_is_an_operational_error_and_not_reused(postgres_database):
    """PostgreSQL ends the session's backend: the statement fails as SQLAlchemy's OperationalError,
    the connection is invalidated, and the next transaction gets a working one."""
    upgrade(postgres_database)
    database = Database(postgres_database, audit_keys=TEST_AUDIT_KEYS)
    try:

        def cut(session):
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
            with psycopg.connect(make_url(postgres_database).render_as_string(hide_password=False)) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            Prepared(CASE).first(session, {"case_id": "c-1"})

        with pytest.raises(OperationalError) as lost:
            await database.run(cut)
        assert lost.value.connection_invalidated
        assert await database.run(lambda session: Prepared(CASE).first(session, {"case_id": "c-1"})) is None
    finally:
        await database.dispose()
