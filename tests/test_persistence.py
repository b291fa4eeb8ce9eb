"""The schema, the unit of work and the database URLs, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from persistence import audit
from persistence import models as m
from persistence.db import Database, as_utc, async_url, sync_url
from persistence.migrate import upgrade
from tests.dbfixtures import TEST_AUDIT_KEYS, add_person

NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def _case(case_id: str, person_id: str | None = None, **overrides) -> m.Case:
    values = {
        "case_id": case_id,
        "process": "neuantrag",
        "state": "antrag_eingegangen",
        "person_id": person_id,
        "facts": {"antragsweg": "online", "alg1_ende": "2025-03-31"},
        "deadlines": {"items": []},
        "deadline": NOW + timedelta(days=7),
        "overdue": False,
        "final": False,
        "version": 0,
        "workflow_id": f"neuantrag-{case_id}",
        "links": {},
        "created_at": NOW,
        "updated_at": NOW,
    }
    return m.Case(**(values | overrides))


def _event(case_id: str, sequence: int) -> m.CaseEvent:
    return m.CaseEvent(
        **audit.event_row(
            keys=TEST_AUDIT_KEYS,
            case_id=case_id,
            sequence=sequence,
            trigger="fall_angelegt",
            from_state=None,
            to_state="antrag_eingegangen",
            actor="system",
            role="system",
            comment=None,
            data={},
            occurred_at=NOW,
            prev_hash=audit.GENESIS,
        )
    )


def _schema_differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
    return compare_metadata(context, m.Base.metadata)


async def test_migrate_schema_matches_models(database: Database):
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_schema_differences)
    assert differences == []


async def test_upgrade_migrated_database_is_noop(database: Database, database_url: str):
    upgrade(database_url)
    async with database.unit_of_work(read_only=True) as session:
        versions = set(await session.scalars(text("SELECT version_num FROM alembic_version")))
    from alembic.script import ScriptDirectory

    from persistence.migrate import alembic_config

    assert versions == set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


async def test_upgrade_sqlite_from_other_working_directory_creates_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "elsewhere" / "fahrplan.db"
    upgrade(f"sqlite:///{target}")
    db = Database(f"sqlite:///{target}")
    try:
        async with db.unit_of_work(read_only=True) as session:
            assert await session.scalar(select(func.count()).select_from(m.Case)) == 0
    finally:
        await db.dispose()


async def test_store_person_and_case_round_trip(database: Database):
    person_id = await add_person(database)
    async with database.unit_of_work() as session:
        session.add(_case("c-1", person_id, links={"rechtskreiswechsel": "r-9"}))
    async with database.unit_of_work(read_only=True) as session:
        case = await session.get(m.Case, "c-1")
        person = await session.get(m.Person, person_id)
    assert (person.vorname, person.nachname, person.ort) == ("Erika", "Mustermann", "Gevelsberg")
    assert case.person_id == person_id
    assert case.facts == {"antragsweg": "online", "alg1_ende": "2025-03-31"}
    assert case.links == {"rechtskreiswechsel": "r-9"}
    assert as_utc(case.deadline) == NOW + timedelta(days=7)
    assert (case.overdue, case.final, case.version) == (False, False, 0)


async def test_insert_case_event_duplicate_sequence_rejected_by_database(database: Database):
    async with database.unit_of_work() as session:
        session.add(_case("c-1"))
        await session.flush()
        session.add(_event("c-1", 0))
    with pytest.raises(IntegrityError):
        async with database.unit_of_work() as session:
            session.add(_event("c-1", 0))


async def test_insert_case_event_unknown_case_rejected_by_foreign_key(database: Database):
    with pytest.raises(IntegrityError):
        async with database.unit_of_work() as session:
            session.add(_event("missing", 0))


async def test_unit_of_work_error_rolls_back_everything(database: Database):
    with pytest.raises(RuntimeError):
        async with database.unit_of_work() as session:
            session.add(_case("c-1"))
            await session.flush()
            raise RuntimeError("boom")
    async with database.unit_of_work(read_only=True) as session:
        assert await session.get(m.Case, "c-1") is None


async def test_run_commits_when_work_returns(database: Database):
    def write(session) -> str:
        session.add(_case("c-1"))
        session.flush()
        session.add(_event("c-1", 0))
        return "done"

    assert await database.run(write) == "done"
    assert (
        await database.run(
            lambda session: session.scalar(select(func.count()).select_from(m.CaseEvent)), read_only=True
        )
        == 1
    )
    async with database.unit_of_work(read_only=True) as session:  # the other engine sees the commit
        assert (await session.get(m.Case, "c-1")).state == "antrag_eingegangen"


async def test_run_error_rolls_back_everything(database: Database):
    def write(session) -> None:
        session.add(_case("c-1"))
        session.flush()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await database.run(write)
    with pytest.raises(IntegrityError):  # a database error reaches the caller as itself
        await database.run(
            lambda session: audit.APPEND.execute(
                session,
                audit.event_row(
                    keys=TEST_AUDIT_KEYS,
                    case_id="missing",
                    sequence=0,
                    trigger="fall_angelegt",
                    from_state=None,
                    to_state="x",
                    actor="system",
                    role="system",
                    comment=None,
                    data={},
                    occurred_at=NOW,
                    prev_hash=audit.GENESIS,
                ),
            )
        )
    assert await database.run(lambda session: session.get(m.Case, "c-1"), read_only=True) is None


async def test_run_read_only_holds_no_transaction_writes_hold_one(database: Database):
    """Readers of `run` execute each statement on its own (no BEGIN/COMMIT); writers in one transaction."""

    def probe(session) -> bool:
        session.execute(select(func.count()).select_from(m.Case))
        raw = session.connection().connection.dbapi_connection
        return raw.in_transaction if database.backend == "sqlite" else not raw.autocommit

    assert await database.run(probe, read_only=True) is False
    assert await database.run(probe) is True


async def test_dispose_closes_connections_and_database_stays_usable(database: Database):
    """As with an engine's dispose: a worker still holding the Database after it must not fail for good."""
    await database.run(lambda session: session.add(_case("c-1")))
    await database.dispose()
    assert (await database.run(lambda session: session.get(m.Case, "c-1"), read_only=True)).case_id == "c-1"
    async with database.unit_of_work(read_only=True) as session:
        assert (await session.get(m.Case, "c-1")).case_id == "c-1"


