"""The Kooperationsplan and its Schlichtung through the HTTP API against a real worker:
plan content in, plan document out, the contract's errors, R52 and R55 refusals."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from persistence.kooperationsplan import PlanVersion
from tests.api_fixtures import PERSON, auth, go, new_case, step
from tests.cases import rows
from tests.history_scan import history_bytes
from tests.kooperationsplan_support import PLAN, overlong_plan, plan
from tests.test_pages_session import sign_in
from tests.test_workflow_neuantrag import _eventually

pytestmark = pytest.mark.usefixtures("end_all_cases")
VORSCHLAG = plan("Ich beginne eine Umschulung zur Fachkraft für Lagerlogistik.")
TERMIN = {"termin": "2027-01-20T10:00:00+01:00"}


async def _plan_case(http, facts=None) -> dict:
    r = await http.post(
        "/cases", json={"process": "kooperationsplan", "person": PERSON, "facts": facts or {}}, headers=auth("ifk")
    )
    assert r.status_code == 201, r.text
    return await go(http, r.json(), "potenzialanalyse_abgeschlossen", "ifk")


async def _aktiv(http) -> dict:
    return await go(http, await _plan_case(http), "plan_vereinbart", "ifk", PLAN)


async def _case(http, case_id: str) -> dict:
    return (await http.get(f"/cases/{case_id}", headers=auth("ifk"))).json()


async def _pdf_text(response) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(response.content))
    return len(reader.pages), " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


async def _schlichtung(http) -> tuple[dict, str]:
    case = await go(http, await _plan_case(http), "schlichtung_beantragt", "ifk", {"initiiert_von": "elb"})
    return case, case["links"]["schlichtung"]


async def test_agree_plan_keeps_plan_text_out_of_case_facts(http):
    case = await _aktiv(http)
    assert case["state"]["name"] == "aktiv" and case["facts"]["plan_version"] == 1
    assert case["facts"]["rfb_pflicht"] is False
    assert "Lagerlogistik" not in str(case["facts"])
    # R47 added the steps' deadline (their dates, never their text) beside the review's
    assert {d["trigger"] for d in case["deadlines"]} == {"ueberpruefung_faellig", "schritt_faellig"}


async def test_read_plan_pdf_returns_one_page_with_goal_and_steps(http):
    case = await _aktiv(http)
    r = await http.get(f"/cases/{case['case_id']}/kooperationsplan.pdf", headers=auth("ifk"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pages, text = await _pdf_text(r)
    assert (
        pages == 1 and "Fachkraft für Lagerlogistik" in text and "Staplerschein" in text and "Erika Mustermann" in text
    )
    assert "Unterschrift" not in text and "Rechtsfolge" not in text


async def test_refuse_overlong_plan_with_422_saying_it_does_not_fit(http):
    case = await _plan_case(http)
    r = await step(http, case, "plan_vereinbart", "ifk", overlong_plan())
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/plan-zu-lang" and "DIN-A4-Seite" in r.json()["detail"]
    assert (await _case(http, case["case_id"]))["state"]["name"] == "in_erarbeitung"


async def test_refuse_incomplete_plan_with_422_and_field_errors(http):
    case = await _plan_case(http)
    r = await step(
        http,
        case,
        "plan_vereinbart",
        "ifk",
        {"ziel": "Arbeit finden", "schritte": [{"was": "Bewerben", "wer": "niemand"}]},
    )
    assert r.status_code == 422
    assert {tuple(e["loc"][:3]) for e in r.json()["errors"]} >= {("schritte", 0, "wer"), ("schritte", 0, "bis")}


async def test_refuse_plan_by_role_not_allowed_with_403_and_404_for_a_role_that_may_not_read(http):
    case = await _plan_case(http)
    r = await step(http, case, "plan_vereinbart", "teamleitung", PLAN)  # reads every case, may not agree a plan
    assert r.status_code == 403
    r = await step(http, case, "plan_vereinbart", "jobcoach", PLAN)  # may not even read it: like an unknown case
    assert r.status_code == 404


async def test_refuse_plan_in_wrong_state_with_409(http):
    r = await http.post(
        "/cases", json={"process": "kooperationsplan", "person": PERSON, "facts": {}}, headers=auth("ifk")
    )
    refused = await step(http, r.json(), "plan_vereinbart", "ifk", PLAN)
    assert refused.status_code == 409 and "potenzialanalyse_abgeschlossen" in [
        t["name"] for t in refused.json()["allowed_triggers"]
    ]


async def test_repeat_plan_with_same_idempotency_key_stores_one_version(http, sqlite_db):
    case = await _plan_case(http)
    first = await step(http, case, "plan_vereinbart", "ifk", PLAN, key="plan-1")
    again = await step(http, case, "plan_vereinbart", "ifk", PLAN, key="plan-1")
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert len(await rows(sqlite_db, PlanVersion, case_id=case["case_id"])) == 1


async def test_expose_rfb_pflicht_without_plan(http):
    """R45: ohne_plan; every Aufforderung carries an RFB."""
    case = await go(http, await _plan_case(http), "keine_einigung", "ifk")
    assert (case["state"]["name"], case["facts"]["rfb_pflicht"]) == ("ohne_plan", True)
    after = await go(http, case, "mitwirkung_versaeumt", "ifk", {"anlass": "termin_versaeumt"})
    assert after["facts"]["rfb_pflicht"] is True
    outbox = (await http.get("/notifications", params={"case_id": case["case_id"]}, headers=auth("ifk"))).json()
    assert [n["template"] for n in outbox] == ["aufforderung_mitwirkung"] and "Rechtsfolgenbelehrung" in outbox[0][
        "body"
    ]


async def test_refuse_missed_cooperation_during_schlichtung_with_409_citing_r55(http):
    case, _ = await _schlichtung(http)
    r = await step(http, case, "mitwirkung_versaeumt", "ifk")
    assert r.status_code == 409 and "R55" in r.json()["detail"]


async def test_refuse_schlichtungsperson_who_worked_on_plan_with_409_citing_r52(http):
    _, child = await _schlichtung(http)
    r = await step(http, child, "schlichtungsperson_bestellt", "schlichtungsstelle", {"schlichtungsperson": "ifk-1"})
    assert r.status_code == 409 and "R52" in r.json()["detail"]


async def test_refuse_schlichtungsperson_given_as_free_text_with_422(http):
    """Issue 13: a name instead of a staff id would reach the facts, the audit trail and the history."""
    _, child = await _schlichtung(http)
    data = {"schlichtungsperson": "Frau Erika Mustermann"}
    r = await step(http, child, "schlichtungsperson_bestellt", "schlichtungsstelle", data)
    assert r.status_code == 422 and r.json()["type"] == "/problems/invalid-payload", r.text
    events = (await http.get(f"/cases/{child}/events", headers=auth("schlichtungsstelle"))).json()
    assert [e["trigger"]["name"] for e in events] == ["fall_angelegt"]


async def test_refuse_starting_schlichtung_directly_with_403(http):
    r = await http.post("/cases", json={"process": "schlichtung", "person": PERSON, "facts": {}}, headers=auth("ifk"))
    assert r.status_code == 403


async def test_walk_schlichtung_to_agreement_gives_plan_version_from_proposal(http):
    """R51–R53: the agreed proposal becomes the plan; the plan returns to aktiv."""
    case, child = await _schlichtung(http)
    person = {"schlichtungsperson": "schlichtungsstelle-1"}
    await go(http, child, "schlichtungsperson_bestellt", "schlichtungsstelle", person)
    invited = await go(http, child, "gespraech_terminiert", "schlichtungsstelle", TERMIN)
    assert invited["links"] == {"kooperationsplan": case["case_id"]}
    ended = await go(http, child, "einigung", "schlichtungsstelle", VORSCHLAG)
    assert ended["state"]["name"] == "einigung" and ended["final"]

    async def state():
        return (await _case(http, case["case_id"]))["state"]["name"]

    await _eventually(state, "aktiv")
    versions = (await http.get(f"/cases/{case['case_id']}/kooperationsplan/versionen", headers=auth("ifk"))).json()
    assert [(v["version"], v["quelle"], v["status"]) for v in versions] == [(1, "schlichtung", "gueltig")]
    assert versions[0]["inhalt"]["ziel"] == VORSCHLAG["ziel"]


async def test_refuse_overlong_proposal_with_422(http):
    _, child = await _schlichtung(http)
    person = {"schlichtungsperson": "schlichtungsstelle-1"}
    await go(http, child, "schlichtungsperson_bestellt", "schlichtungsstelle", person)
    r = await step(http, child, "einigung", "schlichtungsstelle", overlong_plan())
    assert r.status_code == 422 and "DIN-A4-Seite" in r.json()["detail"]


async def test_read_versions_shows_what_changed_and_pdf_of_old_version(http):
    case = await _aktiv(http)
    await go(http, case, "fortgeschrieben", "ifk", plan("Ausbildung zur Fachkraft für Lagerlogistik"))
    versions = (await http.get(f"/cases/{case['case_id']}/kooperationsplan/versionen", headers=auth("ifk"))).json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "abgeloest"), (2, "gueltig")]
    assert "Ziel geändert: Ausbildung zur Fachkraft für Lagerlogistik" in versions[1]["aenderungen"]
    old = await http.get(versions[0]["pdf_url"].removeprefix("/api/v1"), headers=auth("ifk"))
    assert "Version 1" in (await _pdf_text(old))[1] and PLAN["ziel"][:40] in (await _pdf_text(old))[1]


async def test_read_pdf_without_plan_returns_409(http):
    case = await _plan_case(http)
    r = await http.get(f"/cases/{case['case_id']}/kooperationsplan.pdf", headers=auth("ifk"))
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"


async def test_read_pdf_of_unknown_version_or_case_returns_404(http):
    case = await _aktiv(http)
    assert (
        await http.get(f"/cases/{case['case_id']}/kooperationsplan.pdf?version=9", headers=auth("ifk"))
    ).status_code == 404
    assert (await http.get("/cases/unbekannt/kooperationsplan.pdf", headers=auth("ifk"))).status_code == 404
    neuantrag = await new_case(http)
    assert (
        await http.get(f"/cases/{neuantrag['case_id']}/kooperationsplan.pdf", headers=auth("ifk"))
    ).status_code == 404


async def test_read_pdf_without_token_returns_401(http):
    assert (await http.get("/cases/x/kooperationsplan.pdf")).status_code == 401


async def test_keep_plan_text_out_of_temporal_history(http, client):
    """The plan is Sozialdaten: Temporal sees a draft id and a hash, never the text."""
    case = await _aktiv(http)
    raw = await history_bytes(client, case["workflow_id"])  # every payload decrypted
    assert b"Lagerlogistik" not in raw and b"Staplerschein" not in raw
    assert b"inhalt_hash" in raw


# --- R47: plan steps ---------------------------------------------------------------------------


async def test_r47_record_step_status_through_transitions_keeps_state_and_case_view_lists_steps(http):
    """R47: schritt_erfasst through the generic transitions endpoint; the state stays, the case view
    lists every step of the plan in force with its status, the version history too."""
    case = await _aktiv(http)
    listed = (await _case(http, case["case_id"]))["plan_schritte"]
    assert [(s["nr"], s["status"]) for s in listed] == [(n, "offen") for n in range(1, 7)]
    assert listed[1]["was"] == PLAN["schritte"][1]["was"] and listed[1]["bis"] == "2027-02-28"
    after = await go(http, case, "schritt_erfasst", "ifk", {"schritt": 2, "status": "erledigt"})
    assert after["state"]["name"] == "aktiv" and after["facts"]["schritt_status"] == {"2": "erledigt"}
    await go(http, case, "schritt_erfasst", "ifk", {"schritt": 4, "status": "entfallen"})
    await go(http, case, "schritt_erfasst", "ifk", {"schritt": 2, "status": "nicht_erledigt"})  # a correction
    view = await _case(http, case["case_id"])
    assert [s["status"] for s in view["plan_schritte"]] == [
        "offen",
        "nicht_erledigt",
        "offen",
        "entfallen",
        "offen",
        "offen",
    ]
    [version] = (await http.get(f"/cases/{case['case_id']}/kooperationsplan/versionen", headers=auth("ifk"))).json()
    assert [s["status"] for s in version["schritte"]] == [s["status"] for s in view["plan_schritte"]]


async def test_r47_refuse_unknown_step_or_status_with_german_422_and_nothing_changed(http):
    case = await _aktiv(http)
    r = await step(http, case, "schritt_erfasst", "ifk", {"schritt": 7, "status": "erledigt"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert "Schritt 7 gibt es im Kooperationsplan nicht" in r.json()["detail"]
    r = await step(http, case, "schritt_erfasst", "ifk", {"schritt": 1, "status": "halb_erledigt"})
    assert r.status_code == 422 and r.json()["type"] == "/problems/invalid-payload", r.text
    view = await _case(http, case["case_id"])
    assert view["facts"]["schritt_status"] == {} and view["version"] == case["version"]
    events = (await http.get(f"/cases/{case['case_id']}/events", headers=auth("ifk"))).json()
    assert [e["trigger"]["name"] for e in events] == [
        "fall_angelegt",
        "potenzialanalyse_abgeschlossen",
        "plan_vereinbart",
    ]


async def test_r47_refuse_step_status_before_a_plan_is_agreed_or_by_other_roles(http):
    drafting = await _plan_case(http)
    r = await step(http, drafting, "schritt_erfasst", "ifk", {"schritt": 1, "status": "erledigt"})
    assert r.status_code == 409, r.text
    assert (await _case(http, drafting["case_id"]))["plan_schritte"] is None
    case = await _aktiv(http)
    r = await step(http, case, "schritt_erfasst", "leistung", {"schritt": 1, "status": "erledigt"})
    assert r.status_code == 403, r.text


async def test_r47_plan_pdf_shows_each_steps_status(http):
    """R47: the plan document of a version prints each step's status as recorded."""
    case = await _aktiv(http)
    await go(http, case, "schritt_erfasst", "ifk", {"schritt": 3, "status": "erledigt"})
    await go(http, case, "schritt_erfasst", "ifk", {"schritt": 5, "status": "nicht_erledigt"})
    r = await http.get(f"/cases/{case['case_id']}/kooperationsplan.pdf", headers=auth("ifk"))
    pages, text = await _pdf_text(r)
    assert pages == 1 and "Stand" in text
    assert text.count("erledigt") == 2 and text.count("nicht erledigt") == 1 and text.count("offen") == 4
    # the recorded status sits in the row of its own step (Betreuung: step 3, due 31.01.2027)
    assert "Nachmittag. 31.01.2027 erledigt" in text


async def test_r47_case_page_lists_the_steps_and_their_status_for_the_review(http, pages_http):
    """R47: the case page (where the IFK works the review task) starts with the steps and their status."""
    case = await _aktiv(http)
    await go(http, case, "schritt_erfasst", "ifk", {"schritt": 2, "status": "nicht_erledigt"})
    await sign_in(pages_http, "tok-ifk")
    page = (await pages_http.get(f"/faelle/{case['case_id']}")).text
    assert "Schritte des geltenden Plans und ihr Stand" in page
    assert (
        "Ich mache den Staplerschein beim Bildungsträger.</td><td>Person</td><td>28.02.2027</td><td>nicht erledigt"
        in page
    )
    assert page.count("<td>offen</td>") == 5
