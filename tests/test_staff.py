"""The staff directory (persistence/staff.py, issue 13 item 6): staff who sign in are recorded,
`known_staff` tells known staff ids from anything else, and fields naming staff accept only the
staff-id format, so free text (a citizen's name) cannot even reach Temporal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from persistence.db import Database
from persistence.staff import Staff, known_staff, list_staff, remember_staff
from statemachines import PROCESSES, CaseMachine, Policy
from tests.api_fixtures import auth, go
from tests.cases import rows

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_remember_staff_once_with_changed_roles_and_known_staff_case_insensitive(database: Database):
    async with database.unit_of_work() as session:
        await remember_staff(session, "ifk-2", {"ifk"}, T0)
        await remember_staff(session, "Teamleitung-1", ["teamleitung"], T0)
    async with database.unit_of_work() as session:
        await remember_staff(session, "ifk-2", {"ifk", "teamleitung"}, T0)  # another sign-in, more roles
        await remember_staff(session, "ifk-2", {"ifk", "teamleitung"}, T0)
    async with database.unit_of_work(read_only=True) as session:
        staff = {s.user_id: s.roles for s in await list_staff(session)}
        known = await known_staff(session, ["IFK-2", "teamleitung-1", "Frau Mustermann", "ifk-3", ""])
    assert staff == {"Teamleitung-1": ["teamleitung"], "ifk-2": ["ifk", "teamleitung"]}
    assert known == {"IFK-2", "teamleitung-1"}


async def test_concurrent_first_sign_ins_record_one_row(database: Database):
    async def sign_in() -> None:
        async with database.unit_of_work() as session:
            await remember_staff(session, "jobcoach-7", {"jobcoach"}, T0)

    await asyncio.gather(*(sign_in() for _ in range(4)))
    assert len(await rows(database, Staff, user_id="jobcoach-7")) == 1


async def test_staff_recorded_at_sign_in_participants_not_listed_for_staff_only(http, sqlite_db):
    assert (await http.get("/me", headers=auth("ifk"))).status_code == 200
    assert (await http.get("/me", headers=auth("teilnehmende"))).status_code == 200
    assert [(s.user_id, s.roles) for s in await rows(sqlite_db, Staff)] == [("ifk-1", ["ifk"])]
    listed = await http.get("/staff", headers=auth("teamleitung"))
    assert listed.status_code == 200
    assert [s["user_id"] for s in listed.json()] == ["ifk-1", "teamleitung-1"]
    assert (await http.get("/staff", headers=auth("teilnehmende"))).status_code == 403


@pytest.mark.parametrize("text", ["Frau Erika Mustermann", "Herr Müller (Nachbar)", "a", "ifk 2", " ifk-2", "ifk-2\n"])
def test_staff_id_fields_refuse_free_text(text):
    plan = CaseMachine(PROCESSES["kooperationsplan"], Policy())
    mediation = CaseMachine(PROCESSES["schlichtung"], Policy())
    with pytest.raises(ValidationError):
        plan.payload("fachkraft_beteiligt", {"fachkraft": text})
    with pytest.raises(ValidationError):
        mediation.payload("schlichtungsperson_bestellt", {"schlichtungsperson": text})
    with pytest.raises(ValidationError):
        PROCESSES["kooperationsplan"].start.model_validate({"beteiligte_fachkraefte": [text]})


def test_staff_id_fields_accept_staff_ids_and_running_facts_stay_readable():
    plan = CaseMachine(PROCESSES["kooperationsplan"], Policy())
    for staff_id in ("ifk-2", "erika.muster@jobcenter.de", "IFK-1", "schlichtung_7"):
        assert plan.payload("fachkraft_beteiligt", {"fachkraft": staff_id}).fachkraft == staff_id
    # A case started before the check keeps its facts through replay and continue-as-new.
    facts = PROCESSES["kooperationsplan"].facts.model_validate({"beteiligte_fachkraefte": ["Frau Alt"]})
    assert facts.beteiligte_fachkraefte == ["Frau Alt"]


async def test_api_refuses_free_text_in_staff_fields_with_422(http):
    r = await http.post(
        "/cases",
        json={
            "process": "kooperationsplan",
            "person": {"vorname": "A", "nachname": "B"},
            "facts": {"beteiligte_fachkraefte": ["Frau Müller"]},
        },
        headers=auth("ifk"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == 0, r.text
    r = await http.post(
        "/cases",
        json={"process": "kooperationsplan", "person": {"vorname": "A", "nachname": "B"}, "facts": {}},
        headers=auth("ifk"),
    )
    case = r.json()
    await go(http, case, "potenzialanalyse_abgeschlossen", "ifk")
    r = await http.post(
        f"/cases/{case['case_id']}/transitions",
        json={"trigger": "fachkraft_beteiligt", "data": {"fachkraft": "Herr Müller"}},
        headers=auth("ifk"),
    )
    assert r.status_code == 422 and r.json()["type"] == "/problems/invalid-payload", r.text
    assert (await http.get("/me", headers=auth("teamleitung"))).status_code == 200  # now a known staff id
    assert (await go(http, case, "fachkraft_beteiligt", "ifk", {"fachkraft": "teamleitung-1"}))["facts"][
        "beteiligte_fachkraefte"
    ] == ["teamleitung-1"]


async def test_api_refuses_staff_ids_nobody_knows_with_german_422_and_changes_nothing(http):
    """Issue 13, item 6: the staff-id format is not enough, the id must be in the staff directory."""
    person = {"vorname": "A", "nachname": "B"}
    body = {"process": "kooperationsplan", "person": person, "facts": {"beteiligte_fachkraefte": ["ifk-1", "ifk-99"]}}
    r = await http.post("/cases", json=body, headers=auth("ifk"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert r.json()["errors"] == [
        {
            "loc": ["facts", "beteiligte_fachkraefte", 1],
            "field": "facts.beteiligte_fachkraefte[1]",
            "msg": "ifk-99 ist keine bekannte Mitarbeiterkennung",
            "type": "unknown_staff_id",
        }
    ]
    assert (await http.get("/cases", headers=auth("ifk"))).json()["total"] == 0
    body["facts"] = {"beteiligte_fachkraefte": ["IFK-1"]}  # compared case-insensitively
    case = (await http.post("/cases", json=body, headers=auth("ifk"))).json()
    await go(http, case, "potenzialanalyse_abgeschlossen", "ifk")
    r = await http.post(
        f"/cases/{case['case_id']}/transitions",
        json={"trigger": "fachkraft_beteiligt", "data": {"fachkraft": "jobcoach-7"}},
        headers=auth("ifk"),
    )
    assert r.status_code == 422 and r.json()["type"] == "/problems/invalid-payload"
    assert "keine bekannte Mitarbeiterkennung" in r.text and r.json()["errors"][0]["loc"] == ["data", "fachkraft"]
    events = (await http.get(f"/cases/{case['case_id']}/events", headers=auth("ifk"))).json()
    assert [e["trigger"]["name"] for e in events] == ["fall_angelegt", "potenzialanalyse_abgeschlossen"]
