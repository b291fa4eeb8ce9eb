"""Reading is restricted (README "Role matrix"): staff read the cases of the processes they
work on (openers, trigger roles, task roles, the team lead); a participant only their own
case. Anything else answers 404 like an unknown case, lists leave it out."""

from __future__ import annotations

from runtime.settings import PARTICIPANT, ROLES
from statemachines.registry import PROCESSES
from statemachines.roles import readable_processes, reader_roles
from tests.access_support import Api
from tests.api_fixtures import auth, go

STAFF = [r for r in ROLES if r != PARTICIPANT]
NOT_FOUND = "/problems/not-found"


async def _listed(api: Api, headers: dict) -> set[str]:
    r = await api.http.get("/cases", params={"limit": 200}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["total"] == len(r.json()["items"])  # the count is filtered too
    return {c["case_id"] for c in r.json()["items"]}


async def test_staff_read_only_cases_of_processes_they_work_on(api: Api):
    cases = await api.final_cases()  # one case of every process
    mismatches = []
    for role in STAFF:
        readable = {cid for name, cid in cases.items() if role in reader_roles(PROCESSES[name])}
        if await _listed(api, auth(role)) != readable:
            mismatches.append(f"GET /cases as {role}")
        for name, case_id in cases.items():
            expected = 200 if case_id in readable else 404
            for path in (f"/cases/{case_id}", f"/cases/{case_id}/events"):
                r = await api.http.get(path, headers=auth(role))
                unknown = r.status_code == 404 and r.json()["detail"] == f"Fall {case_id} ist unbekannt."
                if r.status_code != expected or (expected == 404 and not unknown):
                    mismatches.append(f"GET {path} ({name}) as {role}: {r.status_code}")
    assert not mismatches, "\n".join(mismatches)
    # the plan's versions: its readers and, through the Schlichtung case, the Schlichtungsstelle
    plan, schlichtung = cases["kooperationsplan"], cases["schlichtung"]
    for role, case_id, expected in (
        ("ifk", plan, 200),
        ("leistung", plan, 200),
        ("egs", plan, 404),
        ("jobcoach", plan, 404),
        ("schlichtungsstelle", schlichtung, 200),
        ("schlichtungsstelle", plan, 404),
    ):
        r = await api.http.get(f"/cases/{case_id}/kooperationsplan/versionen", headers=auth(role))
        assert r.status_code == expected, (role, r.text)
    pdf = f"/cases/{plan}/kooperationsplan.pdf"
    assert (await api.http.get(pdf, headers=auth("egs"))).status_code == 404
    assert (await api.http.get(pdf, headers=auth("ifk"))).status_code == 409  # readable, but no plan yet


async def test_participant_reads_only_own_case_its_events_and_letters(api: Api):
    own = await api.start("gruppencoaching", "ifk")
    await go(api.http, own, "uebergabe_vereinbart", "ifk", {"termin": "2027-12-01T10:00:00+01:00"})  # a letter
    other = await api.start("gruppencoaching", "ifk")
    await go(api.http, other, "uebergabe_vereinbart", "ifk", {"termin": "2027-12-02T10:00:00+01:00"})
    me = api.participant(own["case_id"])
    assert await _listed(api, me) == {own["case_id"]}
    r = await api.http.get(f"/cases/{own['case_id']}", headers=me)
    assert r.status_code == 200 and r.json()["allowed_triggers"] == []
    events = await api.http.get(f"/cases/{own['case_id']}/events", headers=me)
    assert [e["trigger"]["name"] for e in events.json()] == ["fall_angelegt", "uebergabe_vereinbart"]
    letters = (await api.http.get("/notifications", headers=me)).json()
    assert letters and {n["case_id"] for n in letters} == {own["case_id"]}
    for path in (f"/cases/{other['case_id']}", f"/cases/{other['case_id']}/events"):
        assert (await api.http.get(path, headers=me)).json()["type"] == NOT_FOUND
    r = await api.http.get("/notifications", params={"case_id": other["case_id"]}, headers=me)
    assert r.status_code == 404
    # firing: someone else's case is unknown to them, on their own the declaration refuses
    body = {"trigger": "angebot_abgelehnt", "data": {}}
    assert (await api.http.post(f"/cases/{other['case_id']}/transitions", json=body, headers=me)).status_code == 404
    assert (await api.http.post(f"/cases/{own['case_id']}/transitions", json=body, headers=me)).status_code == 403
    assert (await api.http.get("/tasks", headers=me)).status_code == 403
    assert (await api.http.get("/infoveranstaltungen", headers=me)).status_code == 403
    unbound = api.participant(None)
    assert await _listed(api, unbound) == set()
    assert (await api.http.get("/notifications", headers=unbound)).json() == []
    assert (await api.http.get(f"/cases/{own['case_id']}", headers=unbound)).status_code == 404


async def test_notifications_list_only_readable_cases(api: Api):
    """The Fallübergabe of a Neuantrag is read by the IFK it goes to (task role), not by the Schlichtungsstelle."""
    antrag = await api.start("neuantrag", "egs", {"antragsweg": "persoenlich"})
    await go(api.http, antrag, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    await go(api.http, antrag, "leistung_bewilligt", "leistung")
    handed = await go(api.http, antrag, "gruppencoaching_abgelehnt", "jobcoach")
    assert handed["state"]["name"] == "an_ifk_uebergeben"
    gruppe = await api.start("gruppencoaching", "ifk")
    await go(api.http, gruppe, "uebergabe_vereinbart", "ifk", {"termin": "2027-12-01T10:00:00+01:00"})
    ids = {"neuantrag": antrag["case_id"], "gruppencoaching": gruppe["case_id"]}

    async def letters(role: str) -> set[str]:
        r = await api.http.get("/notifications", headers=auth(role))
        assert r.status_code == 200, r.text
        return {n["case_id"] for n in r.json()}

    for role in STAFF:
        expected = {cid for name, cid in ids.items() if role in reader_roles(PROCESSES[name])}
        assert await letters(role) == expected, role
    assert await letters("schlichtungsstelle") == set() and await letters("ifk") == set(ids.values())
    foreign = await api.http.get("/notifications", params={"case_id": gruppe["case_id"]}, headers=auth("egs"))
    assert foreign.status_code == 404
    # the IFK's Fallübernahme task links to a case it can open
    tasks = (await api.http.get("/tasks", params={"case_id": antrag["case_id"]}, headers=auth("ifk"))).json()
    assert [t["kind"] for t in tasks] == ["fallubernahme"]
    assert (await api.http.get(tasks[0]["link"].removeprefix("/api/v1"), headers=auth("ifk"))).status_code == 200


async def test_calendars_and_bookings_need_read_access_to_their_process(api: Api):
    """Checked before the lookup: a role that may not read gets 403, one that may gets 404 for an unknown id."""
    for role in STAFF:
        rkw = role in reader_roles(PROCESSES["rechtskreiswechsel"])
        gc = role in reader_roles(PROCESSES["gruppencoaching"])
        for path, readable in (
            ("/infoveranstaltungen/999999", rkw),
            ("/sitzungen/999999", gc),
            ("/buchungen/999999", gc),
        ):
            r = await api.http.get(path, headers=auth(role))
            assert r.status_code == (404 if readable else 403), (role, path, r.status_code)
        assert (await api.http.get("/buchungen", headers=auth(role))).status_code == (200 if gc else 403), role
    listed = await api.http.get("/infoveranstaltungen", headers=auth("egs"))
    assert listed.status_code == 200 and listed.json()
    assert (await api.http.get("/infoveranstaltungen", headers=auth("jobcoach"))).status_code == 403


async def test_transition_on_a_case_of_a_process_the_staff_role_may_not_read_answers_404(api: Api):
    """Issue 13, item 9: firing on a case the caller may not read answers like an unknown case
    (404), not 403, so its existence is not revealed; nothing changes."""
    plan = await api.start("kooperationsplan", "ifk")
    assert "kooperationsplan" not in readable_processes({"egs"})
    body = {"trigger": "potenzialanalyse_abgeschlossen", "data": {}}
    r = await api.http.post(f"/cases/{plan['case_id']}/transitions", json=body, headers=auth("egs"))
    unknown = await api.http.post("/cases/gibt-es-nicht/transitions", json=body, headers=auth("egs"))
    assert r.status_code == unknown.status_code == 404 and r.json()["type"] == unknown.json()["type"] == NOT_FOUND
    assert (await api.state(plan["case_id"]))["state"]["name"] == plan["state"]["name"]
