"""Fault (c): PostgreSQL stops for a while (FAHRPLAN_FAULT_DB_OUTAGE_SECONDS, default 10; 30 in the full run)
while clients fire transitions.

Meanwhile the API answers 503 problem+json with Retry-After within seconds instead of hanging, and
healthz reports the database down; record_transition (a local activity) keeps retrying. When the
database is back, every wanted transition is in case_events exactly once and the read model equals
the workflows' snapshots. Runs against a private PostgreSQL instance, never the shared one.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time

import httpx
import psycopg
import pytest

from persistence.db import SQLITE_BUSY_TIMEOUT_MS
from tests.api_fixtures import new_case, step, trail
from tests.conftest import _settle as settle
from tests.faults.outage_checks import check_consistency, check_problem_503
from tests.faults.outage_support import Stack, client_loop, create_case, private_postgres, until

pytestmark = pytest.mark.faults

OUTAGE_SECONDS = float(os.environ.get("FAHRPLAN_FAULT_DB_OUTAGE_SECONDS", "10"))
CLIENTS, CASES_PER_CLIENT = 4, 2
UPDATE_TIMEOUT = 5.0
FAST_ENOUGH = 5.0  # seconds: a request that reaches the API during the outage is answered within this


async def _watch(base_url: str, case_id: str, until: float) -> tuple[list, list]:
    """During the outage: healthz and a case read, timed."""
    health, reads = [], []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        while time.monotonic() < until:
            t = time.monotonic()
            r = await http.get("/healthz")
            health.append((time.monotonic() - t, r.status_code, r.json()))
            t = time.monotonic()
            r = await http.get(f"/cases/{case_id}", headers={"Authorization": "Bearer fault-egs"})
            reads.append((time.monotonic() - t, r.status_code, r.headers.get("retry-after"), r.json()))
            await asyncio.sleep(0.5)
    return health, reads


async def _request_row(url: str, case_id: str) -> None:
    def probe() -> None:
        with psycopg.connect(url, connect_timeout=3) as conn:
            assert conn.execute("SELECT 1 FROM transition_requests WHERE case_id = %s", (case_id,)).fetchone()

    await asyncio.to_thread(probe)


async def test_database_outage(tmp_path):
    with private_postgres() as pg:
        # A short update timeout, so that transitions waiting out the outage also get their 503 (and retry).
        stack = Stack(tmp_path, pg.create_database("fahrplan"), update_timeout_seconds=UPDATE_TIMEOUT)
        try:
            await stack.start_temporal()
            stack.migrate()
            worker = stack.start_worker()
            await stack.start_api()
            async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http:
                cases = [await create_case(http) for _ in range(CLIENTS * CASES_PER_CLIENT + 2)]
            probe_case, held_case, cases = cases[0], cases[1], cases[2:]
            stop_clients, log = asyncio.Event(), []
            clients = [
                asyncio.create_task(client_loop(stack.base_url, i, cases[i::CLIENTS], stop_clients, log))
                for i in range(CLIENTS)
            ]
            await asyncio.sleep(3)  # under load before the fault

            # One transition is surely accepted but not yet recorded when the database stops: the worker
            # is paused while the API sends it, so record_transition meets the outage and must retry.
            os.kill(worker.pid, signal.SIGSTOP)
            held = asyncio.create_task(client_loop(stack.base_url, CLIENTS + 1, [held_case], stop_clients, log))
            await until(lambda: _request_row(stack.database_url, held_case), "the held request", 30)
            await asyncio.sleep(0.5)  # the API sends the update right after writing the request row
            await asyncio.to_thread(pg.stop, "immediate")
            down = time.monotonic()
            os.kill(worker.pid, signal.SIGCONT)
            # A client that starts during the outage: each of its requests meets the dead database first.
            late = asyncio.create_task(client_loop(stack.base_url, CLIENTS, [probe_case], stop_clients, log))
            health, reads = await _watch(stack.base_url, probe_case, down + OUTAGE_SECONDS)
            restarting = time.monotonic()  # from here the database may answer before pg_ctl's wait sees it
            await asyncio.to_thread(pg.start)
            up = time.monotonic()

            await asyncio.sleep(4)  # under load after the fault
            stop_clients.set()
            await asyncio.wait_for(asyncio.gather(*clients, late, held), timeout=150)
            finished = time.monotonic()

            during = [a for s in log for a in s.attempts if a.started >= down and a.started + a.seconds <= restarting]
            in_flight = [a for s in log for a in s.attempts if a.started < down < a.started + a.seconds]
            assert during and all(a.status == 503 for a in during), [
                (a.status, a.body) for a in during if a.status != 503
            ]
            check_problem_503(a for s in log for a in s.attempts)
            assert max(a.seconds for a in during) < FAST_ENOUGH
            assert all(status == 503 and not body["database"] for _, status, body in health), health
            assert max(seconds for seconds, *_ in health) < FAST_ENOUGH
            assert all(status == 503 and retry for _, status, retry, _ in reads), reads
            assert max(seconds for seconds, *_ in reads) < FAST_ENOUGH
            assert {a.status for s in log for a in s.attempts} <= {200, 503}
            first_held = next(s for s in log if s.case_id == held_case)
            assert (
                first_held.attempts[0].started < down
                and first_held.attempts[-1].started + first_held.attempts[-1].seconds > up
            )
            assert first_held.attempts[0].status == 503 and "Temporal" in first_held.attempts[0].body["detail"]
            retries = sum(
                line.get("activity") == "record_transition"
                and line["message"].startswith("Completing activity as failed")
                for line in json_lines(stack.log("worker", whole=True))
            )
            assert retries > 0, "record_transition must have met the outage"

            async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
                assert (await http.get("/healthz")).status_code == 200
            totals = await check_consistency(stack, log)
            print(
                f"\nDB outage {OUTAGE_SECONDS:.0f}s: {totals}; during outage {len(during)} answers, all 503, "
                f"max {max(a.seconds for a in during):.3f}s; healthz max {max(h[0] for h in health):.3f}s; "
                f"{len(in_flight)} requests in flight at the stop, "
                f"longest {max((a.seconds for a in in_flight), default=0):.1f}s; "
                f"record_transition failed {retries} times and was retried; the held transition was answered "
                f"{first_held.attempts[-1].started + first_held.attempts[-1].seconds - up:.1f}s after the restart; "
                f"all done {finished - up:.1f}s after the restart"
            )
        except BaseException:
            for name in ("api", "worker"):
                print(f"--- {name}.log\n{stack.log(name)}")
            raise
        finally:
            stack.close()


async def test_locked_sqlite_answers_503_and_changes_nothing(http, sqlite_db, client):
    """SQLite's "database is locked" (another process keeps the write lock) is an outage too: 503, not 500."""
    case = await new_case(http)
    # The case's first activity has run: otherwise it waits on the lock too, ahead of the request in
    # this process's queue of writers, and the request waits twice (CI once took 10.05 s so).
    await settle(client, [case["workflow_id"]])
    blocker = sqlite3.connect(sqlite_db.url.database, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        r = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="gesperrt-1")
        seconds = time.monotonic() - started
    finally:
        blocker.rollback()
        blocker.close()
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json", r.text
    assert r.headers["retry-after"] == "5" and "Datenbank" in r.json()["detail"]
    assert "locked" not in r.text and "sqlite" not in r.text.lower()
    assert seconds < 2 * SQLITE_BUSY_TIMEOUT_MS / 1000
    assert await trail(http, case) == ["fall_angelegt"]
    r = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="gesperrt-1")
    assert r.status_code == 200 and await trail(http, case) == ["fall_angelegt", "an_clearing_uebergeben"]


def json_lines(log: str) -> list[dict]:
    """The JSON log lines of a process (runtime/logs.py); anything else it printed is skipped."""
    out = []
    for line in log.splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict) and "message" in parsed:
            out.append(parsed)
    return out
