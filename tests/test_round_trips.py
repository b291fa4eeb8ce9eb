"""Round trips to PostgreSQL on the hot paths (tests/round_trips.py counts them): each costs the
process about 50 us of CPU, the server some of its own, and a wait for the answer (0.14 ms on this
machine, a network round trip where the database runs on another host).

The API's transition: the case read, its checks and the request row, then the workflow's update,
then the open tasks of its answer: three. A pooled connection is checked before use by asking
its socket (persistence/ping.py), not the server, and the request row, the one write of its
hop, needs no BEGIN and COMMIT (Database.run's autocommit). Before both: seven."""

from __future__ import annotations

import asyncio
import select
import uuid

import psycopg
import pytest
from sqlalchemy import text

from activities import CaseActivities
from persistence import ping
from persistence.db import Database
from tests.api_fixtures import go, new_case
from tests.dbfixtures import TEST_AUDIT_KEYS, add_person
from tests.round_trips import counted
from tests.test_activities import TERMIN, record, start, termin

POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _pid(session) -> int:
    """The server process of the session's connection."""
    return session.execute(text("SELECT pg_backend_pid()")).scalar()


@POSTGRESQL
async def test_a_transition_makes_three_round_trips_from_the_api(backend_http, monkeypatch):
    # The first transition of a process loads its machine and policy (once per process): not counted.
    await go(backend_http, await new_case(backend_http), "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    case = await new_case(backend_http)
    with counted(monkeypatch) as trips:
        after = await go(backend_http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, "Ruft selbst an")
    assert after["state"]["name"] == "clearing_offen"
    assert len(trips) == 3, trips  # the worker's round trips run in its own contexts: not counted here


@POSTGRESQL
async def test_a_read_is_one_round_trip_and_a_one_write_hop_has_no_begin_or_commit(database, monkeypatch):
    await database.run(_pid, read_only=True)  # the pool's first connection is made outside the count
    with counted(monkeypatch) as trips:
        await database.run(_pid, read_only=True)
    assert len(trips) == 1, trips

    await database.run(lambda session: session.execute(text("CREATE TABLE rt (n int)")))

    def write(session):  # two statements (neither sends a notice: one would arrive apart, tests/round_trips.py)
        session.execute(text("INSERT INTO rt VALUES (1)"))
        session.execute(text("INSERT INTO rt VALUES (2)"))

    with counted(monkeypatch) as trips:
        await database.run(write, autocommit=True)
    assert len(trips) == 2, trips
    with counted(monkeypatch) as trips:
        await database.run(write)
    assert len(trips) == 4, trips  # BEGIN and COMMIT around the same two statements


@POSTGRESQL
async def test_the_async_engine_checks_its_connections_by_their_socket_too(database, monkeypatch):
    async with database.unit_of_work(read_only=True) as session:  # its first connection, outside the count
        await session.execute(text("SELECT 1"))
    with counted(monkeypatch) as trips:
        async with database.unit_of_work(read_only=True) as session:
            await session.execute(text("SELECT 1"))
    assert len(trips) == 3, trips  # BEGIN, the statement, COMMIT: no ping


async def test_a_connection_whose_server_went_away_is_replaced_before_use(postgres_database, postgres_admin_url):
    """One connection in the pool; its backend is terminated while it is idle. The next use
    finds the closed socket, pings, and the pool connects anew: the caller sees nothing."""
    database = Database(postgres_database, pool_size=1, audit_keys=TEST_AUDIT_KEYS)
    try:
        first = await database.run(_pid, read_only=True)
        with psycopg.connect(postgres_admin_url.replace("+psycopg", ""), autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", [first]).fetchone()[0]
        await _until_readable(database)
        second = await database.run(_pid, read_only=True)
        assert second != first
        assert await database.run(_pid, read_only=True) == second  # the new one stays
    finally:
        await database.dispose()


async def _until_readable(database: Database) -> None:
    """Wait (at most 5 s) until the pooled connection's socket has the server's goodbye to read."""
    record = database.sync_engine.pool._pool.queue[0]
    socket = record.dbapi_connection.pgconn.socket
    for _ in range(500):
        if select.select([socket], [], [], 0)[0]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the terminated backend's connection never became readable")


async def test_quiet_means_open_idle_and_nothing_to_read(postgres_database):
    url = postgres_database.replace("+psycopg", "")
    with psycopg.connect(url) as connection, psycopg.connect(url, autocommit=True) as other:
        assert ping.quiet(connection)
        connection.execute("SELECT 1")  # opens a transaction (not autocommit)
        assert not ping.quiet(connection)
        connection.rollback()
        assert ping.quiet(connection)
        connection.execute("LISTEN fahrplan_test")
        connection.commit()
        other.execute("NOTIFY fahrplan_test")  # something the server sends unasked
        for _ in range(500):
            if not ping.quiet(connection):
                break
            await asyncio.sleep(0.01)
        assert not ping.quiet(connection)
        connection.close()
        assert not ping.quiet(connection)


@POSTGRESQL
async def test_record_transition_makes_eight_round_trips(database, monkeypatch):
    """BEGIN, the case's row with its last event, the event, the read model, the tasks closed and
    opened, the invitations withdrawn, COMMIT (ten before: a ping, and the row and the last
    event read apart)."""
    acts = CaseActivities(database)
    case_id = "rt-" + uuid.uuid4().hex[:8]
    await acts.record_transition(start(case_id, await add_person(database)))
    step = record(case_id, 1, "an_clearing_uebergeben", "antrag_eingegangen", "clearing_offen", tasks=[TERMIN])
    with counted(monkeypatch) as trips:
        assert (await acts.record_transition(step)).written
    assert len(trips) == 8, trips
    with counted(monkeypatch) as trips:  # a retry: BEGIN, the row and head, its event found and compared, COMMIT
        assert not (await acts.record_transition(step)).written
    assert len(trips) == 5, trips


@POSTGRESQL
async def test_a_transition_with_a_letter_makes_ten_round_trips(database, monkeypatch):
    """The eight above, the letter's recent history with its addressee in one statement (the
    person and the events read apart before: eleven), and the letter."""
    acts = CaseActivities(database)
    case_id = "rt-" + uuid.uuid4().hex[:8]
    await acts.record_transition(start(case_id, await add_person(database)))
    await acts.record_transition(record(case_id, 1, "an_clearing_uebergeben", "antrag_eingegangen", "clearing_offen"))
    with counted(monkeypatch) as trips:
        assert (await acts.record_transition(termin(case_id, 2))).written
    assert len(trips) == 10, trips
