"""A workflow task lost after record_transition wrote its step (activities/lost_tasks.py): the
workflow decides the step again, and its record adopts the event instead of writing a reset."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from activities import CaseActivities
from persistence import models as m
from statemachines.spec import RESET_TRIGGER
from tests import lost_task
from tests.cases import case_id_of, fire, role_for, rows, signed, sleep, snapshot, start_case
from tests.conftest import serving
from tests.support_workflows import LosesATaskNeuantrag
from tests.test_activities import T0, World, add_request, counts, record, termin
from worker import catch_up
from workflows.host import ALREADY_APPLIED
from workflows.messages import CaseSnapshot, TransitionRequest
from workflows.processes import WORKFLOWS

TERMIN = {"termin": "2026-12-01T10:00:00+01:00"}
LATER = timedelta(seconds=7)


async def replays(client, handle: WorkflowHandle) -> None:
    """The history of a case that took a lost step replays without nondeterminism."""
    workflows = [*WORKFLOWS.values(), LosesATaskNeuantrag]
    replayer = Replayer(workflows=workflows, data_converter=client.data_converter, debug_mode=True)
    await replayer.replay_workflow(await handle.fetch_history())


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


async def test_an_adopted_step_brings_the_ids_of_the_children_its_lost_task_opened(world: World):
    """The lost task drew the child's id; the workflow opens the child under that id, as the read
    model links it, whatever id its second decision drew."""
    request_id = await add_request(world.db, world.case_id, "egs-1", None)
    await world.record(termin(world.case_id, request_id=request_id, adopt=True, links={"minderung": "kind-1"}))
    again = await world.record(
        termin(world.case_id, request_id=request_id, adopt=True, links={"minderung": "kind-2"},
               occurred_at=T0 + timedelta(days=1) + LATER)
    )  # fmt: skip
    assert (again.adopted_at, again.links) == (T0 + timedelta(days=1), {"minderung": "kind-1"})


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
    """Fahrplan's workflows in the sandbox, as every test worker runs them."""
    async with serving(client, db=sqlite_db) as w:
        yield w


@pytest.fixture
async def losing_worker(client, sqlite_db):
    """With LosesATaskNeuantrag, unsandboxed: the test arms it through tests/lost_task.py."""
    workflows = [*WORKFLOWS.values(), LosesATaskNeuantrag]
    async with serving(client, db=sqlite_db, workflows=workflows, runner=UnsandboxedWorkflowRunner()) as w:
        yield w


async def send(handle: WorkflowHandle, trigger: str, data: dict, request_id: str) -> CaseSnapshot:
    """The update as the API sends it; repeated with the same request id (update id) when its
    first attempt gets no answer, as a client repeats its Idempotency-Key."""
    for _ in range(5):
        try:
            return await asyncio.wait_for(send_once(handle, trigger, data, request_id), 10)
        except Exception:  # noqa: BLE001  the lost task's update: ask again with the same id
            await asyncio.sleep(0.2)
    raise AssertionError("the update was never answered")


async def send_once(handle: WorkflowHandle, trigger: str, data: dict, request_id: str) -> CaseSnapshot:
    request = signed(handle, TransitionRequest(trigger=trigger, data=data, role=role_for("neuantrag", trigger),
                                               request_id=request_id))  # fmt: skip
    return await handle.execute_update("transition", request, id=request_id, result_type=CaseSnapshot)


