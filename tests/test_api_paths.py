"""The seed's paths, walked by staff through the HTTP API against a real worker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.usecases import views
from statemachines import PROCESSES
from tests.api_fixtures import auth, go, new_case, step, trail
from tests.test_workflow_neuantrag import _eventually

TERMIN = {"termin": "2027-12-01T10:00:00+01:00"}  # an appointment lies in the future (R19)


async def test_create_case_returns_201_with_initial_state_and_links(http):
    case = await new_case(http)
    assert case["state"] == {"name": "antrag_eingegangen", "label": "Antrag eingegangen"}
    assert case["workflow_id"] == f"neuantrag-{case['case_id']}"
    assert case["temporal_ui_url"].endswith(f"/workflows/{case['workflow_id']}")
    assert case["person"]["nachname"] == "Mustermann"
    assert case["allowed_triggers"][0]["name"] == "identitaet_bestaetigt"


async def test_walk_in_person_application_to_group_coaching_and_bewilligung(http):
    case = await new_case(http)
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    await go(http, case, "clearingtermin_vereinbart", "jobcoach", TERMIN)
    await go(http, case, "gruppencoaching_zugesagt", "jobcoach")
    done = await go(http, case, "leistung_bewilligt", "leistung")
    assert done["state"]["name"] == "gruppencoaching" and done["facts"]["bewilligt"] is True


async def test_walk_online_application_refused_until_identity_checked(http):
    case = await new_case(http, {"antragsweg": "online"})
    assert (await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "aufgabe"})).status_code == 409
    await go(http, case, "identitaet_bestaetigt", "egs")
    after = await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "aufgabe"})
    assert after["state"]["name"] == "clearing_offen"


async def test_walk_evading_applicant_to_ifk_after_bewilligung(http):
    case = await new_case(http)
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "terminslot"})
    await go(http, case, "kontaktversuch_gescheitert", "jobcoach", {"art": "telefon"})
    await go(
        http, case, "kontaktversuch_gescheitert", "jobcoach", {"art": "telefon"}, comment="Mailbox, keine Rückmeldung"
    )
    entzogen = await go(http, case, "kontaktversuch_gescheitert", "jobcoach", {"art": "schriftlich"})
    assert entzogen["state"]["name"] == "clearing_entzogen"
    assert (await go(http, case, "leistung_bewilligt", "leistung"))["state"]["name"] == "an_ifk_uebergeben"
    outbox = (await http.get("/notifications", params={"case_id": case["case_id"]}, headers=auth("ifk"))).json()
    assert [n["template"] for n in outbox] == ["fallubergabe"]
    assert "Mailbox, keine Rückmeldung" in outbox[0]["body"]
    inbox = (await http.get("/tasks", headers=auth("ifk"))).json()
    assert [t["kind"] for t in inbox if t["case_id"] == case["case_id"]] == ["fallubernahme"]


async def test_walk_rehabilitant_to_ifk_reha_only_after_bewilligung(http):
    case = await new_case(http, {"antragsweg": "persoenlich", "rehabilitand": True})
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    assert (await go(http, case, "als_rehabilitand_erfasst", "jobcoach"))["state"]["name"] == "reha_betreuung"
    assert (await step(http, case, "gruppencoaching_zugesagt", "jobcoach")).status_code == 409
    assert (await go(http, case, "leistung_bewilligt", "leistung"))["state"]["name"] == "an_ifk_reha_uebergeben"


async def test_walk_own_plan_with_wiedervorlage_task(http, env):
    case = await new_case(http)
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    planned = await go(http, case, "eigenen_plan_erfasst", "jobcoach")
    assert planned["deadlines"][0]["trigger"] == "wiedervorlage_faellig"
    await env.sleep(timedelta(weeks=4, days=1))

    async def wiedervorlagen():
        tasks = (await http.get("/tasks", params={"case_id": case["case_id"]}, headers=auth("jobcoach"))).json()
        return [t["kind"] for t in tasks if t["kind"] == "wiedervorlage"]

    await _eventually(wiedervorlagen, ["wiedervorlage"])


async def test_walk_alg1_recipient_invited_after_alg1_ends(http, env):
    case = await new_case(http)
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    now = await env.get_current_time()
    ende = (now + timedelta(days=20)).date().isoformat()
    await go(http, case, "alg1_bezug_erfasst", "jobcoach", {"alg1_ende": ende})
    await env.sleep(timedelta(days=22))

    async def state():
        return (await http.get(f"/cases/{case['case_id']}", headers=auth("jobcoach"))).json()["state"]["name"]

    await _eventually(state, "clearing_terminiert")  # R8 (issue 19): an appointment, not only a letter
    outbox = (await http.get("/notifications", params={"case_id": case["case_id"]}, headers=auth("jobcoach"))).json()
    assert [n["template"] for n in outbox] == ["einladung_alg1_termin"]


async def test_read_events_records_actor_role_and_comment(http):
    case = await new_case(http)
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, comment="Warme Übergabe an Jobcoach")
    events = (await http.get(f"/cases/{case['case_id']}/events", headers=auth("jobcoach"))).json()
    last = events[-1]
    assert (last["sequence"], last["actor"], last["role"], last["comment"]) == (
        1,
        "egs-1",
        "egs",
        "Warme Übergabe an Jobcoach",
    )
    assert last["to_state"]["label"] == "Clearing offen"
    assert await trail(http, case) == ["fall_angelegt", "an_clearing_uebergeben"]


async def test_list_cases_filters_by_state(http):
    a = await new_case(http)
    await new_case(http)
    await go(http, a, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    page = (
        await http.get("/cases", params={"state": "clearing_offen", "process": "neuantrag"}, headers=auth("egs"))
    ).json()
    assert [c["case_id"] for c in page["items"]] == [a["case_id"]] and page["total"] == 1


async def test_list_cases_filters_by_deadline_before(http):
    a = await new_case(http)
    await new_case(http)
    opened = await go(http, a, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    due = opened["deadlines"][0]["due"]
    hit = (await http.get("/cases", params={"deadline_before": "2999-01-01T00:00:00Z"}, headers=auth("egs"))).json()
    assert [c["case_id"] for c in hit["items"]] == [a["case_id"]] and hit["items"][0]["deadline"] == due


async def test_allowed_triggers_follow_the_callers_role(http):
    case = await new_case(http)
    egs = (await http.get(f"/cases/{case['case_id']}", headers=auth("egs"))).json()
    leistung = (await http.get(f"/cases/{case['case_id']}", headers=auth("leistung"))).json()
    assert "an_clearing_uebergeben" in [t["name"] for t in egs["allowed_triggers"]]
    assert [t["name"] for t in leistung["allowed_triggers"]] == [
        "leistung_bewilligt",
        "antrag_zurueckgenommen",
        "antrag_abgelehnt",
    ]


async def test_read_tasks_orders_by_priority_then_due(http):
    first = await new_case(http)
    second = await new_case(http)
    await go(http, first, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    await go(http, second, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    await go(http, second, "clearingtermin_vereinbart", "jobcoach", TERMIN)
    tasks = (await http.get("/tasks", headers=auth("jobcoach"))).json()
    assert [(t["priority"], t["kind"]) for t in tasks] == [(2, "clearingtermin"), (3, "clearing_durchfuehren")]
    assert tasks[0]["case_url"] == f"/api/v1/cases/{second['case_id']}"


async def test_read_processes_lists_neuantrag_with_roles(http):
    processes = (await http.get("/processes")).json()
    neuantrag = next(p for p in processes if p["name"] == "neuantrag")
    assert {"egs", "jobcoach", "leistung"} <= set(neuantrag["roles"])
    assert (await http.get("/processes/unbekannt")).status_code == 404


async def test_process_definitions_are_written_once_as_their_models_dump(http, monkeypatch):
    """Open to anyone who reaches the API: built per request the list cost ~15 ms of CPU."""
    await http.get("/processes")
    await http.get("/processes/neuantrag")
    built = []
    monkeypatch.setattr(views, "process_public", lambda p: built.append(p) or pytest.fail("built again"))
    listed = await http.get("/processes")
    one = await http.get("/processes/neuantrag")
    assert built == [] and listed.headers["content-type"] == one.headers["content-type"] == "application/json"
    monkeypatch.undo()
    assert listed.json() == [views.process_public(p).model_dump(mode="json") for p in PROCESSES.values()]
    assert one.json() == views.process_public(PROCESSES["neuantrag"]).model_dump(mode="json")


async def test_read_diagram_svg_and_mermaid(http):
    svg = await http.get("/processes/neuantrag/diagram.svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml" and "<svg" in svg.text
    mmd = await http.get("/processes/neuantrag/diagram.mmd")
    assert "stateDiagram-v2" in mmd.text and "Clearing offen" in mmd.text


async def test_read_health_reports_temporal_and_database(http):
    r = await http.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "temporal": True, "database": True}


async def test_serve_openapi_docs(http):
    assert (await http.get("http://test/docs")).status_code == 200
    spec = (await http.get("/openapi.json")).json()
    assert "/api/v1/cases/{case_id}/transitions" in spec["paths"]


async def test_transition_response_equals_the_case_read_afterwards(http):
    """The answer is built from the workflow's update result; the read model must say the same."""
    case = await new_case(http)
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    answered = await go(http, case, "clearingtermin_vereinbart", "jobcoach", TERMIN)
    read = (await http.get(f"/cases/{case['case_id']}", headers=auth("jobcoach"))).json()
    assert answered == read
