"""People (R14): a new case attaches to a known person by Kundennummer or person id; the search
finds people by name (case and umlauts do not matter), date of birth or Kundennummer, only
within the processes the caller's role works on; unknown query parameters are refused (422)."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from persistence.people import prefix_range, search_key
from tests.api_fixtures import PERSON, auth, new_case

KOEHLER = {"vorname": "Jürgen", "nachname": "Köhler-Süß", "geburtsdatum": "1970-03-01"}


async def _start(http, process: str, role: str, facts: dict | None = None, **who) -> dict:
    body = {"process": process, "facts": facts or {}} | (who or {"person": PERSON})
    r = await http.post("/cases", json=body, headers=auth(role))
    assert r.status_code == 201, r.text
    return r.json()


async def _search(http, q: str, role: str = "egs", **params) -> list[dict]:
    r = await http.get("/people", params={"q": q, **params}, headers=auth(role))
    assert r.status_code == 200, r.text
    return r.json()


async def test_create_case_attaches_to_known_person_by_kundennummer_or_id(backend_http):
    antrag = await _start(backend_http, "neuantrag", "egs", {"antragsweg": "persoenlich"}, person=KOEHLER)
    person = antrag["person"]
    assert person["kundennummer"] and person["kundennummer"].isdigit()
    plan = await _start(backend_http, "kooperationsplan", "ifk", kundennummer=person["kundennummer"])
    gruppe = await _start(backend_http, "gruppencoaching", "ifk", person_id=person["person_id"])
    assert plan["person"] == person and gruppe["person"] == person
    # a new person gets the next number
    other = await _start(backend_http, "neuantrag", "egs", {"antragsweg": "online"})
    assert int(other["person"]["kundennummer"]) == int(person["kundennummer"]) + 1
    # repeat-safe: the same key names the same person; another person under the key is refused
    body = {"process": "gruppencoaching", "facts": {}, "kundennummer": person["kundennummer"]}
    # The key names the case id (and so its workflow id): one of its own for each backend's run on
    # the module's Temporal server, where the other run's workflow has ended under the same id.
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await backend_http.post("/cases", json=body, headers=auth("ifk") | key)
    again = await backend_http.post("/cases", json=body, headers=auth("ifk") | key)
    assert first.status_code == again.status_code == 201 and first.json()["case_id"] == again.json()["case_id"]
    short = body | {"kundennummer": str(int(person["kundennummer"]))}  # the number without its leading zeros
    again = await backend_http.post("/cases", json=short, headers=auth("ifk") | key)
    assert again.status_code == 201 and again.json()["case_id"] == first.json()["case_id"], again.text
    other_body = body | {"kundennummer": other["person"]["kundennummer"]}
    reused = await backend_http.post("/cases", json=other_body, headers=auth("ifk") | key)
    assert reused.status_code == 422 and reused.json()["title"] == "Idempotency-Key wiederverwendet", reused.text
    found = await _search(backend_http, person["kundennummer"], role="ifk")
    assert [(p["person_id"], p["faelle"], p["offene_faelle"]) for p in found] == [(person["person_id"], 4, 4)]


async def test_concurrent_new_people_get_distinct_consecutive_kundennummern(backend_http):
    made = await asyncio.gather(*(new_case(backend_http) for _ in range(6)))
    numbers = sorted(int(case["person"]["kundennummer"]) for case in made)
    assert numbers == list(range(numbers[0], numbers[0] + 6))


async def test_kundennummern_have_eight_digits_at_least_and_grow_beyond(backend_http, database):
    await database.run(lambda session: session.execute(text("UPDATE counters SET value = 99999998")))
    made = [await new_case(backend_http) for _ in range(2)]
    assert [case["person"]["kundennummer"] for case in made] == ["99999999", "100000000"]
    await database.run(lambda session: session.execute(text("UPDATE counters SET value = 6")))
    assert (await new_case(backend_http))["person"]["kundennummer"] == "00000007"


async def test_create_case_refuses_unknown_invisible_or_ambiguous_person(backend_http):
    plan = await _start(backend_http, "kooperationsplan", "ifk", person=KOEHLER)  # EGS does not work on plans
    kundennummer = plan["person"]["kundennummer"]
    facts = {"antragsweg": "persoenlich"}
    for who in ({"kundennummer": kundennummer}, {"person_id": plan["person"]["person_id"]}, {"kundennummer": "999999"}):
        r = await backend_http.post("/cases", json={"process": "neuantrag", "facts": facts, **who}, headers=auth("egs"))
        assert r.status_code == 404, r.text
        assert r.json()["detail"].startswith("Person ") and "unbekannt" in r.json()["detail"]
    for who in ({}, {"person": PERSON, "kundennummer": kundennummer}):
        r = await backend_http.post("/cases", json={"process": "neuantrag", "facts": facts, **who}, headers=auth("egs"))
        assert r.status_code == 422 and r.json()["title"] == "Person angeben", r.text
    listed = await backend_http.get("/cases", headers=auth("egs"))
    assert listed.json()["total"] == 0  # nothing was created


async def test_search_people_by_name_birth_date_and_number_within_role_processes(backend_http):
    antrag = await _start(backend_http, "neuantrag", "egs", {"antragsweg": "persoenlich"}, person=KOEHLER)
    await _start(backend_http, "neuantrag", "egs", {"antragsweg": "persoenlich"})  # Erika Mustermann
    koehler = antrag["person"]["person_id"]
    for q in ("koehler", "KÖHLER", "Köh", "köhler-süss", "jürg köh", "Juergen", "01.03.1970", "1970-03-01"):
        assert [p["person_id"] for p in await _search(backend_http, q)] == [koehler], q
    assert [p["person_id"] for p in await _search(backend_http, "jürgen 02.03.1970")] == []
    assert [p["nachname"] for p in await _search(backend_http, "muster")] == ["Mustermann"]
    assert len(await _search(backend_http, "e", limit=1)) == 1
    # roles that do not work on the Neuantrag find nobody, not even by number
    number = antrag["person"]["kundennummer"]
    assert await _search(backend_http, "koehler", role="schlichtungsstelle") == []
    assert await _search(backend_http, number, role="schlichtungsstelle") == []
    assert [p["person_id"] for p in await _search(backend_http, number, role="teamleitung")] == [koehler]


async def test_search_people_refuses_bad_queries_in_german(backend_http):
    for params, field in (
        ({"q": "31.02.1970"}, "q"),
        ({"q": "--"}, "q"),
        ({"q": "x", "nachname": "Köhler"}, "nachname"),
    ):
        r = await backend_http.get("/people", params=params, headers=auth("egs"))
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["errors"][0]["loc"] == ["query", field] and body["instance"] == "/api/v1/people"
    r = await backend_http.get("/people", params={"q": "x"}, headers=auth("teilnehmende"))
    assert r.status_code == 403


async def test_list_endpoints_refuse_unknown_query_parameters(backend_http):
    await _start(backend_http, "neuantrag", "egs", {"antragsweg": "persoenlich"})
    for path, role in (("/cases", "egs"), ("/tasks", "egs"), ("/notifications", "egs"), ("/processes", "egs")):
        r = await backend_http.get(path, params={"nachname": "Köhler"}, headers=auth(role))
        assert r.status_code == 422, (path, r.text)
        body = r.json()
        assert body["title"] == "Unbekannter Suchparameter" and "nachname" in body["detail"]
        assert body["errors"] == [
            {
                "loc": ["query", "nachname"],
                "field": "nachname",
                "msg": "Unbekannter Parameter",
                "type": "unknown_parameter",
            }
        ]
    ok = await backend_http.get("/cases", params={"process": "neuantrag", "limit": 5}, headers=auth("egs"))
    assert ok.status_code == 200 and ok.json()["total"] == 1


def test_search_keys_spell_out_umlauts_and_keep_letters_and_digits_only():
    assert search_key("Müller-Lüdenscheidt") == "muellerluedenscheidt" == search_key("MUELLER LUEDENSCHEIDT")
    assert [search_key(n) for n in ("Weiß", "Yılmaz", "Søren", "Renée", "Zoë", "Đorđević")] == [
        "weiss",
        "yilmaz",
        "soren",
        "renee",
        "zoe",
        "dordevic",
    ]
    assert prefix_range("koe") == ("koe", "kof") and prefix_range("a9") == ("a9", "a:")
