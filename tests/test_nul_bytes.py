"""NUL characters are refused at the edge with 422 on SQLite and PostgreSQL (issue 13, item 4):
in bodies (strings and keys), path segments and query parameters; nothing is stored. Before,
PostgreSQL answered 500 (DataError) and SQLite stored the NUL and rendered it into letters."""

from __future__ import annotations

import json

import httpx
import pytest

from api.nul import first_nul
from tests.api_fixtures import PERSON, auth

PROBLEM = "application/problem+json"
LEAD = auth("teamleitung")
CASE = {"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}}
DUE = "2027-01-01T09:00:00+01:00"


@pytest.fixture
async def api(backend_http):
    return backend_http


def _refused(r: httpx.Response, where: str) -> dict:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["type"] == "/problems/nul-zeichen" and "NUL-Zeichen" in problem["detail"]
    assert where in problem["detail"], problem["detail"]
    assert "\x00" not in r.text
    return problem


async def _total(api) -> int:
    return (await api.get("/cases", headers=LEAD)).json()["total"]


async def _new_case(api) -> str:
    r = await api.post("/cases", json=CASE, headers=auth("egs"))
    assert r.status_code == 201, r.text
    return r.json()["case_id"]


async def test_nul_in_body_string_or_key_returns_422_and_creates_nothing(api):
    before = await _total(api)
    named = {**CASE, "person": {**PERSON, "vorname": "A\u0000B"}}
    problem = _refused(await api.post("/cases", json=named, headers=auth("egs")), "im Feld person.vorname")
    assert problem["errors"][0]["loc"] == ["body", "person", "vorname"]
    keyed = {**CASE, "facts": {"antragsweg": "persoenlich", "not\u0000iz": 1}}
    _refused(await api.post("/cases", json=keyed, headers=auth("egs")), "in einem Feldnamen unter facts")
    nested = {**CASE, "person": {**PERSON, "anschrift": {**PERSON["anschrift"], "ort": "\u0000"}}}
    _refused(await api.post("/cases", json=nested, headers=auth("egs")), "person.anschrift.ort")
    assert await _total(api) == before


async def test_raw_nul_byte_in_json_body_returns_422(api):
    body = json.dumps(CASE).replace("Erika", "Er\x00ika").encode()
    r = await api.post("/cases", content=body, headers={**auth("egs"), "content-type": "application/json"})
    _refused(r, "im Anfrageinhalt")


async def test_escaped_backslash_before_u0000_is_no_nul_and_is_stored_as_typed(api):
    literal = "A\\u0000B"  # backslash, u, 0, 0, 0, 0: six ordinary characters
    r = await api.post("/cases", json={**CASE, "person": {**PERSON, "vorname": literal}}, headers=auth("egs"))
    assert r.status_code == 201, r.text
    assert r.json()["person"]["vorname"] == literal


async def test_nul_in_comment_trigger_data_task_and_event_fields_returns_422(api):
    case_id = await _new_case(api)
    r = await api.post(
        f"/cases/{case_id}/transitions",
        json={"trigger": "identitaet_bestaetigt", "comment": "x\u0000"},
        headers=auth("egs"),
    )
    _refused(r, "im Feld comment")
    r = await api.post(
        f"/cases/{case_id}/transitions",
        json={"trigger": "an_clearing_uebergeben", "data": {"uebergabe": "wa\u0000rm"}},
        headers=auth("egs"),
    )
    _refused(r, "im Feld data.uebergabe")
    task = {"kind": "ags_test", "role": "egs", "title": "T\u0000", "due": DUE}
    _refused(await api.post("/tasks", json=task, headers=LEAD), "im Feld title")
    _refused(await api.patch("/infoveranstaltungen/1", json={"raum": "A\u00001"}, headers=LEAD), "im Feld raum")
    events = (await api.get(f"/cases/{case_id}/events", headers=LEAD)).json()
    assert [e["trigger"]["name"] for e in events] == ["fall_angelegt"]
    # only the new application's own task (R17), none with the refused title
    assert [t["kind"] for t in (await api.get("/tasks", headers=auth("egs"))).json()] == ["antrag_uebergeben"]


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/cases/a%00b", "im Pfad"),
        ("/cases/a%00b/events", "im Pfad"),
        ("/processes/neu%00antrag", "im Pfad"),
        ("/cases?state=a%00b", "im Suchparameter „state“"),
        ("/cases?process=neuantrag&deadline_before=2027%00", "im Suchparameter „deadline_before“"),
        ("/tasks?sta%00tus=offen", "im Namen eines Suchparameters"),
        ("/infoveranstaltungen?standort=Gevels%00berg", "im Suchparameter „standort“"),
    ],
)
async def test_nul_in_path_or_query_returns_422(api, path, where):
    _refused(await api.get(path, headers=LEAD), where)


def test_first_nul_finds_the_path_to_strings_and_keys():
    assert first_nul({"a": [1, {"b": "ok"}, {"c": "x\x00"}]}) == (["a", 2, "c"], False)
    assert first_nul({"a": {"k\x00": 1}}) == (["a"], True)
    assert first_nul("\x00") == ([], False)
    assert first_nul({"a": ["\\u0000", 0, None, True, 1.5]}) is None
