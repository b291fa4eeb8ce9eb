"""A client retries with its Idempotency-Key after losing the answer, and the case has closed meanwhile."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import update

from api.schemas.cases import TransitionCreate
from persistence import models as m
from tests.api_fixtures import new_case, step, trail


async def test_retry_of_closing_transition_whose_answer_was_lost_returns_200_and_changes_nothing(http, sqlite_db):
    case = await new_case(http)
    first = await step(http, case, "antrag_zurueckgenommen", "egs", key="k-lost")
    assert first.status_code == 200 and first.json()["final"] is True
    async with sqlite_db.unit_of_work() as session:  # the answer never reached the client nor the table
        await session.execute(update(m.TransitionRequest).values(response=None))
    again = await step(http, case, "antrag_zurueckgenommen", "egs", key="k-lost")
    assert again.status_code == 200 and again.json()["state"]["name"] == "beendet"
    assert await trail(http, case) == ["fall_angelegt", "antrag_zurueckgenommen"]


async def test_retry_of_a_step_whose_answer_was_lost_is_answered_although_the_case_moved_on(http, sqlite_db):
    """The read model shows the step already; its trigger is not allowed from there. The retry is
    still the request that took the step: it gets the step's answer, not a 409."""
    case = await new_case(http)
    first = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="k-moved")
    assert first.status_code == 200 and first.json()["state"]["name"] == "clearing_offen"
    async with sqlite_db.unit_of_work() as session:  # the answer never reached the client nor the table
        await session.execute(update(m.TransitionRequest).values(response=None))
    again = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="k-moved")
    assert again.status_code == 200, again.text
    assert again.json()["state"]["name"] == "clearing_offen"
    assert await trail(http, case) == ["fall_angelegt", "an_clearing_uebergeben"]


async def test_retry_of_request_that_never_took_effect_on_closed_case_returns_409(http, sqlite_db):
    case = await new_case(http)
    await step(http, case, "antrag_abgelehnt", "leistung")
    body = TransitionCreate(trigger="antrag_zurueckgenommen")
    fingerprint = hashlib.sha256(
        json.dumps([case["case_id"], body.model_dump(mode="json")], sort_keys=True).encode()
    ).hexdigest()
    async with sqlite_db.unit_of_work() as session:  # a first attempt that Temporal never confirmed (503)
        session.add(
            m.TransitionRequest(
                request_id=str(uuid.uuid4()),
                case_id=case["case_id"],
                actor="egs-1",
                role="egs",
                trigger=body.trigger,
                comment=None,
                idempotency_key="k-late",
                fingerprint=fingerprint,
                status_code=None,
                response=None,
                created_at=datetime.now(UTC),
            )
        )
    again = await step(http, case, "antrag_zurueckgenommen", "egs", key="k-late")
    assert again.status_code == 409 and again.json()["allowed_triggers"] == []
    assert await trail(http, case) == ["fall_angelegt", "antrag_abgelehnt"]


async def test_refusal_kept_as_problem_body_before_refusal_kinds_is_answered_as_it_was(http, sqlite_db):
    """Requests kept before the use cases stored refusals by kind hold the problem body itself."""
    case = await new_case(http)
    body = TransitionCreate(trigger="identitaet_bestaetigt")
    fingerprint = hashlib.sha256(
        json.dumps([case["case_id"], body.model_dump(mode="json")], sort_keys=True).encode()
    ).hexdigest()
    kept = {
        "type": "/problems/trigger-not-allowed",
        "title": "Auslöser nicht möglich",
        "status": 409,
        "detail": "identitaet_bestaetigt ist im Zustand „Eingegangen“ nicht möglich",
        "state": "eingegangen",
        "allowed_triggers": ["an_clearing_uebergeben"],
    }
    async with sqlite_db.unit_of_work() as session:
        session.add(
            m.TransitionRequest(
                request_id=str(uuid.uuid4()),
                case_id=case["case_id"],
                actor="egs-1",
                role="egs",
                trigger=body.trigger,
                comment=None,
                idempotency_key="k-old",
                fingerprint=fingerprint,
                status_code=409,
                response=kept,
                created_at=datetime.now(UTC),
            )
        )
    again = await step(http, case, "identitaet_bestaetigt", "egs", key="k-old")
    instance = {"instance": f"/api/v1/cases/{case['case_id']}/transitions"}  # every problem names it
    assert again.status_code == 409 and again.json() == kept | instance
    assert again.headers["content-type"].startswith("application/problem+json")
    assert await trail(http, case) == ["fall_angelegt"]