async def test_run_work_sees_callers_context_variables(database: Database):
    """activity.logger reads the activity's context: the database thread must see it."""
    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker")
    marker.set("aktivität-7")
    seen, thread = await database.run(
        lambda session: (marker.get(None), threading.current_thread().name), read_only=True
    )
    assert seen == "aktivität-7"
    assert thread.startswith("fahrplan-db")  # and it ran in a database thread, not on the event loop


async def test_run_cancelled_writer_keeps_lock_until_transaction_ends(tmp_path):
    """SQLite: a cancelled caller returns at once; its transaction goes on in its thread, and the
    next writer waits until it has ended."""
    url = f"sqlite:///{tmp_path / 'f.db'}"
    upgrade(url)
    db = Database(url)
    started, release, order = threading.Event(), threading.Event(), []

    def slow(session) -> None:
        session.add(_case("c-1"))
        session.flush()
        started.set()
        release.wait(5)
        order.append("slow committed")

    def second(session) -> None:
        order.append("second began")
        session.get(m.Case, "c-1").state = "clearing_offen"

    try:
        first = asyncio.create_task(db.run(slow))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):  # the caller is released at once
            await first
        follower = asyncio.create_task(db.run(second))
        await asyncio.sleep(0.2)
        assert order == []  # but its transaction still holds the write lock
        release.set()
        await follower
        assert order == ["slow committed", "second began"]
        assert (await db.run(lambda session: session.get(m.Case, "c-1"), read_only=True)).state == "clearing_offen"
    finally:
        release.set()
        await db.dispose()


async def test_delete_person_keeps_case_without_person(database: Database):
    person_id = await add_person(database)
    async with database.unit_of_work() as session:
        session.add(_case("c-1", person_id))
    async with database.unit_of_work() as session:
        await session.delete(await session.get(m.Person, person_id))
    async with database.unit_of_work(read_only=True) as session:
        assert (await session.get(m.Case, "c-1")).person_id is None


async def test_ping_reachable_database_true(database: Database):
    assert await database.ping() is True


async def test_ping_unreachable_database_false(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    try:
        assert await db.ping() is False
    finally:
        await db.dispose()


async def test_connect_sqlite_enables_wal_foreign_keys_and_busy_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    upgrade(url)
    db = Database(url)
    try:
        async with db.engine.connect() as connection:
            pragmas = [
                (await connection.execute(text(f"PRAGMA {p}"))).scalar()
                for p in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
    finally:
        await db.dispose()
    assert pragmas == ["wal", 1, 5000]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///var/fahrplan.db", "sqlite+aiosqlite:///var/fahrplan.db"),
        ("postgresql://u:p@db:5432/fahrplan", "postgresql+psycopg://u:p@db:5432/fahrplan"),
        ("postgresql+psycopg://u:p@db/fahrplan", "postgresql+psycopg://u:p@db/fahrplan"),
        ("postgres://u@db/fahrplan", "postgresql+psycopg://u@db/fahrplan"),
    ],
)
def test_async_url_user_url_maps_to_async_driver(given: str, expected: str):
    assert async_url(given).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite+aiosqlite:///var/fahrplan.db", "sqlite:///var/fahrplan.db"),
        ("postgresql://u@db/fahrplan", "postgresql+psycopg://u@db/fahrplan"),
    ],
)
def test_sync_url_user_url_maps_to_sync_driver(given: str, expected: str):
    assert sync_url(given).render_as_string(hide_password=False) == expected


def test_async_url_unknown_scheme_raises():
    with pytest.raises(ValueError, match="unsupported database URL"):
        async_url(f"mysql://u@db/{uuid.uuid4().hex}")
