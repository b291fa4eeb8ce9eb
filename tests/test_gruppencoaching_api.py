"""Group coaching through the HTTP API: the Bestands-eLb case (R24–R26), the weekly
sessions (R20), self-booking by participants (R22) and the R21 decision task."""

from __future__ import annotations

from datetime import date

from api.usecases.sitzungen import wochenplan
from statemachines import Policy
from tests.api_fixtures import PERSON, auth, go, new_case, step
from tests.gc_support import TERMIN

# --- the case ----------------------------------------------------------------------------


async def test_create_gruppencoaching_case_as_ifk_returns_201(gc):
    case = (await gc.http.get(f"/cases/{await gc.case(probezeit=False)}", headers=auth("ifk"))).json()
    assert case["state"]["name"] == "angeboten"
    assert "uebergabe_vereinbart" in [t["name"] for t in case["allowed_triggers"]]


async def test_create_gruppencoaching_case_as_egs_returns_403(gc):
    r = await gc.http.post(
        "/cases", json={"process": "gruppencoaching", "person": PERSON, "facts": {}}, headers=auth("egs")
    )
    assert r.status_code == 403


async def test_handover_of_pupil_returns_409_with_r26_reason(gc):
    case_id = await gc.case({"jugendlich": True, "schulpflicht_erfuellt": False}, probezeit=False)
    r = await step(gc.http, case_id, "uebergabe_vereinbart", "ifk", TERMIN)
    assert r.status_code == 409 and "R26" in r.json()["detail"]
    assert (await gc.http.get(f"/cases/{case_id}", headers=auth("ifk"))).json()["version"] == 0


async def test_create_case_with_unknown_fact_returns_422(gc):
    r = await gc.http.post(
        "/cases",
        json={"process": "gruppencoaching", "person": PERSON, "facts": {"geburtsdatum": "2010-01-01"}},
        headers=auth("ifk"),
    )
    assert r.status_code == 422


# --- the schedule ------------------------------------------------------------------------


def test_plan_week_follows_policy_three_sessions_monday_wednesday_friday():
    starts = wochenplan(date(2026, 3, 2), 1, Policy())
    assert [(s.strftime("%a"), s.hour) for s in starts] == [("Mon", 8), ("Wed", 8), ("Fri", 8)]  # 09:00 CET


def test_plan_week_with_two_sessions_uses_first_weekdays_of_policy():
    starts = wochenplan(date(2026, 3, 2), 1, Policy(gc_sitzungen_pro_woche=2))
    assert [s.strftime("%a") for s in starts] == ["Mon", "Wed"]


async def test_plan_sessions_twice_creates_them_once(gc):
    first = await gc.sessions()
    again = await gc.sessions()
    assert [s["id"] for s in first] == [s["id"] for s in again]
    assert {(s["dauer_minuten"], s["kapazitaet"], s["min_teilnehmende"]) for s in first} == {(180, 2, 2)}


async def test_plan_sessions_with_zero_weeks_returns_422(gc):
    r = await gc.http.post("/sitzungen/plan", json={"von": "2026-03-02", "wochen": 0}, headers=auth("jobcoach"))
    assert r.status_code == 422


async def test_plan_sessions_as_participant_returns_403(gc):
    who = gc.participant(await gc.case())
    assert (await gc.http.post("/sitzungen/plan", json={"von": "2026-03-02"}, headers=who)).status_code == 403


# --- booking (R22) -----------------------------------------------------------------------


async def test_book_own_place_as_participant_returns_201(gc):
    case_id = await gc.case()
    sitzung = (await gc.sessions())[0]
    r = await gc.book(sitzung, gc.participant(case_id))
    assert r.status_code == 201, r.text
    assert (r.json()["case_id"], r.json()["status"]) == (case_id, "gebucht")
    assert (await gc.sitzung(sitzung))["gebucht"] == 1


async def test_book_full_session_returns_409_and_changes_nothing(gc):
    sitzung = (await gc.sessions())[0]
    for _ in range(2):
        assert (await gc.book(sitzung, gc.participant(await gc.case()))).status_code == 201
    late = await gc.case()
    r = await gc.book(sitzung, gc.participant(late))
    assert r.status_code == 409 and "ausgebucht" in r.json()["detail"]
    detail = await gc.sitzung(sitzung)
    assert (detail["gebucht"], detail["frei"], len(detail["buchungen"])) == (2, 0, 2)
    assert late not in [b["case_id"] for b in detail["buchungen"]]


async def test_book_same_session_twice_returns_409(gc):
    who = gc.participant(await gc.case())
    sitzung = (await gc.sessions())[0]
    await gc.book(sitzung, who)
    assert (await gc.book(sitzung, who)).status_code == 409


async def test_cancel_own_booking_frees_the_place(gc):
    who = gc.participant(await gc.case())
    sitzung = (await gc.sessions())[0]
    booking = (await gc.book(sitzung, who)).json()
    assert (await gc.http.delete(f"/buchungen/{booking['id']}", headers=who)).status_code == 204
    assert (await gc.http.get(f"/buchungen/{booking['id']}", headers=who)).json()["status"] == "storniert"
    assert (await gc.sitzung(sitzung))["frei"] == 2
    assert (await gc.book(sitzung, who)).status_code == 201  # booking again reuses the place


