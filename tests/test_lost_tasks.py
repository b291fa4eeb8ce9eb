"""A workflow task lost after record_transition wrote its step (activities/lost_tasks.py): the
workflow decides the step again, and its record adopts the event instead of writing a reset."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from temporalio.client import WorkflowHandle
from temporalio.worker import UnsandboxedWorkflowRunner

from activities import CaseActivities
from persistence import models as m
from statemachines.spec import RESET_TRIGGER
from tests import lost_task
from tests.cases import case_id_of, fire, role_for, rows, signed, snapshot, start_case
from tests.conftest import serving
from tests.support_workflows import LosesATaskNeuantrag
from tests.test_activities import T0, World, add_request, counts, record, termin
from workflows.messages import CaseSnapshot, TransitionRequest
from workflows.processes import WORKFLOWS

TERMIN = {"termin": "2026-12-01T10:00:00+01:00"}
LATER = timedelta(seconds=7)


async def trail(db, case_id: str) -> list[tuple[int, str]]:
    return [(e.sequence, e.trigger) for e in await rows(db, m.CaseEvent, case_id=case_id)]


# --- the activity -------------------------------------------------------------------------------


async def test_the_same_request_decided_again_adopts_its_event(world: World):
    request_id = await add_request(world.db, world.case_id, "egs-1", "Termin telefonisch vereinbart")
    first = await world.record(termin(world.case_id, request_id=request_id, adopt=True))
    before = await counts(world.db, world.case_id)
    again = await world.record(
        termin(world.case_id, request_id=request_id, adopt=True, occurred_at=T0 + timedelta(days=1) + LATER)
    )
    assert (again.written, again.hash, again.adopted_at) == (False, first.hash, T0 + timedelta(days=1))
    assert await counts(world.db, world.case_id) == before == (2, 1, 1)  # no reset, no second letter or task
    assert await trail(world.db, world.case_id) == [(0, "fall_angelegt"), (1, "clearingtermin_vereinbart")]


async def test_a_timer_step_decided_again_adopts_its_event(world: World):
    def expired(at):
        return record(world.case_id, 1, "kontaktaufnahme_faellig", "clearing_offen", "clearing_offen",
                      role="system", entered=False, adopt=True, occurred_at=at)  # fmt: skip

    await world.record(expired(T0 + timedelta(days=1)))
    again = await world.record(expired(T0 + timedelta(days=1) + LATER))
    assert (again.written, again.adopted_at) == (False, T0 + timedelta(days=1))
    assert await trail(world.db, world.case_id) == [(0, "fall_angelegt"), (1, "kontaktaufnahme_faellig")]


async def test_another_request_for_the_same_step_is_a_new_event_after_a_reset(world: World):
    """The lost step's request did not come back; another request for the same trigger did."""
    lost = await add_request(world.db, world.case_id, "egs-1", None)
    other = await add_request(world.db, world.case_id, "egs-2", None)
    await world.record(termin(world.case_id, request_id=lost, adopt=True))
    again = await world.record(
        termin(world.case_id, request_id=other, adopt=True, occurred_at=T0 + timedelta(days=1) + LATER)
    )
    assert (again.written, again.adopted_at) == (True, None)
    assert await trail(world.db, world.case_id) == [
        (0, "fall_angelegt"),
        (1, "clearingtermin_vereinbart"),
        (2, RESET_TRIGGER),
        (3, "clearingtermin_vereinbart"),
    ]


async def test_another_step_under_the_number_is_a_reset(world: World):
    await world.record(termin(world.case_id, adopt=True))
    other = record(world.case_id, 1, "an_clearing_uebergeben", "antrag_eingegangen", "clearing_offen", adopt=True)
    result = await world.record(other)
    assert (result.written, result.adopted_at) == (True, None)
    assert [t for _, t in await trail(world.db, world.case_id)][-2:] == [RESET_TRIGGER, "an_clearing_uebergeben"]


async def test_a_record_that_does_not_adopt_marks_a_reset_as_before(world: World):
    """Cases that record with a regular activity (or began before it) never send `adopt`: for them a
    later time under the number is another decision, as it always was."""
    request_id = await add_request(world.db, world.case_id, "egs-1", None)
    await world.record(termin(world.case_id, request_id=request_id))
    again = await world.record(termin(world.case_id, request_id=request_id, occurred_at=T0 + timedelta(days=1) + LATER))
    assert (again.written, again.adopted_at) == (True, None)
    assert [t for _, t in await trail(world.db, world.case_id)][-2:] == [RESET_TRIGGER, "clearingtermin_vereinbart"]


