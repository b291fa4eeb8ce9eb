"""R47 on the time-skipping server: each step of the plan has a status the IFK records (the state
stays), a step's due date brings it back as a task due that day, and the review (R42) starts from
the steps and their status."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from api.usecases.kooperationsplan import plan_schritte
from persistence import models as m
from statemachines import CaseMachine, Policy
from statemachines.kooperationsplan import KOOPERATIONSPLAN, KooperationsplanFacts
from tests.cases import case_id_of, fire, rows, snapshot, start_case
from tests.conftest import new_worker
from tests.kooperationsplan_support import draft, eventually_state, plan
from workflows.processes import WORKFLOWS

pytestmark = pytest.mark.usefixtures("end_all_cases")
KIND = "kp_schritt_nachhalten"


@pytest.fixture
async def worker(client, sqlite_db):
    async with new_worker(client, db=sqlite_db, workflows=list(WORKFLOWS.values())) as w:
        yield w


@pytest.fixture
def db(sqlite_db):
    return sqlite_db


async def steps_from_now(env, *days: int) -> dict:
    """The realistic plan with one step due each of `days` days from the server's clock."""
    today = (await env.get_current_time()).date()
    return plan(
        schritte=[
            {"was": f"Schritt {n}: ich bewerbe mich bei einem Betrieb.", "wer": "elb", "bis": str(today + timedelta(d))}
            for n, d in enumerate(days, 1)
        ]
    )


async def _aktiv(client, worker, db, inhalt, facts=None):
    h = await start_case(client, worker.task_queue, facts or {}, process="kooperationsplan")
    await fire(h, "potenzialanalyse_abgeschlossen")
    await fire(h, "plan_vereinbart", await draft(db, case_id_of(h), inhalt))
    return h


async def _tasks(db, h) -> list[m.Task]:
    return await rows(db, m.Task, case_id=case_id_of(h), kind=KIND)


async def _eventually_tasks(db, h, n: int) -> list[m.Task]:
    for _ in range(200):
        found = await _tasks(db, h)
        if len(found) >= n:
            return found
        await snapshot(h)
    raise AssertionError(f"expected {n} follow-up tasks, found {len(found)}")


async def test_r47_step_due_date_opens_a_follow_up_task_due_that_day_and_status_closes_it(client, worker, env, db):
    """R47: nothing before the step's day; on it a task for the IFK, due that day; once every step
    brought back has a status the task is done. The state stays aktiv throughout."""
    inhalt = await steps_from_now(env, 10, 30, 60)
    h = await _aktiv(client, worker, db, inhalt)
    snap = await snapshot(h)
    assert snap.facts["schritte_bis"] == [s["bis"] for s in inhalt["schritte"]]
    due = next(d for d in snap.deadlines if d.trigger == "schritt_faellig")
    first_day = datetime.fromisoformat(inhalt["schritte"][0]["bis"]).date()
    assert due.due == datetime.combine(first_day, time(0, 0), tzinfo=UTC)
    await env.sleep(timedelta(days=8))
    assert await _tasks(db, h) == []
    await env.sleep(timedelta(days=3))
    [task] = await _eventually_tasks(db, h, 1)
    assert (task.role, task.status) == ("ifk", "offen")
    assert task.due.replace(tzinfo=UTC) == datetime.combine(first_day, time(23, 59), tzinfo=UTC)
    snap = await snapshot(h)
    assert (snap.state, snap.facts["schritte_vorgelegt"]) == ("aktiv", [1])
    # a status for another step leaves the follow-up open; the step brought back closes it
    await fire(h, "schritt_erfasst", {"schritt": 3, "status": "entfallen"})
    assert [t.status for t in await _tasks(db, h)] == ["offen"]
    snap = await fire(h, "schritt_erfasst", {"schritt": 1, "status": "erledigt"})
    assert (snap.state, snap.facts["schritt_status"]) == ("aktiv", {"1": "erledigt", "3": "entfallen"})
    assert [t.status for t in await _tasks(db, h)] == ["erledigt"]
    # step 3 fell away: only step 2 comes back, on its own day
    await env.sleep(timedelta(days=25))
    tasks = await _eventually_tasks(db, h, 2)
    assert [t.status for t in tasks] == ["erledigt", "offen"]
    assert (await snapshot(h)).facts["schritte_vorgelegt"] == [1, 2]
    assert not [d for d in (await snapshot(h)).deadlines if d.trigger == "schritt_faellig"]


