"""A transition without Idempotency-Key is read, checked and remembered in one database hop
(api/usecases/case_commands.py): refused by the API's checks, it writes nothing; accepted, it writes its request row
once, with who asked and why, and the audit event names them. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from persistence import models as m
from tests.api_fixtures import auth, go, new_case, step

TERMIN = {"termin": "2031-03-03T09:00:00+00:00"}


async def _requests(database) -> int:
    async with database.unit_of_work(read_only=True) as session:
        return await session.scalar(select(func.count()).select_from(m.TransitionRequest))


async def test_refusals_write_nothing_and_an_accepted_step_one_request_row(backend_http, database):
    case = await new_case(backend_http)
    before = await _requests(database)
    refused = [
        await step(backend_http, case, "gibt_es_nicht", "egs"),  # 422 unknown trigger
        await step(backend_http, case, "an_clearing_uebergeben", "jobcoach", {"uebergabe": "warm"}),  # 403
        await step(backend_http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "laut"}),  # 422 payload
    ]
    assert [r.status_code for r in refused] == [422, 403, 422]
    assert [r.headers["content-type"] for r in refused] == ["application/problem+json"] * 3
    assert await _requests(database) == before
    # The workflow decides what the state allows: that request was remembered and sent, then refused.
    assert (await step(backend_http, case, "clearingtermin_vereinbart", "jobcoach", TERMIN)).status_code == 409
    before += 1

    after = await go(backend_http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, "Ruft selbst an")
    assert after["state"]["name"] == "clearing_offen"
    assert await _requests(database) == before + 1
    async with database.unit_of_work(read_only=True) as session:
        request = await session.scalar(
            select(m.TransitionRequest).where(
                m.TransitionRequest.case_id == case["case_id"], m.TransitionRequest.trigger == "an_clearing_uebergeben"
            )
        )
    assert (request.actor, request.role, request.comment, request.idempotency_key) == (
        "egs-1",
        "egs",
        "Ruft selbst an",
        None,
    )
    assert request.status_code == 200  # record_transition marked it applied in the event's transaction
    events = (await backend_http.get(f"/cases/{case['case_id']}/events", headers=auth("jobcoach"))).json()
    assert [(e["trigger"]["name"], e["actor"], e["comment"]) for e in events][-1] == (
        "an_clearing_uebergeben",
        "egs-1",
        "Ruft selbst an",
    )


async def test_a_transition_takes_two_database_hops(backend_http, database, monkeypatch):
    """One before the update (case, checks, request row), one after it (the open tasks of the answer)."""
    case = await new_case(backend_http)
    hops: list[tuple[str, bool]] = []
    run = database.run

    async def counted(work, **options):
        hops.append((work.__module__, options.get("read_only", False)))
        return await run(work, **options)

    monkeypatch.setattr(database, "run", counted)
    await go(backend_http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    # The worker in this test shares the database object (its activities may still record the
    # case's start): only the API's hops are counted.
    assert [read_only for module, read_only in hops if module.startswith("api.")] == [False, True]
