"""Offline API docs (issue 15 item 8): /docs and /redoc reference only the app's own files."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import httpx
import pytest

from api.app import create_app
from runtime.settings import Settings

_REFERENCE = re.compile(r'(?:src|href|spec-url|data-spec)="([^"]+)"')


@pytest.fixture
async def docs_http(tmp_path):
    app = create_app(Settings(data_dir=tmp_path))  # the pages need neither Temporal nor a database
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fahrplan.test") as c:
        yield c


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_fetch_every_asset_of_the_docs_page_from_the_app(docs_http, path):
    page = await docs_http.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="de">' in page.text
    references = _REFERENCE.findall(page.text)
    assert len(references) >= 4, references
    for ref in references:
        assert not re.match(r"^(?:[a-z]+:)?//", ref), f"{ref} names another host"
        asset = await docs_http.get(urljoin(str(page.url), ref))
        assert asset.status_code == 200, ref
        assert len(asset.content) > 0, ref
    scripts = [r for r in references if r.endswith(".js")]
    assert len(scripts) == 2 and all(re.match(r"^/(?:docs|redoc)/", s) for s in scripts)
    assert "<script>" not in page.text  # no inline script: the CSP allows 'self' only


async def test_serve_swagger_ui_and_redoc_from_the_installed_package(docs_http):
    bundle = await docs_http.get("/docs/static/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert len(bundle.content) > 500_000 and b"SwaggerUIBundle" in bundle.content
    redoc = await docs_http.get("/docs/static/redoc.standalone.js")
    assert len(redoc.content) > 500_000 and b"Redoc" in redoc.content
    css = await docs_http.get("/docs/static/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_let_the_browser_load_nothing_from_another_host(docs_http, path):
    csp = (await docs_http.get(path)).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert all("http" not in value and "*" not in value for value in directives.values())


async def test_start_swagger_ui_without_online_validator(docs_http):
    start = await docs_http.get("/docs/start.js")
    assert start.status_code == 200 and "validatorUrl: null" in start.text
    assert "http" not in start.text


async def test_keep_docs_pages_out_of_the_api_schema(docs_http):
    schema = (await docs_http.get("/api/v1/openapi.json")).json()
    assert not [p for p in schema["paths"] if p.startswith(("/docs", "/redoc"))]


async def test_answer_unknown_asset_with_404(docs_http):
    assert (await docs_http.get("/docs/static/gibt-es-nicht.js")).status_code == 404
