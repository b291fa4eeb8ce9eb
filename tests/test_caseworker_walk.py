"""The README's caseworker walk through the API (issue 15, "Done when"): a new application, the
handover to the clearing, an appointment, a Vermerk, the Bewilligung, the IFK's task; the same
person's Kooperationsplan attaches to the same person (found by the search); the Fallakte shows
both cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api_fixtures import auth, go
from tests.kooperationsplan_support import PLAN

KOEHLER = {"vorname": "Jürgen", "nachname": "Köhler", "geburtsdatum": "1970-03-01"}


async def _open_tasks(http, role: str, case_id: str) -> list[str]:
    r = await http.get("/tasks", params={"case_id": case_id}, headers=auth(role))
    assert r.status_code == 200, r.text
    return [t["kind"] for t in r.json()]


async def test_caseworker_walk_from_application_to_fallakte(http):
    r = await http.post(
        "/cases",
        json={"process": "neuantrag", "person": KOEHLER, "facts": {"antragsweg": "persoenlich"}},
        headers=auth("egs"),
    )
    assert r.status_code == 201, r.text
    antrag = r.json()
    cid, person = antrag["case_id"], antrag["person"]
    antrag = await go(http, antrag, "an_clearing_uebergeben", "egs", {"uebergabe": "aufgabe"})
    assert await _open_tasks(http, "jobcoach", cid) == ["clearing_durchfuehren"]
    termin = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    antrag = await go(http, antrag, "clearingtermin_vereinbart", "jobcoach", {"termin": termin})
    vermerk = await http.post(
        f"/cases/{cid}/vermerke",
        json={"textbaustein": "clearinggespraech", "text": "Ziele und Unterstützungsbedarf besprochen."},
        headers=auth("jobcoach"),
    )
    assert vermerk.status_code == 201, vermerk.text
    antrag = await go(http, antrag, "leistung_bewilligt", "leistung")
    antrag = await go(http, antrag, "gruppencoaching_abgelehnt", "jobcoach")
    assert antrag["state"]["name"] == "an_ifk_uebergeben"
    assert "fallubernahme" in await _open_tasks(http, "ifk", cid)
    # the IFK finds the person and attaches the Kooperationsplan to the same record
    found = (await http.get("/people", params={"q": "koehler 01.03.1970"}, headers=auth("ifk"))).json()
    assert [p["kundennummer"] for p in found] == [person["kundennummer"]]
    r = await http.post(
        "/cases", json={"process": "kooperationsplan", "kundennummer": found[0]["kundennummer"]}, headers=auth("ifk")
    )
    assert r.status_code == 201 and r.json()["person"]["person_id"] == person["person_id"], r.text
    plan = await go(http, r.json(), "potenzialanalyse_abgeschlossen", "ifk")
    await go(http, plan, "plan_vereinbart", "ifk", PLAN)
    akte = (await http.get(f"/people/{person['person_id']}", headers=auth("ifk"))).json()
    assert [(f["process"]["name"], f["state"]["name"]) for f in akte["faelle"]] == [
        ("neuantrag", "an_ifk_uebergeben"),
        ("kooperationsplan", "aktiv"),
    ]
    assert [v["textbaustein"]["name"] for v in akte["letzte_vermerke"]] == ["clearinggespraech"]
    assert akte["vereinbarungen"][0]["version"] == 1
