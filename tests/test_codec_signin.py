"""The Temporal UI decodes with a decode-only cookie from /codec/anmelden, never with a staff token
in a URL (issue 13 item 3): api/codec_login.py, api/codec_session.py, api/routes/codec.py."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import httpx
import pytest
import uvicorn

from api import codec_session
from api.app import create_app
from runtime.http_server import mask_path, server_config
from runtime.settings import Settings
from runtime.temporal import DATA_CONVERTER
from tests.api_fixtures import TOKENS, auth
from tests.test_codec import UI, plain, unwire, wire

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
KEY = DATA_CONVERTER.payload_codec.derived_key(codec_session.PURPOSE)


@pytest.fixture
async def http(client, sqlite_db, tmp_path):
    app = create_app(Settings(api_tokens=TOKENS, data_dir=tmp_path), client=client, db=sqlite_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as c:
        yield c


def cookie_header(value: str) -> dict[str, str]:
    return {"Cookie": f"{codec_session.COOKIE}={value}"}


async def sign_in(http: httpx.AsyncClient, token: str, **headers: str) -> httpx.Response:
    return await http.post("/codec/anmelden", content=f"token={token}", headers=FORM | headers)


async def test_the_sign_in_page_is_german_html_without_secrets(http):
    r = await http.get("/codec/anmelden")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="de">' in r.text and "Include cross-origin credentials" in r.text
    assert "http://127.0.0.1:8000/codec" in r.text and 'method="post"' in r.text
    assert not any(token in r.text for token in TOKENS) and r.headers["cache-control"] == "no-store"


async def test_a_team_lead_gets_a_decode_only_cookie(http):
    sealed = await DATA_CONVERTER.payload_codec.encode([plain("Fall 7")])
    r = await http.post("/codec/decode", json=wire(sealed), headers={"Origin": UI})
    assert r.status_code == 401 and "/codec/anmelden" in r.json()["detail"]  # without it: the way in
    r = await sign_in(http, "tok-teamleitung", Origin="http://127.0.0.1:8000")
    assert r.status_code == 200 and "Angemeldet als teamleitung-1" in r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{codec_session.COOKIE}=") and "tok-teamleitung" not in cookie
    assert {"HttpOnly", "SameSite=Strict", "Path=/codec"} <= {part.strip() for part in cookie.split(";")}
    signed = cookie_header(http.cookies[codec_session.COOKIE])
    http.cookies.clear()

    r = await http.post("/codec/decode", json=wire(sealed), headers={"Origin": UI} | signed)
    assert r.status_code == 200 and unwire(r.json()) == [plain("Fall 7")]
    assert r.headers["access-control-allow-origin"] == UI and r.headers["access-control-allow-credentials"] == "true"
    r = await http.post("/codec/encode", json=wire([plain("x")]), headers={"Origin": UI} | signed)
    assert r.status_code == 401  # decoding only
    for path in ("/api/v1/cases", "/api/v1/me", "/api/v1/tasks"):  # never API access
        assert (await http.get(path, headers=signed)).status_code == 401


async def test_other_roles_wrong_tokens_and_foreign_pages_get_no_cookie(http):
    for token, status in (("tok-egs", 403), ("falsch", 401), ("", 400)):
        r = await sign_in(http, token)
        assert r.status_code == status and "set-cookie" not in r.headers, (token, r.status_code)
        assert r.headers["content-type"].startswith("text/html") and "Anmeldung fehlgeschlagen" in r.text
    r = await sign_in(http, "tok-teamleitung", Origin="http://evil.example")  # login CSRF
    assert r.status_code == 403 and "set-cookie" not in r.headers
    r = await http.post("/codec/anmelden", json={"token": "tok-teamleitung"})
    assert r.status_code == 400 and "set-cookie" not in r.headers
    r = await http.post("/codec/anmelden", content="token=" + "x" * 20_000, headers=FORM)
    assert r.status_code == 400


async def test_forged_expired_and_foreign_cookies_decode_nothing(http):
    body = wire([plain("x")])
    now = time.time()
    forged = codec_session.issue(b"k" * 32, "teamleitung-1", "default", 3600)
    expired = codec_session.issue(KEY, "teamleitung-1", "default", 60, now=now - 120)
    elsewhere = codec_session.issue(KEY, "teamleitung-1", "anderer", 3600)
    good = codec_session.issue(KEY, "teamleitung-1", "default", 3600)
    tampered = good.replace("v1.", "v1.x", 1)
    for value in (forged, expired, elsewhere, tampered, "v1", "", "a.b.c.d"):
        r = await http.post("/codec/decode", json=body, headers=cookie_header(value))
        assert r.status_code == 401, value
    assert (await http.post("/codec/decode", json=body, headers=cookie_header(good))).status_code == 200
    assert codec_session.verify(KEY, good, "default", now=now + 3601) is None


async def test_sign_out_clears_the_cookie(http):
    await sign_in(http, "tok-teamleitung")
    r = await http.post("/codec/abmelden", headers={"Origin": "http://127.0.0.1:8000"})
    assert r.status_code == 200 and "Max-Age=0" in r.headers["set-cookie"]
    assert (await http.get("/codec/abmelden")).status_code == 405


async def test_a_token_in_the_codec_path_opens_nothing(http):
    """The old local-mode URL /codec/ui/<token>/decode is gone: the token in a path is refused."""
    for path in ("/codec/ui/tok-teamleitung/decode", "/codec/ui/tok-teamleitung/decodeX"):
        assert (await http.post(path, json={"payloads": []})).status_code == 404


def test_the_access_log_mask_covers_every_codec_path_and_every_query():
    assert mask_path("/codec/ui/geheim/decodeX") == "/codec/…"
    assert mask_path("/codec/geheim") == "/codec/…"
    assert mask_path("/codec/decode") == "/codec/decode"
    assert mask_path("/codec/anmelden?token=geheim") == "/codec/anmelden?…"
    assert mask_path("/api/v1/cases/abc?state=x") == "/api/v1/cases/abc?…"


async def test_no_token_reaches_the_access_log_of_a_real_server(client, sqlite_db, tmp_path):
    settings = Settings(api_tokens=TOKENS, data_dir=tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = server_config(create_app(settings, client=client, db=sqlite_db), settings, lifespan="off")
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)  # off by default (runtime/logs.py); an operator may switch it on
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as http:
            for path in (
                "/codec/ui/tok-teamleitung/decode",
                "/codec/ui/tok-teamleitung/decodeX",
                "/codec/tok-teamleitung",
            ):
                await http.post(path, json={"payloads": []})
            await http.get("/codec/anmelden", params={"token": "tok-teamleitung"})
            await http.post("/codec/anmelden", content="token=tok-teamleitung", headers=FORM)
            await http.post("/codec/decode", json={"payloads": []}, headers=auth("teamleitung"))
    finally:
        server.should_exit = True
        await task
        access.removeHandler(handler)
        access.setLevel(level)
    assert len(lines) == 6, lines
    assert not [line for line in lines if "tok-" in line], lines
