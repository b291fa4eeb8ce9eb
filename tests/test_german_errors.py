"""Every 422 speaks German: the field and what is wrong, also for pydantic's built-in checks
(missing field, enum literal, type, string length, pattern, bounds, unknown field, time zone),
whether FastAPI checks the body, a use case checks facts or payload, or a plan converter does."""

from __future__ import annotations

import pytest

from api.validation_texts import PYDANTIC_TYPES, TEXTS, field_of, german
from tests.api_fixtures import PERSON, auth, go, new_case, step
from tests.kooperationsplan_support import plan

# Words of pydantic's English messages; none may reach a 422 body.
ENGLISH = (
    "Field required",
    "Input should",
    "String should",
    "should be",
    "validation error",
    "Extra inputs",
    "not permitted",
    "Value error",
    "Timezone",
    "at least",
    "at most",
    "characters",
    "List should",
    "Unable to",
)


def _assert_german(r, *fields: str) -> dict:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    texts = " | ".join([body["title"], body["detail"], *(e["msg"] for e in body.get("errors", []))])
    for phrase in ENGLISH:
        assert phrase not in texts, f"English {phrase!r} in {texts}"
    assert body["instance"] and body["detail"] and body["title"]
    for e in body.get("errors", []):
        assert e["msg"] and e["msg"] != "ungültiger Wert", e  # every built-in check has its own text
    named = [e["field"] for e in body.get("errors", [])]
    for f in fields:
        assert f in named, (f, named)
    return body


async def test_case_create_body_errors_in_german(http):
    person = {"vorname": "", "geburtsdatum": "gestern", "anschrift": {"plz": 58285}}
    r = await http.post("/cases", json={"process": "neuantrag", "person": person, "facts": {}}, headers=auth("egs"))
    body = _assert_german(r, "person.nachname", "person.vorname", "person.geburtsdatum")
    by_field = {e["field"]: e["msg"] for e in body["errors"]}
    assert by_field["person.nachname"] == "Pflichtfeld fehlt"
    assert by_field["person.vorname"] == "zu kurz: mindestens 1 Zeichen"
    assert "person.nachname" in body["detail"] or "person." in body["detail"]


async def test_case_facts_errors_name_the_allowed_values_in_german(http):
    r = await http.post(
        "/cases",
        json={"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "fax", "rehabilitand": "vielleicht"}},
        headers=auth("egs"),
    )
    body = _assert_german(r, "antragsweg", "rehabilitand")
    by_field = {e["field"]: e["msg"] for e in body["errors"]}
    assert by_field["antragsweg"] == "erlaubt ist: 'persoenlich' oder 'online'"
    assert by_field["rehabilitand"] == "Wahrheitswert erwartet (true oder false)"


async def test_transition_payload_errors_in_german(http):
    case = await new_case(http)
    r = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "per_brieftaube", "extra": 1})
    body = _assert_german(r, "uebergabe", "extra")
    assert {e["field"]: e["msg"] for e in body["errors"]}["uebergabe"] == (
        "erlaubt ist: 'warm', 'aufgabe' oder 'terminslot'"
    )
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    r = await step(http, case, "clearingtermin_vereinbart", "jobcoach", {"termin": "morgen früh"})
    _assert_german(r, "termin")
    r = await step(http, case, "clearingtermin_vereinbart", "jobcoach", {})
    _assert_german(r, "termin")
    r = await http.post(f"/cases/{case['case_id']}/transitions", json={"data": {}}, headers=auth("jobcoach"))
    _assert_german(r, "trigger")


async def test_task_body_errors_in_german(http):
    r = await http.post(
        "/tasks",
        json={"kind": "Große Aufgabe", "role": "x" * 41, "title": "", "priority": 9, "due": "2027-01-20T10:00:00"},
        headers=auth("teamleitung"),
    )
    body = _assert_german(r, "kind", "role", "title", "priority", "due")
    by_field = {e["field"]: e["msg"] for e in body["errors"]}
    assert by_field["priority"] == "darf höchstens 5 sein"
    assert by_field["role"] == "zu lang: höchstens 40 Zeichen"
    assert by_field["due"].startswith("Zeitpunkt mit Zeitzone erwartet")
    assert by_field["kind"].startswith("Format passt nicht")


async def test_plan_content_errors_in_german(http):
    r = await http.post(
        "/cases", json={"process": "kooperationsplan", "person": PERSON, "facts": {}}, headers=auth("ifk")
    )
    case = r.json()
    await go(http, case, "potenzialanalyse_abgeschlossen", "ifk")
    r = await step(http, case, "plan_vereinbart", "ifk", plan(schritte="viele", beteiligte=[1]))
    _assert_german(r, "schritte", "beteiligte[0]")


async def test_query_parameter_errors_in_german(http):
    r = await http.get("/tasks", params={"overdue": "vielleicht", "limit": "viele"}, headers=auth("egs"))
    _assert_german(r, "overdue", "limit")


@pytest.mark.parametrize("kind", sorted(TEXTS))
def test_every_translated_type_is_a_pydantic_type_with_german_text(kind):
    assert kind in PYDANTIC_TYPES
    text = german({"type": kind, "msg": "Input should be something"})
    assert text and "Input" not in text


def test_own_value_errors_keep_their_german_text_and_unknown_builtins_fall_back():
    assert german({"type": "value_error", "msg": "Value error, unbekannter Standort 'Hagen'"}) == (
        "unbekannter Standort 'Hagen'"
    )
    assert german({"type": "nul_character", "msg": "NUL-Zeichen (U+0000) ist nicht erlaubt"}).startswith("NUL")
    assert german({"type": "complex_type", "msg": "Input should be a valid complex number"}) == "ungültiger Wert"
    assert field_of(["body", "person", "anschrift", "plz"]) == "person.anschrift.plz"
    assert field_of(["body", "schritte", 2, "was"]) == "schritte[2].was"