async def test_a_lost_workflow_task_leaves_one_event_and_the_workflow_agrees(client, losing_worker, sqlite_db):
    handle = await start_case(
        client, losing_worker.task_queue, {"antragsweg": "persoenlich"}, workflow="neuantrag_verliert_task"
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
    await replays(client, handle)


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
    await _in_run(CaseActivities(sqlite_db), lost, handle.result_run_id)
    after = await send(handle, "leistung_bewilligt", {}, request_id)
    assert after.sequence == 2 and after.updated_at == recorded_at
    assert [t for _, t in await trail(sqlite_db, case_id)] == [
        "fall_angelegt",
        "an_clearing_uebergeben",
        "leistung_bewilligt",
    ]
    assert (await snapshot(handle)).updated_at == recorded_at
    await replays(client, handle)


# --- another wake-up meets the lost step first --------------------------------------------------


async def _in_run(acts: CaseActivities, rec, run_id: str):
    """record_transition as the local activity of the workflow run `run_id` calls it."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_run_id=run_id)
    return await env.run(acts.record_transition, rec)


async def test_a_timer_meeting_a_lost_request_step_of_its_run_gets_the_step_back(world: World):
    request_id = await add_request(world.db, world.case_id, "egs-1", None)
    await _in_run(world.acts, termin(world.case_id, request_id=request_id, adopt=True), "run-1")
    expired = record(world.case_id, 1, "kontaktaufnahme_faellig", "clearing_offen", "clearing_offen",
                     role="system", entered=False, adopt=True, occurred_at=T0 + timedelta(days=3))  # fmt: skip
    result = await _in_run(world.acts, expired, "run-1")
    assert (result.written, result.hash) == (False, None)
    assert result.lost is not None
    assert (result.lost.trigger, result.lost.to_state, result.lost.request_id) == (
        "clearingtermin_vereinbart",
        "clearing_terminiert",
        request_id,
    )
    assert result.lost.occurred_at == T0 + timedelta(days=1)
    assert result.lost.data == {"termin": "2025-01-20T08:30:00Z"}
    assert await trail(world.db, world.case_id) == [(0, "fall_angelegt"), (1, "clearingtermin_vereinbart")]


async def test_the_same_step_written_by_a_run_an_operator_reset_is_not_adopted(world: World):
    request_id = await add_request(world.db, world.case_id, "egs-1", None)
    await _in_run(world.acts, termin(world.case_id, request_id=request_id, adopt=True), "run-1")
    again = termin(world.case_id, request_id=request_id, adopt=True, occurred_at=T0 + timedelta(days=1) + LATER)
    result = await _in_run(world.acts, again, "run-2")
    assert (result.written, result.adopted_at) == (True, None)
    assert [t for _, t in await trail(world.db, world.case_id)][-2:] == [RESET_TRIGGER, "clearingtermin_vereinbart"]


async def test_the_events_of_a_run_an_operator_reset_are_not_taken_back(world: World):
    request_id = await add_request(world.db, world.case_id, "egs-1", None)
    await _in_run(world.acts, termin(world.case_id, request_id=request_id, adopt=True), "run-1")
    expired = record(world.case_id, 1, "kontaktaufnahme_faellig", "clearing_offen", "clearing_offen",
                     role="system", entered=False, adopt=True, occurred_at=T0 + timedelta(days=3))  # fmt: skip
    result = await _in_run(world.acts, expired, "run-2")  # the reset's new run
    assert (result.written, result.lost) == (True, None)
    assert [t for _, t in await trail(world.db, world.case_id)][-2:] == [RESET_TRIGGER, "kontaktaufnahme_faellig"]


async def test_a_deadline_due_while_a_request_step_was_lost_finds_the_step_taken(client, worker, sqlite_db, env):
    """The server lost the update's workflow task after the step was written, and the client has not
    repeated it yet. The state's deadline comes first: the workflow takes the lost step as the trail
    recorded it, and the deadline of the state it left does not fire."""
    handle = await start_case(client, worker.task_queue, {"antragsweg": "persoenlich"})
    before = await fire(handle, "an_clearing_uebergeben", {"uebergabe": "warm"})
    assert [d.trigger for d in before.deadlines] == ["kontaktaufnahme_faellig"]
    case_id = case_id_of(handle)
    request_id = await add_request(sqlite_db, case_id, "egs-1", None)
    recorded_at = await env.get_current_time()
    lost = record(case_id, 2, "clearingtermin_vereinbart", "clearing_offen", "clearing_terminiert",
                  role=role_for("neuantrag", "clearingtermin_vereinbart"), request_id=request_id,
                  data=TERMIN, facts=before.facts, occurred_at=recorded_at, adopt=True)  # fmt: skip
    await _in_run(CaseActivities(sqlite_db), lost, handle.result_run_id)
    after = await sleep(env, timedelta(days=30), handle)
    assert (after.state, after.sequence, after.updated_at) == ("clearing_terminiert", 2, recorded_at)
    assert await trail(sqlite_db, case_id) == [(0, "fall_angelegt"), (1, "an_clearing_uebergeben"),
                                               (2, "clearingtermin_vereinbart")]  # fmt: skip
    # The client's repeat finds the request taken: the API answers it with the case (case_commands.py).
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await send_once(handle, "clearingtermin_vereinbart", TERMIN, request_id)
    assert refused.value.cause.message == ALREADY_APPLIED
    await replays(client, handle)


# --- a lost step that nothing wakes: the worker's catch-up sweep --------------------------------


async def _mark(db, request_id: str, seconds_ago: float = 60) -> None:
    at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    async with db.unit_of_work() as session:
        await session.execute(
            update(m.TransitionRequest).where(m.TransitionRequest.request_id == request_id).values(unconfirmed_at=at)
        )


async def _lost_without_wake_up(client, worker, sqlite_db) -> tuple[WorkflowHandle, str]:
    """A case whose lost step (a request) nothing brings back: the client never repeated it, and the
    state before it has no deadline. Returns the handle and the request's id."""
    handle = await start_case(client, worker.task_queue, {"antragsweg": "persoenlich"})
    await fire(handle, "an_clearing_uebergeben", {"uebergabe": "warm"})
    before = await fire(handle, "clearingtermin_vereinbart", TERMIN)
    assert before.deadlines == []
    case_id = case_id_of(handle)
    request_id = await add_request(sqlite_db, case_id, "jobcoach-1", None, trigger="gruppencoaching_zugesagt")
    lost = record(case_id, 3, "gruppencoaching_zugesagt", "clearing_terminiert", "gruppencoaching",
                  role=role_for("neuantrag", "gruppencoaching_zugesagt"), request_id=request_id,
                  facts=before.facts, adopt=True)  # fmt: skip
    await _in_run(CaseActivities(sqlite_db), lost, handle.result_run_id)
    return handle, request_id


async def _caught_up(handle: WorkflowHandle, sequence: int) -> CaseSnapshot:
    for _ in range(100):
        if (now := await snapshot(handle)).sequence == sequence:
            break
        await asyncio.sleep(0.05)
    return now


async def test_reconcile_names_a_lost_step_and_fix_lets_the_workflow_take_it(client, worker, sqlite_db):
    from worker.reconcile import reconcile

    handle, _ = await _lost_without_wake_up(client, worker, sqlite_db)
    case_id = case_id_of(handle)
    [found] = await reconcile(client, sqlite_db, task_queue=worker.task_queue, case_ids=[case_id])
    assert (found.kind, found.fixed) == ("verlorener-schritt", False)
    assert "gruppencoaching_zugesagt" in found.detail
    [fixed] = await reconcile(client, sqlite_db, task_queue=worker.task_queue, fix=True, case_ids=[case_id])
    assert (fixed.kind, fixed.fixed) == ("verlorener-schritt", True)
    assert (await _caught_up(handle, 3)).state == "gruppencoaching"
    assert await reconcile(client, sqlite_db, task_queue=worker.task_queue, case_ids=[case_id]) == []
    assert RESET_TRIGGER not in [t for _, t in await trail(sqlite_db, case_id)]
    await replays(client, handle)


async def test_the_sweep_brings_a_lost_step_that_nothing_wakes_into_its_workflow(client, worker, sqlite_db):
    """The client never repeated the request, and the state before it has no deadline."""
    handle, request_id = await _lost_without_wake_up(client, worker, sqlite_db)
    case_id = case_id_of(handle)
    await _mark(sqlite_db, request_id)
    await _mark(sqlite_db, await add_request(sqlite_db, case_id, "jobcoach-1", None), seconds_ago=5)  # too recent
    assert await catch_up.sweep(client, sqlite_db) == 1
    now = await _caught_up(handle, 3)
    assert (now.state, now.sequence) == ("gruppencoaching", 3)
    assert [t for _, t in await trail(sqlite_db, case_id)][-1] == "gruppencoaching_zugesagt"
    [row] = await rows(sqlite_db, m.TransitionRequest, request_id=request_id)
    assert row.unconfirmed_at is None


async def test_the_sweep_settles_a_request_that_never_took_effect_without_asking_temporal(world: World):
    request_id = await add_request(world.db, world.case_id, "egs-1", None)
    await _mark(world.db, request_id)
    assert await catch_up.sweep(None, world.db) == 1  # no client: Temporal is not asked  # type: ignore[arg-type]
    [row] = await rows(world.db, m.TransitionRequest, request_id=request_id)
    assert row.unconfirmed_at is None


async def test_a_request_whose_outcome_temporal_left_open_is_marked(http, sqlite_db, monkeypatch):
    from api.usecases import case_workflows
    from statemachines.refusals import unavailable
    from tests.api_fixtures import new_case, step

    async def unanswered(*_args, **_kwargs):
        raise unavailable(case_workflows.NOT_CONFIRMED)

    case = await new_case(http)
    monkeypatch.setattr(case_workflows, "send", unanswered)
    answer = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="k-open")
    assert answer.status_code == 503
    [row] = await rows(sqlite_db, m.TransitionRequest, case_id=case["case_id"], trigger="an_clearing_uebergeben")
    assert row.unconfirmed_at is not None and row.status_code is None
