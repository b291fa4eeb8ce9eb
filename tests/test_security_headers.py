"""Security headers on every response (api/security_headers.py, api/docs.py; issue 13 item 9)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.responses import HTMLResponse

from api.app import create_app
from api.security_headers import PAGE_CSP
from runtime.settings import Settings
from tests.api_fixtures import TOKENS, auth


@pytest.fixture
async def app(client, sqlite_db, tmp_path):
    return create_app(Settings(api_tokens=TOKENS, data_dir=tmp_path), client=client, db=sqlite_db)


@pytest.fixture
async def http(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


def csp(response: httpx.Response) -> dict[str, str]:
    return {
        part.split()[0]: part.partition(" ")[2]
        for part in (p.strip() for p in response.headers["content-security-policy"].split(";"))
    }


async def test_every_api_answer_is_nosniff_and_never_cached(http):
    answers = [
        await http.get("/api/v1/me", headers=auth("egs")),  # personal
        await http.get("/api/v1/cases", headers=auth("teamleitung")),
        await http.get("/api/v1/cases"),  # 401 problem
        await http.get("/api/v1/gibt-es-nicht"),  # 404 problem
        await http.get("/api/v1/processes/neuantrag/diagram.svg", headers=auth("egs")),
        await http.post("/codec/decode", json={"payloads": []}),
    ]
    for r in answers:
        assert r.headers["x-content-type-options"] == "nosniff", r.request.url
        assert r.headers["cache-control"] == "no-store", r.request.url
        assert "x-frame-options" not in r.headers and "content-security-policy" not in r.headers  # not pages
    assert [r.status_code for r in answers] == [200, 200, 401, 404, 200, 401]


async def test_pages_get_a_policy_and_no_framing(http, app):
    @app.get("/probe-seite")
    async def probe() -> HTMLResponse:  # any future page (the staff pages) gets the same
        return HTMLResponse("<p>Seite</p>")

    for path in ("/probe-seite", "/codec/anmelden"):
        r = await http.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.headers["content-security-policy"] == PAGE_CSP and csp(r)["frame-ancestors"] == "'none'"
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
        # same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the sign-in
        # form's own post, and the codec sign-in refused every real browser (found driving Chromium)
        assert r.headers["referrer-policy"] == "same-origin" and r.headers["cache-control"] == "no-store"


async def test_the_docs_pages_allow_only_the_app_itself(http):
    for path in ("/docs", "/redoc"):
        r = await http.get(path)
        assert r.status_code == 200 and r.headers["x-frame-options"] == "DENY"
        policy = csp(r)
        assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["connect-src"] == "'self'"
        assert (
            "unsafe-eval" not in r.headers["content-security-policy"]
            and "http" not in r.headers["content-security-policy"]
        )
