"""The Rechtskreiswechsel through the HTTP API against a real worker: cases, the
information-event calendar, attendance, cancellation, the R32 escalation and the switch."""

from __future__ import annotations

from datetime import timedelta

from tests.api_fixtures import PERSON, auth, go, step
from tests.rkw_support import event_begun, eventually, now, plus_monate

DOKUMENTE = {"dokumente": [{"art": "alg1_bescheid", "datum": "2026-11-02"}]}


async def _register(http, env, months: int = 2, standort: str = "Gevelsberg", role: str = "teamleitung"):
    alg1_ende = plus_monate((await now(env)).date(), months).isoformat()
    body = {"process": "rechtskreiswechsel", "person": PERSON, "facts": {"alg1_ende": alg1_ende, "standort": standort}}
    return await http.post("/cases", json=body, headers=auth(role))


async def _case(http, case_id: str) -> dict:
    return (await http.get(f"/cases/{case_id}", headers=auth("teamleitung"))).json()


async def _invited(http, env) -> dict:
    r = await _register(http, env)
    assert r.status_code == 201, r.text
    return await eventually(
        lambda: _case(http, r.json()["case_id"]), lambda c: c["state"]["name"] == "zur_infoveranstaltung_eingeladen"
    )


async def _attend(http, case: dict, erschienen: bool = True, env=None, **headers):
    """Record attendance; with `env`, first skip to the event's start (R32: not before)."""
    if env is not None:
        await event_begun(env, case["facts"])
    event = case["facts"]["veranstaltung_id"]
    body = {"case_id": case["case_id"], "erschienen": erschienen}
    return await http.post(
        f"/infoveranstaltungen/{event}/teilnahmen", json=body, headers={**auth("teamleitung"), **headers}
    )


async def _outbox(http, case: dict) -> list[str]:
    notes = (await http.get("/notifications", params={"case_id": case["case_id"]}, headers=auth("teamleitung"))).json()
    return [n["template"] for n in notes]


async def test_register_five_months_ahead_waits_for_r30_timer(http, env):
    r = await _register(http, env, months=5, role="egs")
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["state"]["name"] == "vorgemerkt" and case["deadlines"][0]["trigger"] == "einladen"


async def test_register_two_months_ahead_is_invited_at_once_with_letter(http, env):
    case = await _invited(http, env)
    assert case["facts"]["veranstaltung_id"] is not None
    assert await _outbox(http, case) == ["einladung_infoveranstaltung"]