async def test_r47_review_starts_from_the_steps_and_their_status(client, worker, env, db):
    """R47 with R42: at the review the IFK records the steps' status (the state stays in review),
    the case lists them, and the updated plan starts with every step open."""
    h = await _aktiv(client, worker, db, await steps_from_now(env, 200, 210), {"rehabilitand": True})
    await fire(h, "schritt_erfasst", {"schritt": 1, "status": "erledigt"})
    await env.sleep(timedelta(days=185))
    await eventually_state(h, "in_ueberpruefung")
    snap = await fire(h, "schritt_erfasst", {"schritt": 2, "status": "nicht_erledigt"})
    assert snap.state == "in_ueberpruefung"
    async with db.unit_of_work(read_only=True) as session:
        listed = await plan_schritte(session, case_id_of(h))
    assert [(s.nr, s.status) for s in listed] == [(1, "erledigt"), (2, "nicht_erledigt")]
    updated = await fire(h, "fortgeschrieben", await draft(db, case_id_of(h), await steps_from_now(env, 30), "x"))
    assert (updated.state, updated.facts["schritt_status"], updated.facts["schritte_vorgelegt"]) == ("aktiv", {}, [])
    async with db.unit_of_work(read_only=True) as session:
        assert [(s.nr, s.status) for s in await plan_schritte(session, case_id_of(h))] == [(1, "offen")]
    # the follow-ups of a rehabilitant go to the IFK-Reha
    await env.sleep(timedelta(days=31))
    [task] = await _eventually_tasks(db, h, 1)
    assert task.role == "ifk_reha"


async def test_r47_refuse_a_step_the_plan_does_not_have_and_change_nothing(client, worker, env, db):
    h = await _aktiv(client, worker, db, await steps_from_now(env, 20, 40))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(h, "schritt_erfasst", {"schritt": 3, "status": "erledigt"})
    assert refused.value.cause.type == "InvalidPayload" and "Schritt 3 gibt es im Plan nicht" in str(
        refused.value.cause
    )
    snap = await snapshot(h)
    assert (snap.sequence, snap.facts["schritt_status"]) == (2, {})


async def test_r47_steps_dated_before_the_agreement_need_no_follow_up(client, worker, env, db):
    """R47: a step whose day lay before the agreement was talked about in it; later ones come back."""
    h = await _aktiv(client, worker, db, await steps_from_now(env, -3, 5))
    snap = await snapshot(h)
    assert snap.facts["schritte_vorgelegt"] == [1]
    await env.sleep(timedelta(days=6))
    [task] = await _eventually_tasks(db, h, 1)
    assert (await snapshot(h)).facts["schritte_vorgelegt"] == [1, 2] and task.status == "offen"


def test_r47_a_plan_agreed_before_has_all_steps_open_and_no_follow_ups():
    """Replay safety: a running case whose plan was agreed before R47 (its draft check gave no step
    dates) has no follow-up timer, every step `offen`, and the IFK may still record a status (the
    API checks the number against the stored version)."""
    machine = CaseMachine(KOOPERATIONSPLAN, Policy())
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    before = {"plan_version": 1, "plan_in_kraft": True, "plan_gueltig_seit": now.isoformat(), "plan_entwurf": "e"}
    facts = KooperationsplanFacts.model_validate(before)
    assert [d.deadline.trigger for d in machine.deadlines("aktiv", facts, now)] == ["ueberpruefung_faellig"]
    payload = machine.payload("schritt_erfasst", {"schritt": 5, "status": "erledigt"})
    step = machine.step("aktiv", facts, "schritt_erfasst", payload, now)
    assert (step.dest, step.facts.schritt_status) == ("aktiv", {5: "erledigt"})


async def test_r47_step_that_came_due_during_an_aufforderung_comes_back_on_return_to_the_plan(client, worker, env, db):
    """R47 with R44: outside `aktiv` a step's day brings nothing back (the Aufforderung is the IFK's
    work then); back on the active plan, the step whose day has passed meanwhile comes back at once,
    its task due on the step's own (past) day, so the inbox shows it overdue."""
    inhalt = await steps_from_now(env, 10, 60)
    h = await _aktiv(client, worker, db, inhalt)
    await fire(h, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})
    await env.sleep(timedelta(days=12))
    assert await _tasks(db, h) == []
    assert (await fire(h, "mitwirkung_erbracht")).state == "aktiv"
    [task] = await _eventually_tasks(db, h, 1)
    first_day = datetime.fromisoformat(inhalt["schritte"][0]["bis"]).date()
    assert task.status == "offen" and task.due.replace(tzinfo=UTC) == datetime.combine(
        first_day, time(23, 59), tzinfo=UTC
    )
    assert (await snapshot(h)).facts["schritte_vorgelegt"] == [1]
