"""GruppencoachingWorkflow on the time-skipping server: the Probezeit both ways (R24),
the R26 refusals and Jobturbo precedence (R25), with the real activity and SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from persistence import models as m
from tests.cases import case_id_of, events, fire, rows, snapshot, start_case
from tests.conftest import serving
from tests.test_workflow_neuantrag import _eventually

TERMIN = {"termin": "2026-12-01T10:00:00+01:00"}


@pytest.fixture
async def worker(client, sqlite_db):
    # serving: a refused update can end a test while the case's first record_transition is still in
    # flight, and a worker stopped under it leaves the shared time-skipping server stalled for later tests.
    async with serving(client, db=sqlite_db) as w:
        yield w


async def _start(client, worker, **facts):
    return await start_case(client, worker.task_queue, facts, process="gruppencoaching")


async def _in_probezeit(client, worker, **facts):
    h = await _start(client, worker, **facts)
    await fire(h, "uebergabe_vereinbart", TERMIN, role="ifk")
    assert (await fire(h, "probezeit_begonnen", role="ifk")).state == "probezeit"
    return h


async def _state(h) -> str:
    return (await snapshot(h)).state


async def _open_kinds(db, h) -> list[tuple[str, str]]:
    return [(t.kind, t.role) for t in await rows(db, m.Task, case_id=case_id_of(h), status="offen")]


async def test_probezeit_keeps_case_with_jobcoaches_before_two_weeks(client, worker, env):
    h = await _in_probezeit(client, worker)
    await env.sleep(timedelta(days=13))
    assert await _state(h) == "probezeit"


async def test_probezeit_expiry_then_case_stays_in_teilnahme(client, worker, env, sqlite_db):
    """R24: the timer raises the decision; staying closes the decision task and (R17) gives the
    Jobcoaches the coaching to accompany."""
    h = await _in_probezeit(client, worker)
    await env.sleep(timedelta(days=15))
    await _eventually(lambda: _state(h), "probezeit_beendet")
    assert await _open_kinds(sqlite_db, h) == [("probezeit_entscheidung", "jobcoach")]
    assert (await fire(h, "verbleib_vereinbart")).state == "teilnahme"
    assert await _open_kinds(sqlite_db, h) == [("gruppencoaching_begleiten", "jobcoach")]
    trail = [e[0] for e in await events(sqlite_db, case_id_of(h))]
    assert trail[-2:] == ["probezeit_abgelaufen", "verbleib_vereinbart"]


async def test_probezeit_expiry_then_case_goes_back_to_ifk_with_fallubergabe(client, worker, env, sqlite_db):
    """R24/R13: back to the IFK with the Fallübergabe text block and an IFK task."""
    h = await _in_probezeit(client, worker)
    await env.sleep(timedelta(days=15))
    await _eventually(lambda: _state(h), "probezeit_beendet")
    back = await fire(h, "an_ifk_zurueckgegeben")
    assert back.state == "rueckgabe_ifk" and back.final
    letters = [n.template for n in await rows(sqlite_db, m.Notification, case_id=case_id_of(h))]
    assert letters == ["einladung_uebergabegespraech", "fallubergabe", "fallubergabe"]
    assert await _open_kinds(sqlite_db, h) == [("fallubernahme", "ifk")]


async def test_refuse_handover_of_pupil_with_r26_reason(client, worker, sqlite_db):
    h = await _start(client, worker, jugendlich=True, schulpflicht_erfuellt=False)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(h, "uebergabe_vereinbart", TERMIN, role="ifk")
    cause = refused.value.cause
    assert cause.type == "TriggerNotAllowed" and "R26" in cause.message and "Schulpflicht" in cause.message
    assert (await snapshot(h)).sequence == 0


async def test_refuse_handover_of_apprenticeship_seeker_with_r26_reason(client, worker):
    h = await _start(client, worker, jugendlich=True, schulpflicht_erfuellt=True, sucht_erstausbildung=True)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(h, "uebergabe_vereinbart", TERMIN, role="ifk")
    assert "erste Ausbildung" in refused.value.cause.message


async def test_mark_jobturbo_tasks_with_precedence(client, worker, sqlite_db):
    """R25: the Jobturbo case's Jobcoach task goes first; an ordinary one does not."""
    plain = await _start(client, worker)
    turbo = await _start(client, worker, jobturbo=True)
    for h in (plain, turbo):
        await fire(h, "uebergabe_vereinbart", TERMIN, role="ifk")
    flags = {
        case_id_of(h): [t.vorrang for t in await rows(sqlite_db, m.Task, case_id=case_id_of(h), role="jobcoach")]
        for h in (plain, turbo)
    }
    assert flags == {case_id_of(plain): [False], case_id_of(turbo): [True]}