async def test_refuse_registration_with_bad_input(http, env):
    assert (await _register(http, env, standort="Hagen")).status_code == 422
    assert (await _register(http, env, role="jobcoach")).status_code == 403
    r = await http.post(
        "/cases",
        json={"process": "rechtskreiswechsel", "person": PERSON, "facts": {"standort": "Witten"}},
        headers=auth("egs"),
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


async def test_list_generated_calendar_two_events_a_month_per_location(http):
    events = (await http.get("/infoveranstaltungen", headers=auth("egs"))).json()
    months = {(e["standort"], e["beginn"][:7]) for e in events}
    for standort, month in months:
        assert sum(1 for e in events if (e["standort"], e["beginn"][:7]) == (standort, month)) <= 2
    assert {e["standort"] for e in events} == {"Gevelsberg", "Witten"}
    assert all(e["frei"] == e["kapazitaet"] == 20 for e in events)


async def test_add_change_and_refuse_events_as_team_lead(http, env):
    beginn = (await now(env) + timedelta(days=30)).replace(microsecond=0).isoformat()
    body = {"standort": "Witten", "beginn": beginn, "kapazitaet": 2}
    assert (await http.post("/infoveranstaltungen", json=body, headers=auth("jobcoach"))).status_code == 403
    created = await http.post("/infoveranstaltungen", json=body, headers=auth("teamleitung"))
    assert created.status_code == 201 and created.json()["raum"] == "Schulungsraum 2"
    assert (await http.post("/infoveranstaltungen", json=body, headers=auth("teamleitung"))).status_code == 409
    assert (
        await http.post("/infoveranstaltungen", json=body | {"standort": "Hagen"}, headers=auth("teamleitung"))
    ).status_code == 422
    assert (
        await http.post(
            "/infoveranstaltungen", json=body | {"beginn": "2020-01-01T10:00:00Z"}, headers=auth("teamleitung")
        )
    ).status_code == 422
    event = created.json()["id"]
    changed = await http.patch(
        f"/infoveranstaltungen/{event}", json={"raum": "Aula", "kapazitaet": 30}, headers=auth("teamleitung")
    )
    assert changed.status_code == 200 and (changed.json()["raum"], changed.json()["frei"]) == ("Aula", 30)
    assert (
        await http.patch("/infoveranstaltungen/999999", json={"raum": "Aula"}, headers=auth("teamleitung"))
    ).status_code == 404


async def test_refuse_capacity_below_bookings(http, env):
    first, second = await _invited(http, env), await _invited(http, env)
    event = first["facts"]["veranstaltung_id"]
    assert second["facts"]["veranstaltung_id"] == event
    r = await http.patch(f"/infoveranstaltungen/{event}", json={"kapazitaet": 1}, headers=auth("teamleitung"))
    assert r.status_code == 409 and r.json()["type"] == "/problems/capacity-below-bookings" and r.json()["belegt"] == 2
    full = await http.patch(f"/infoveranstaltungen/{event}", json={"kapazitaet": 2}, headers=auth("teamleitung"))
    assert full.status_code == 200 and full.json()["frei"] == 0
    third = await _invited(http, env)
    assert third["facts"]["veranstaltung_id"] != event  # full: never overbooked


async def test_refuse_new_time_for_booked_event(http, env):
    case = await _invited(http, env)
    r = await http.patch(
        f"/infoveranstaltungen/{case['facts']['veranstaltung_id']}",
        json={"beginn": "2099-01-01T10:00:00Z"},
        headers=auth("teamleitung"),
    )
    assert r.status_code == 409 and r.json()["type"] == "/problems/event-booked"


async def test_cancel_event_reinvites_booked_cases_with_letter(http, env):
    case = await _invited(http, env)
    event = case["facts"]["veranstaltung_id"]
    r = await http.post(f"/infoveranstaltungen/{event}/absage", headers=auth("teamleitung"))
    assert r.status_code == 200, r.text
    [moved] = r.json()["umgebucht"]
    assert moved["case_id"] == case["case_id"] and moved["veranstaltung_id"] not in (None, event)
    assert r.json()["veranstaltung"]["status"] == "abgesagt"
    after = await _case(http, case["case_id"])
    assert after["facts"]["veranstaltung_id"] == moved["veranstaltung_id"]
    assert await _outbox(http, case) == ["einladung_infoveranstaltung", "absage_infoveranstaltung"]
    again = await http.post(f"/infoveranstaltungen/{event}/absage", headers=auth("teamleitung"))
    assert again.status_code == 200 and again.json()["umgebucht"] == []
    assert (await _attend(http, case | {"facts": {"veranstaltung_id": event}})).status_code == 409


async def test_record_attendance_moves_case_and_refuses_repeat(http, env):
    case = await _invited(http, env)
    early = await _attend(http, case)
    assert early.status_code == 409 and "R32" in early.json()["detail"], early.text  # R32: not before the event
    r = await _attend(http, case, env=env)
    assert r.status_code == 200 and r.json()["state"]["name"] == "infoveranstaltung_besucht"
    assert (await _attend(http, case)).status_code == 409
    detail = (
        await http.get(f"/infoveranstaltungen/{case['facts']['veranstaltung_id']}", headers=auth("teamleitung"))
    ).json()
    assert [(b["case_id"], b["status"]) for b in detail["buchungen"]] == [(case["case_id"], "teilgenommen")]


async def test_refuse_attendance_for_unknown_event_or_case(http, env):
    case = await _invited(http, env)
    event = case["facts"]["veranstaltung_id"]
    body = {"case_id": case["case_id"], "erschienen": True}
    assert (
        await http.post("/infoveranstaltungen/999999/teilnahmen", json=body, headers=auth("teamleitung"))
    ).status_code == 404
    unknown = {"case_id": "00000000-0000-4000-8000-000000000000", "erschienen": True}
    assert (
        await http.post(f"/infoveranstaltungen/{event}/teilnahmen", json=unknown, headers=auth("teamleitung"))
    ).status_code == 404
    assert (
        await http.post(
            f"/infoveranstaltungen/{event}/teilnahmen", json={"case_id": case["case_id"]}, headers=auth("teamleitung")
        )
    ).status_code == 422
    assert (
        await http.post(f"/infoveranstaltungen/{event}/teilnahmen", json=body, headers=auth("ifk"))
    ).status_code == 403


async def test_no_show_books_next_event(http, env):
    case = await _invited(http, env)
    r = await _attend(http, case, erschienen=False)
    assert r.status_code == 200
    again = r.json()
    assert again["state"]["name"] == "zur_infoveranstaltung_eingeladen" and again["facts"]["versaeumt"] == 1
    assert again["facts"]["veranstaltung_id"] != case["facts"]["veranstaltung_id"]


async def test_missed_counselling_shows_overdue_and_team_task(http, env):
    case = await _invited(http, env)
    await _attend(http, case, env=env)
    await env.sleep(timedelta(weeks=4, days=1))
    late = await eventually(lambda: _case(http, case["case_id"]), lambda c: c["overdue"])
    assert late["state"]["name"] == "infoveranstaltung_besucht"
    listed = (
        await http.get(
            "/cases", params={"overdue": "true", "process": "rechtskreiswechsel"}, headers=auth("teamleitung")
        )
    ).json()
    assert case["case_id"] in [c["case_id"] for c in listed["items"]]
    tasks = (await http.get("/tasks", params={"case_id": case["case_id"]}, headers=auth("teamleitung"))).json()
    assert [t["kind"] for t in tasks] == ["beratung_ueberfaellig"]


async def test_switch_links_both_cases_and_records_documents(http, env, spawned):
    case = await _invited(http, env)
    await _attend(http, case, env=env)
    await go(http, case, "beratung_durchgefuehrt", "ifk")
    bad = await step(
        http, case, "wechsel_vollzogen", "egs", {"dokumente": [{"art": "tagebuch", "datum": "2026-11-02"}]}
    )
    assert bad.status_code == 422
    assert (await step(http, case, "wechsel_vollzogen", "egs", {"dokumente": []})).status_code == 422
    done = await go(http, case, "wechsel_vollzogen", "egs", DOKUMENTE)
    assert done["state"]["name"] == "an_jobcenter_uebergeben" and done["final"]
    child_id = done["links"]["neuantrag"]
    spawned.append(f"neuantrag-{child_id}")
    child = await eventually(
        lambda: http.get(f"/cases/{child_id}", headers=auth("egs")), lambda r: r.status_code == 200
    )
    child = child.json()
    assert child["links"] == {"rechtskreiswechsel": case["case_id"]}
    assert child["facts"]["alg1_ende"] == case["facts"]["alg1_ende"] and child["person"]["nachname"] == "Mustermann"
    history = (await http.get(f"/cases/{case['case_id']}/events", headers=auth("egs"))).json()
    assert history[-1]["data"]["dokumente"] == DOKUMENTE["dokumente"]
    assert (await step(http, case, "kein_wechsel_erforderlich", "egs")).status_code == 409


async def test_no_switch_ends_case(http, env):
    case = await _invited(http, env)
    ended = await go(http, case, "kein_wechsel_erforderlich", "ifk")
    assert ended["state"]["name"] == "kein_wechsel" and ended["final"]
