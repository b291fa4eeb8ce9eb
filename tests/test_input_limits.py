"""Bad input is refused as problem+json and changes nothing: body size (413), media type
(415), unknown fields and over-long values (422), unknown routes and methods (404, 405),
over-long URLs (414), and a crash (500) that shows nothing internal."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.exc import ProgrammingError

from api.app import create_app
from api.deps import _case_reads
from runtime.settings import Settings
from statemachines import PROCESSES, CaseMachine, Policy
from tests.api_fixtures import PERSON, TOKENS, auth, new_case, step

PROBLEM = "application/problem+json"
UUID = str(uuid.UUID(int=1))
LEAD = auth("teamleitung")
SECRET = "SELECT vorname FROM people WHERE nachname = 'Mustermann'"
CASE = {"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}}


@pytest.fixture
async def api(client, sqlite_db, worker, tmp_path):
    """The real app (reachable for dependency overrides) over httpx, with a real worker."""
    settings = Settings(task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path, update_timeout_seconds=20)
    app = create_app(settings, client=client, db=sqlite_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1") as http:
        http.app = app
        yield http


async def _total(api) -> int:
    return (await api.get("/cases", headers=LEAD)).json()["total"]


def _problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- 413, 415, 400, 414 ---------------------------------------------------------------------


async def test_create_case_with_body_over_64_kib_returns_413_and_creates_nothing(api):
    before = await _total(api)
    body = {**CASE, "facts": {"antragsweg": "persoenlich", "notiz": "x" * 70_000}}
    problem = _problem(await api.post("/cases", json=body, headers=auth("egs")), 413)
    assert "64 KiB" in problem["detail"]
    assert await _total(api) == before


async def test_streamed_body_over_limit_without_content_length_returns_413(api):
    async def chunks():
        yield b'{"process": "neuantrag", "facts": {"notiz": "'
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}}'

    r = await api.post("/cases", content=chunks(), headers={**auth("egs"), "content-type": "application/json"})
    assert "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
    _problem(r, 413)


async def test_max_body_bytes_setting_moves_the_limit(client, sqlite_db, worker, tmp_path):
    settings = Settings(task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path, max_body_bytes=2048)
    app = create_app(settings, client=client, db=sqlite_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1") as http:
        body = {"trigger": "identitaet_bestaetigt", "comment": "x" * 1900, "data": {"notiz": "y" * 300}}
        r = await http.post(f"/cases/{UUID}/transitions", json=body, headers=auth("egs"))
    _problem(r, 413)


async def test_create_case_with_text_body_returns_415(api):
    before = await _total(api)
    r = await api.post("/cases", content=b"process=neuantrag", headers={**auth("egs"), "content-type": "text/plain"})
    assert "JSON" in _problem(r, 415)["detail"]
    r = await api.post("/cases", content=b'{"process": "neuantrag"}', headers=auth("egs"))  # no content-type at all
    _problem(r, 415)
    assert await _total(api) == before


async def test_body_that_is_not_utf8_returns_400_in_german(api):
    r = await api.post(
        "/cases", content=b'{"process": "\xff\xfe"}', headers={**auth("egs"), "content-type": "application/json"}
    )
    assert _problem(r, 400)["detail"] == "Der Inhalt ist kein lesbares JSON (UTF-8 erwartet)."


async def test_overlong_query_string_returns_414(api):
    _problem(await api.get("/cases", params={"state": "x" * 3000}, headers=LEAD), 414)


async def test_limit_above_200_returns_422(api):
    for path in ("/cases", "/tasks", "/notifications"):
        _problem(await api.get(path, params={"limit": 201}, headers=LEAD), 422)


async def test_id_beyond_32_bits_returns_422_not_500(api):
    for path in ("/tasks/99999999999999999999/claim", "/sitzungen/3000000000/entscheidung"):
        body = {"entscheidung": "durchfuehren"} if "sitzungen" in path else None
        _problem(await api.post(path, json=body, headers=LEAD), 422)


# --- 422: unknown fields, over-long values ----------------------------------------------------

CASE_WITH = {
    "top": {**CASE, "unbekannt": 1},
    "person": {**CASE, "person": {**PERSON, "unbekannt": 1}},
    "anschrift": {**CASE, "person": {**PERSON, "anschrift": {**PERSON["anschrift"], "unbekannt": 1}}},
}
DUE = "2027-01-01T09:00:00+01:00"
UNKNOWN_FIELD = [  # every request body model, nested ones included
    ("post", "/cases", CASE_WITH["top"]),
    ("post", "/cases", CASE_WITH["person"]),
    ("post", "/cases", CASE_WITH["anschrift"]),
    ("post", f"/cases/{UUID}/transitions", {"trigger": "identitaet_bestaetigt", "unbekannt": 1}),
    ("post", "/tasks", {"kind": "ags_test", "role": "egs", "title": "T", "due": DUE, "unbekannt": 1}),
    ("post", "/tasks/1/reassign", {"role": "egs", "unbekannt": 1}),
    ("post", "/sitzungen/plan", {"von": "2027-01-04", "unbekannt": 1}),
    ("post", "/sitzungen/1/entscheidung", {"entscheidung": "durchfuehren", "unbekannt": 1}),
    ("post", "/sitzungen/1/buchungen", {"case_id": UUID, "unbekannt": 1}),
    ("put", "/buchungen/1/anwesenheit", {"anwesend": True, "unbekannt": 1}),
    ("post", "/infoveranstaltungen", {"standort": "Gevelsberg", "beginn": DUE, "unbekannt": 1}),
    ("patch", "/infoveranstaltungen/1", {"raum": "A 1", "unbekannt": 1}),
    ("post", "/infoveranstaltungen/1/teilnahmen", {"case_id": UUID, "erschienen": True, "unbekannt": 1}),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), UNKNOWN_FIELD, ids=[f"{m} {p} {i}" for i, (m, p, _) in enumerate(UNKNOWN_FIELD)]
)
async def test_request_with_unknown_field_returns_422(api, method, path, body):
    problem = _problem(await api.request(method, path, json=body, headers=LEAD), 422)
    assert [e["type"] for e in problem["errors"]] == ["extra_forbidden"]
    assert problem["errors"][0]["loc"][-1] == "unbekannt"


def test_every_request_body_schema_refuses_unknown_fields_and_bounds_strings_and_lists():
    document = create_app(Settings(api_tokens=TOKENS)).openapi()
    schemas = document["components"]["schemas"]
    refs = {
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        for ops in document["paths"].values()
        for op in ops.values()
        if "requestBody" in op
    }
    assert len(refs) >= 11
    for name in _reachable(refs, schemas):
        assert schemas[name].get("additionalProperties") is False, name
        assert not _unbounded(schemas[name], schemas, name), name


def test_every_trigger_payload_and_start_model_refuses_unknown_fields_and_bounds_strings_and_lists():
    for process in PROCESSES.values():
        machine = CaseMachine(process, Policy())
        models = [process.start] + [m for t in process.triggers for m in (t.payload, t.api_payload) if m]
        opened = [process.start] if process.start_roles else []  # the Schlichtung is opened by its parent only
        from_api = opened + [m for t in process.triggers if not t.timer_only for m in (t.payload, t.api_payload) if m]
        for model in models:
            schema = model.model_json_schema()
            for name in [None, *schema.get("$defs", {})]:
                part = schema if name is None else schema["$defs"][name]
                if "properties" in part:
                    assert part.get("additionalProperties") is False, (process.name, model.__name__, name)
            if model in from_api:  # system-only payloads (a child's end) never come from a request
                assert not _unbounded(schema, schema.get("$defs", {}), model.__name__), (process.name, model.__name__)
        for trigger in (t for t in process.triggers if t.payload):  # the path case_commands._check takes
            with pytest.raises(ValidationError) as refused:
                machine.payload(trigger.name, {"unbekannt": 1})
            assert "extra_forbidden" in {e["type"] for e in refused.value.errors()}, (process.name, trigger.name)


async def test_trigger_payload_with_unknown_field_returns_422_and_changes_nothing(api):
    case = await new_case(api)
    r = await step(api, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm", "unbekannt": 1})
    problem = _problem(r, 422)
    assert problem["type"] == "/problems/invalid-payload" and problem["errors"][0]["type"] == "extra_forbidden"
    events = (await api.get(f"/cases/{case['case_id']}/events", headers=LEAD)).json()
    assert [e["trigger"]["name"] for e in events] == ["fall_angelegt"]


async def test_comment_over_2000_characters_returns_422_without_echoing_it(api):
    case = await new_case(api)
    r = await step(api, case, "identitaet_bestaetigt", "egs", comment="x" * 2001)
    problem = _problem(r, 422)
    assert problem["errors"][0]["loc"] == ["body", "comment"] and problem["errors"][0]["type"] == "string_too_long"
    assert "x" * 100 not in r.text
    assert (await step(api, case, "identitaet_bestaetigt", "egs", comment="x" * 2000)).status_code == 200


async def test_unknown_field_with_huge_name_is_not_echoed(api):
    r = await api.post("/sitzungen/plan", json={"von": "2027-01-04", "k" * 30_000: 1}, headers=LEAD)
    _problem(r, 422)
    assert len(r.content) < 2000


async def test_case_id_in_body_must_be_a_uuid(api):
    problem = _problem(await api.post("/sitzungen/1/buchungen", json={"case_id": "x' OR 1=1"}, headers=LEAD), 422)
    assert (
        problem["errors"][0]["loc"] == ["body", "case_id"] and problem["errors"][0]["type"] == "string_pattern_mismatch"
    )


# --- 404, 405, 500 --------------------------------------------------------------------------


async def test_unknown_route_returns_404_problem_in_german(api):
    problem = _problem(await api.get("/gibt-es-nicht", headers=LEAD), 404)
    assert problem["title"] == "Nicht gefunden" and problem["detail"] == "Diese Adresse gibt es nicht."


async def test_wrong_method_returns_405_problem_with_allow_header(api):
    r = await api.delete("/cases", headers=LEAD)
    assert _problem(r, 405)["title"] == "Methode nicht erlaubt"
    assert r.headers["allow"] and set(r.headers["allow"].replace(" ", "").split(",")) <= {"GET", "POST"}


@pytest.mark.parametrize(
    "error", [RuntimeError(SECRET), ProgrammingError(SECRET, {"nachname": "Mustermann"}, Exception("syntax"))]
)
async def test_crash_in_route_returns_500_without_trace_sql_or_message(api, caplog, error):
    def broken():
        raise error

    api.app.dependency_overrides[_case_reads] = broken
    with caplog.at_level(logging.ERROR, logger="fahrplan.api"):
        r = await api.get(f"/cases/{UUID}", headers=LEAD)
    problem = _problem(r, 500)
    assert problem == {
        "type": "/problems/internal-error",
        "title": "Interner Fehler",
        "status": 500,
        "detail": "Ein unerwarteter Fehler ist aufgetreten.",
        "instance": f"/api/v1/cases/{UUID}",
    }
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert type(error).__name__ in logged and f"(case {UUID})" in logged
    assert "on GET /api/v1/cases/{case_id} " in logged  # the full route template, never the path
    assert "Mustermann" not in logged and "SELECT" not in logged
    assert all(record.exc_info is None for record in caplog.records)  # no handler prints the message either


# --- the OpenAPI document -------------------------------------------------------------------


def test_openapi_documents_errors_as_problems_and_non_json_media_types():
    document = create_app(Settings(api_tokens=TOKENS)).openapi()
    paths = document["paths"]
    for ops in paths.values():
        for op in ops.values():
            errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
            assert "500" in errors
            for code, response in errors.items():
                if op.get("operationId", "").startswith("read_health"):
                    continue
                assert response["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}, code
    assert {"401", "403", "404", "409", "413", "415", "422", "503"} <= set(paths["/api/v1/cases"]["post"]["responses"])
    assert "HTTPValidationError" not in document["components"]["schemas"]
    media = {path: list(ops["get"]["responses"]["200"]["content"]) for path, ops in paths.items() if "get" in ops}
    assert media["/api/v1/processes/{process}/diagram.svg"] == ["image/svg+xml"]
    assert media["/api/v1/processes/{process}/diagram.mmd"] == ["text/plain"]
    assert media["/api/v1/cases/{case_id}/kooperationsplan.pdf"] == ["application/pdf"]


def _reachable(names: set[str], schemas: dict) -> set[str]:
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(ref.rsplit("/", 1)[-1] for ref in _refs(schemas[name]))
    return seen


def _refs(node) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if "$ref" in node else []) + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _unbounded(node, defs: dict, where: str) -> list[str]:
    """Strings without maxLength (or enum, pattern, format) and arrays without maxItems."""
    found = []
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "string" and not ({"maxLength", "enum", "pattern", "format", "const"} & set(node)):
            found.append(where)
        if kind == "array" and "maxItems" not in node:
            found.append(where)
        for key, value in node.items():
            if key != "$defs":
                found += _unbounded(value, defs, f"{where}.{key}")
    elif isinstance(node, list):
        for value in node:
            found += _unbounded(value, defs, where)
    return found