@pytest.fixture
async def world(database) -> World:
    from tests.dbfixtures import add_person
    from tests.test_activities import start

    acts, case_id = CaseActivities(database), uuid.uuid4().hex[:12]
    await acts.record_transition(start(case_id, await add_person(database)))
    return World(database, acts, case_id)


# --- the workflow -------------------------------------------------------------------------------


@pytest.fixture
async def worker(client, sqlite_db):
    workflows = [*WORKFLOWS.values(), LosesATaskNeuantrag]
    async with serving(client, db=sqlite_db, workflows=workflows, runner=UnsandboxedWorkflowRunner()) as w:
        yield w


async def send(handle: WorkflowHandle, trigger: str, data: dict, request_id: str) -> CaseSnapshot:
    """The update as the API sends it; repeated with the same request id (update id) when its
    first attempt gets no answer, as a client repeats its Idempotency-Key."""
    request = signed(handle, TransitionRequest(trigger=trigger, data=data, role=role_for("neuantrag", trigger),
                                               request_id=request_id))  # fmt: skip
    for _ in range(5):
        try:
            return await asyncio.wait_for(
                handle.execute_update("transition", request, id=request_id, result_type=CaseSnapshot), 10
            )
        except Exception:  # noqa: BLE001  the lost task's update: ask again with the same id
            await asyncio.sleep(0.2)
    raise AssertionError("the update was never answered")


async def test_a_lost_workflow_task_leaves_one_event_and_the_workflow_agrees(client, worker, sqlite_db):
    handle = await start_case(
        client, worker.task_queue, {"antragsweg": "persoenlich"}, workflow="neuantrag_verliert_task"
    )
    await fire(handle, "an_clearing_uebergeben", {"uebergabe": "warm"})
    case_id = case_id_of(handle)
    request_id = await add_request(sqlite_db, case_id, "egs-1", None)
    lost_task.ARMED.add((case_id, 2))
    after = await send(handle, "clearingtermin_vereinbart", TERMIN, request_id)
    assert (case_id, 2) not in lost_task.ARMED, "the workflow task was not failed"
    assert await trail(sqlite_db, case_id) == [(0, "fall_angelegt"), (1, "an_clearing_uebergeben"),
                                               (2, "clearingtermin_vereinbart")]  # fmt: skip
    [event] = await rows(sqlite_db, m.CaseEvent, case_id=case_id, sequence=2)
    [case] = await rows(sqlite_db, m.Case, case_id=case_id)
    assert (after.state, after.sequence, after.head_hash) == ("clearing_terminiert", 2, event.hash)
    assert (case.state, case.version) == (after.state, after.sequence)
    assert after.updated_at == event.occurred_at.replace(tzinfo=after.updated_at.tzinfo)


async def test_the_workflow_takes_an_adopted_step_at_the_time_it_was_recorded(client, worker, sqlite_db, env):
    """The lost task decided earlier than the repeat: the workflow's state carries the trail's time."""
    handle = await start_case(client, worker.task_queue, {"antragsweg": "persoenlich"})
    before = await fire(handle, "an_clearing_uebergeben", {"uebergabe": "warm"})
    case_id = case_id_of(handle)
    request_id = await add_request(sqlite_db, case_id, "leistung-1", None, trigger="leistung_bewilligt")
    recorded_at = (await env.get_current_time()) - timedelta(minutes=5)
    # What the lost task wrote: this request's step, five minutes before the repeat arrives.
    lost = record(case_id, 2, "leistung_bewilligt", "clearing_offen", "clearing_offen", entered=False,
                  role=role_for("neuantrag", "leistung_bewilligt"), request_id=request_id,
                  facts={**before.facts, "bewilligt": True}, occurred_at=recorded_at, adopt=True)  # fmt: skip
    await CaseActivities(sqlite_db).record_transition(lost)
    after = await send(handle, "leistung_bewilligt", {}, request_id)
    assert after.sequence == 2 and after.updated_at == recorded_at
    assert [t for _, t in await trail(sqlite_db, case_id)] == [
        "fall_angelegt",
        "an_clearing_uebergeben",
        "leistung_bewilligt",
    ]
    assert (await snapshot(handle)).updated_at == recorded_at
