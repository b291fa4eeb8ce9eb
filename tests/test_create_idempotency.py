"""Issue 13, item 1: an Idempotency-Key reused on `POST /cases` with another body answers 422,
starts nothing, and never gives the case id to a workflow of another process."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.service import RPCError

from persistence import models as m
from runtime.temporal import workflow_id
from statemachines import Policy
from tests.api_fixtures import PERSON, auth, new_case, step, trail
from tests.rkw_support import now, plus_monate
from workflows.messages import CaseInput


@pytest.fixture
def KEY() -> dict[str, str]:
    """A key of its own per test: the case id derives from user and key, and a Temporal
    workflow id is never reused (tests share one server)."""
    return {"Idempotency-Key": f"antrag-{uuid.uuid4()}"}


async def _rkw_body(env) -> dict:
    alg1_ende = plus_monate((await now(env)).date(), 2).isoformat()
    return {"process": "rechtskreiswechsel", "person": PERSON, "facts": {"alg1_ende": alg1_ende, "standort": "Witten"}}


async def _counts(db) -> tuple[int, int, int]:
    async with db.unit_of_work(read_only=True) as session:
        cases = await session.scalar(select(func.count()).select_from(m.Case))
        events = await session.scalar(select(func.count()).select_from(m.CaseEvent))
        people = await session.scalar(select(func.count()).select_from(m.Person))
    return cases, events, people


async def _not_started(client, process: str, case_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id(process, case_id)).describe()
    except RPCError:
        return True
    return False


async def test_same_key_with_another_process_answers_422_and_starts_nothing(http, env, client, sqlite_db, KEY):
    case = await new_case(http, None, **KEY)
    before = await _counts(sqlite_db)
    r = await http.post("/cases", json=await _rkw_body(env), headers={**auth("egs"), **KEY})
    assert r.status_code == 422 and r.json()["type"] == "/problems/idempotency-key-reused", r.text
    assert r.headers["content-type"].startswith("application/problem+json") and "Idempotency-Key" in r.json()["detail"]
    assert await _not_started(client, "rechtskreiswechsel", case["case_id"])
    assert await _counts(sqlite_db) == before
    # Time passes (the other process's timers would have fired): the case stays readable and whole.
    await env.sleep(timedelta(days=40))
    assert (await http.get(f"/cases/{case['case_id']}", headers=auth("egs"))).status_code == 200
    assert (await step(http, case, "identitaet_bestaetigt", "egs")).status_code == 200
    assert await trail(http, case) == ["fall_angelegt", "identitaet_bestaetigt"]
    async with sqlite_db.unit_of_work(read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(m.Notification)) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"facts": {"antragsweg": "online"}},
        {"person": {**PERSON, "vorname": "Max"}},
        {"person": {**PERSON, "geburtsdatum": "1981-04-12"}},
    ],
    ids=["facts", "vorname", "geburtsdatum"],
)
async def test_same_key_with_other_facts_or_person_answers_422(http, sqlite_db, KEY, change):
    body = {"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}}
    first = await http.post("/cases", json=body, headers={**auth("egs"), **KEY})
    assert first.status_code == 201
    before = await _counts(sqlite_db)
    r = await http.post("/cases", json={**body, **change}, headers={**auth("egs"), **KEY})
    assert r.status_code == 422 and r.json()["type"] == "/problems/idempotency-key-reused"
    assert await _counts(sqlite_db) == before
    again = await http.post("/cases", json=body, headers={**auth("egs"), **KEY})
    assert again.status_code == 201 and again.json()["case_id"] == first.json()["case_id"]


async def test_key_of_a_transition_is_refused_for_a_start_and_the_other_way_round(http, sqlite_db):
    key_t, key_s = f"k-t-{uuid.uuid4()}", f"k-s-{uuid.uuid4()}"
    case = await new_case(http)
    assert (await step(http, case, "identitaet_bestaetigt", "egs", key=key_t)).status_code == 200
    r = await http.post(
        "/cases",
        json={"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}},
        headers={**auth("egs"), "Idempotency-Key": key_t},
    )
    assert r.status_code == 422 and r.json()["type"] == "/problems/idempotency-key-reused"
    other = await new_case(http, None, **{"Idempotency-Key": key_s})
    r = await step(http, other, "identitaet_bestaetigt", "egs", key=key_s)
    assert r.status_code == 422 and r.json()["type"] == "/problems/idempotency-key-reused"
    assert await trail(http, other) == ["fall_angelegt"]


async def test_repeat_of_a_closed_case_start_does_not_start_it_again(http, client, KEY):
    case = await new_case(http, None, **KEY)
    r = await step(http, case, "antrag_zurueckgenommen", "egs")
    assert r.status_code == 200, r.text
    handle = client.get_workflow_handle(workflow_id("neuantrag", case["case_id"]))
    await handle.result()
    again = await new_case(http, None, **KEY)
    assert again["case_id"] == case["case_id"] and again["final"] is True
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert await trail(http, case) == ["fall_angelegt", "antrag_zurueckgenommen"]


async def test_a_workflow_of_another_process_never_writes_into_the_case(http, env, client, worker):
    """The activity's own check: even a workflow started directly (not through the API) under
    the case id of another process fails and records nothing."""
    case = await new_case(http)
    facts = (await _rkw_body(env))["facts"]
    handle = await client.start_workflow(
        "rechtskreiswechsel",
        CaseInput(case_id=case["case_id"], process="rechtskreiswechsel", facts=facts, policy=Policy()),
        id=workflow_id("rechtskreiswechsel", case["case_id"]),
        task_queue=worker.task_queue,
    )
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    await env.sleep(timedelta(days=40))
    assert (await http.get(f"/cases/{case['case_id']}", headers=auth("egs"))).status_code == 200
    assert (await http.get(f"/cases/{case['case_id']}/events", headers=auth("egs"))).status_code == 200
    assert await trail(http, case) == ["fall_angelegt"]
