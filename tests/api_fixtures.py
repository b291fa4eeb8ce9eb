"""Fixtures for API tests: the real app over httpx, a real worker on the time-skipping server."""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from runtime.settings import ROLES, Settings, TokenUser
from tests.conftest import serving

TOKENS = {f"tok-{role}": TokenUser(user=f"{role}-1", roles=[role]) for role in ROLES}
PERSON = {
    "vorname": "Erika",
    "nachname": "Mustermann",
    "geburtsdatum": "1980-04-12",
    "anschrift": {"strasse": "Hauptstraße 5", "plz": "58285", "ort": "Gevelsberg"},
}


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer tok-{role}"}


@pytest.fixture
async def worker(client, sqlite_db):
    async with serving(client, db=sqlite_db) as w:
        yield w


@pytest.fixture
async def http(client, sqlite_db, worker, tmp_path):
    settings = Settings(task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path, update_timeout_seconds=20)
    app = create_app(settings, client=client, db=sqlite_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1") as c:
        yield c


PAGES_ORIGIN = "http://127.0.0.1:8000"  # where the staff pages are served; forms post from there (CSRF)


@pytest.fixture
async def pages_http(client, sqlite_db, worker, tmp_path):
    """Pages and JSON API of one app (the API under /api/v1) at the pages' origin, with a real worker."""
    settings = Settings(task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path, update_timeout_seconds=20)
    app = create_app(settings, client=client, db=sqlite_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PAGES_ORIGIN) as c:
        yield c


@pytest.fixture
async def backend_http(client, database, tmp_path):
    """The real app over httpx on SQLite and on PostgreSQL (`database` is parametrized), with a real worker."""
    async with serving(client, db=database) as w:
        settings = Settings(task_queue=w.task_queue, api_tokens=TOKENS, data_dir=tmp_path, update_timeout_seconds=20)
        app = create_app(settings, client=client, db=database)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1") as c:
            yield c


async def new_case(http: httpx.AsyncClient, facts: dict | None = None, **headers) -> dict:
    r = await http.post(
        "/cases",
        json={"process": "neuantrag", "person": PERSON, "facts": facts or {"antragsweg": "persoenlich"}},
        headers={**auth("egs"), **headers},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def step(http: httpx.AsyncClient, case: dict | str, trigger: str, role: str, data=None, comment=None, key=None):
    case_id = case if isinstance(case, str) else case["case_id"]
    headers = auth(role) | ({"Idempotency-Key": key} if key else {})
    body = {"trigger": trigger, "data": data or {}} | ({"comment": comment} if comment else {})
    return await http.post(f"/cases/{case_id}/transitions", json=body, headers=headers)


async def go(http, case, trigger, role, data=None, comment=None) -> dict:
    r = await step(http, case, trigger, role, data, comment)
    assert r.status_code == 200, r.text
    return r.json()


async def trail(http, case) -> list[str]:
    r = await http.get(f"/cases/{case['case_id']}/events", headers=auth("jobcoach"))
    return [e["trigger"]["name"] for e in r.json()]
