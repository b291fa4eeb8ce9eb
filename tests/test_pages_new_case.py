"""Opening a case at the workbench (api/pages/new_case.py) over HTTP: the start roles choose a
process, the form generated from its start model opens the case through CaseCommands.create
like POST /api/v1/cases; a double submit opens one case; a case from the Fallakte attaches to
that person (R14); bad input comes back in German at its fields and opens nothing; a role
without the right gets the use case's refusal. The browser path is in tests/test_browser_pages.py."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.api_fixtures import auth
from tests.test_pages_session import csrf_of, sign_in


@pytest.fixture
def http(pages_http):
    """Pages and JSON API of one app, with a real worker (tests/api_fixtures.py)."""
    return pages_http


def _form(html: str) -> dict[str, str]:
    key = re.search(r'name="schluessel" value="([^"]+)"', html).group(1)
    return {"csrf": csrf_of(html), "schluessel": key}


async def _cases(http: httpx.AsyncClient, person_id: str) -> list[str]:
    r = await http.get(f"/api/v1/people/{person_id}", headers=auth("teamleitung"))
    assert r.status_code == 200, r.text
    return sorted(f["process"]["name"] for f in r.json()["faelle"])


async def test_the_egs_opens_a_neuantrag_for_a_new_person_once_and_the_ifk_a_plan_from_the_fallakte(http):
    await sign_in(http, "tok-egs")
    choice = await http.get("/neuer-fall")
    assert choice.status_code == 200 and 'href="/neuer-fall/neuantrag"' in choice.text
    assert "/neuer-fall/kooperationsplan" not in choice.text and "/neuer-fall/schlichtung" not in choice.text
    page = await http.get("/neuer-fall/neuantrag")
    assert page.status_code == 200 and 'name="nachname"' in page.text and 'name="antragsweg"' in page.text
    assert 'name="regime"' not in page.text and 'name="rechtlicher_beginn"' in page.text
    form = {
        **_form(page.text),
        "vorname": "Jürgen",
        "nachname": "Weiß",
        "geburtsdatum": "1980-05-12",
        "strasse": "Hauptstraße 1",
        "plz": "58285",
        "ort": "Gevelsberg",
        "antragsweg": "persoenlich",
    }
    first = await http.post("/neuer-fall/neuantrag", data=form)
    again = await http.post("/neuer-fall/neuantrag", data=form)
    assert first.status_code == again.status_code == 303, first.text
    assert first.headers["location"] == again.headers["location"]
    case_id = first.headers["location"].split("?")[0].removeprefix("/faelle/")
    case = (await http.get(f"/api/v1/cases/{case_id}", headers=auth("egs"))).json()
    assert (case["process"], case["state"]["name"]) == ("neuantrag", "antrag_eingegangen")
    person = case["person"]
    assert (person["vorname"], person["nachname"], person["anschrift"]["ort"]) == ("Jürgen", "Weiß", "Gevelsberg")

    await http.post("/abmelden", data={"csrf": csrf_of((await http.get("/")).text)})
    await sign_in(http, "tok-ifk")
    akte = await http.get(f"/personen/{person['person_id']}")
    assert f'href="/neuer-fall?person={person["person_id"]}"' in akte.text
    page = await http.get(f"/neuer-fall/kooperationsplan?person={person['person_id']}")
    assert page.status_code == 200 and "Jürgen Weiß" in page.text and 'name="nachname"' not in page.text
    made = await http.post("/neuer-fall/kooperationsplan", data={**_form(page.text), "person": person["person_id"]})
    assert made.status_code == 303, made.text
    assert await _cases(http, person["person_id"]) == ["kooperationsplan", "neuantrag"]  # R14: one person


async def test_bad_input_comes_back_in_german_at_its_fields_and_opens_nothing(http):
    await sign_in(http, "tok-egs")
    page = await http.get("/neuer-fall/rechtskreiswechsel")
    form = {**_form(page.text), "vorname": "Anna", "plz": "582", "strasse": "Weg 2", "ort": "Hagen"}
    r = await http.post("/neuer-fall/rechtskreiswechsel", data=form)
    assert r.status_code == 422
    assert re.search(r'id="e-nachname">Bitte ausfüllen\.', r.text)
    assert re.search(r'id="e-plz">Das Format stimmt nicht\.', r.text)
    assert 'value="Anna"' in r.text and "Es wurde nichts angelegt" in r.text
    form |= {"nachname": "Schmidt", "plz": "58285", "alg1_ende": "2027-02-30", "standort": "Gevelsberg"}
    r = await http.post("/neuer-fall/rechtskreiswechsel", data=form)  # the facts: the use case's check
    assert r.status_code == 422 and re.search(r'id="e-alg1_ende">Bitte ein gültiges Datum', r.text), r.text
    form |= {"alg1_ende": "2027-02-28", "rechtlicher_beginn": "2099-01-01"}
    r = await http.post("/neuer-fall/rechtskreiswechsel", data=form)
    assert r.status_code == 422 and re.search(r'id="e-rechtlicher_beginn">Das Datum darf nicht in der Zukunft', r.text)
    listed = await http.get("/api/v1/cases?process=rechtskreiswechsel", headers=auth("egs"))
    assert listed.json()["items"] == []


async def test_a_role_that_opens_no_case_is_refused_and_child_processes_cannot_be_opened(http):
    await sign_in(http, "tok-jobcoach")
    choice = await http.get("/neuer-fall")
    assert "Ihre Rolle beginnt keine Fälle" in choice.text
    page = await http.get("/neuer-fall/neuantrag")  # the form is shown; the use case decides
    crafted = {**_form(page.text), "vorname": "A", "nachname": "B", "antragsweg": "online"}
    r = await http.post("/neuer-fall/neuantrag", data=crafted)
    assert r.status_code == 403 and "darf" in r.text
    assert (await http.get("/neuer-fall/schlichtung")).status_code == 404
    assert (await http.get("/neuer-fall/gibtsnicht")).status_code == 404
    listed = await http.get("/api/v1/cases?process=neuantrag", headers=auth("egs"))
    assert listed.json()["items"] == []