async def test_list_bookings_as_participant_shows_only_own(gc):
    mine, other = await gc.case(), await gc.case()
    sitzung = (await gc.sessions())[0]
    await gc.book(sitzung, gc.participant(mine))
    await gc.book(sitzung, gc.participant(other))
    listed = (await gc.http.get("/buchungen", headers=gc.participant(mine))).json()
    assert [b["case_id"] for b in listed] == [mine]
    assert (await gc.http.get("/buchungen", params={"case_id": other}, headers=gc.participant(mine))).status_code == 403


async def test_read_other_booking_as_participant_answers_404_like_an_unknown_one(gc):
    sitzung = (await gc.sessions())[0]
    theirs = (await gc.book(sitzung, gc.participant(await gc.case()))).json()
    stranger = gc.participant(await gc.case())
    r = await gc.http.get(f"/buchungen/{theirs['id']}", headers=stranger)
    unknown = await gc.http.get("/buchungen/999999", headers=stranger)
    assert r.status_code == unknown.status_code == 404
    assert r.json()["title"] == unknown.json()["title"] and "999999" not in r.json()["detail"]


async def test_cancel_other_booking_as_participant_answers_404_and_changes_nothing(gc):
    sitzung = (await gc.sessions())[0]
    owner = gc.participant(await gc.case())
    theirs = (await gc.book(sitzung, owner)).json()
    r = await gc.http.delete(f"/buchungen/{theirs['id']}", headers=gc.participant(await gc.case()))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert (await gc.http.get(f"/buchungen/{theirs['id']}", headers=owner)).json()["status"] == "gebucht"


async def test_book_for_other_case_as_participant_returns_403(gc):
    sitzung = (await gc.sessions())[0]
    other = await gc.case()
    r = await gc.book(sitzung, gc.participant(await gc.case()), case_id=other)
    assert r.status_code == 403


async def test_read_cases_as_participant_returns_own_case_only(gc):
    """README "Role matrix": a participant reads their own case; any other is unknown to them (404)."""
    case_id, other = await gc.case(), await gc.case()
    assert (await gc.http.get(f"/cases/{case_id}", headers=gc.participant(case_id))).status_code == 200
    assert (await gc.http.get(f"/cases/{other}", headers=gc.participant(case_id))).status_code == 404


async def test_book_case_before_handover_returns_409(gc):
    case_id = await gc.case(probezeit=False)
    r = await gc.book((await gc.sessions())[0], gc.participant(case_id))
    assert r.status_code == 409 and r.json()["state"] == "angeboten"


async def test_book_neuantrag_applicant_in_gruppencoaching_shares_sessions(gc):
    applicant = await new_case(gc.http)
    await go(gc.http, applicant, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    await go(gc.http, applicant, "gruppencoaching_zugesagt", "jobcoach")
    sitzung = (await gc.sessions())[0]
    assert (await gc.book(sitzung, gc.participant(applicant["case_id"]))).status_code == 201
    assert (await gc.book(sitzung, gc.participant(await gc.case()))).status_code == 201
    assert (await gc.sitzung(sitzung))["gebucht"] == 2


async def test_book_for_case_as_jobcoach_without_case_id_returns_422(gc):
    assert (await gc.book((await gc.sessions())[0], auth("jobcoach"))).status_code == 422


async def test_book_unknown_session_returns_404(gc):
    who = gc.participant(await gc.case())
    assert (await gc.book({"id": 9999}, who)).status_code == 404


# --- attendance --------------------------------------------------------------------------


async def test_record_attendance_as_jobcoach(gc):
    case_id = await gc.case()
    sitzung = (await gc.sessions())[0]
    booking = (await gc.book(sitzung, auth("jobcoach"), case_id=case_id)).json()
    r = await gc.http.put(f"/buchungen/{booking['id']}/anwesenheit", json={"anwesend": True}, headers=auth("jobcoach"))
    assert r.status_code == 200 and r.json()["anwesend"] is True
    assert [b["anwesend"] for b in (await gc.sitzung(sitzung))["buchungen"]] == [True]


async def test_record_attendance_as_participant_returns_403(gc):
    who = gc.participant(await gc.case())
    booking = (await gc.book((await gc.sessions())[0], who)).json()
    r = await gc.http.put(f"/buchungen/{booking['id']}/anwesenheit", json={"anwesend": True}, headers=who)
    assert r.status_code == 403


async def test_record_attendance_without_value_returns_422(gc):
    booking = (await gc.book((await gc.sessions())[0], auth("jobcoach"), case_id=await gc.case())).json()
    r = await gc.http.put(f"/buchungen/{booking['id']}/anwesenheit", json={}, headers=auth("jobcoach"))
    assert r.status_code == 422
