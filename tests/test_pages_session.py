"""The workbench's sign-in, session and CSRF over HTTP (issue 16 item 1): api/pages/signin.py,
api/pages/session.py, api/pages/core.py. The browser path is in tests/test_browser_pages.py."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api.app import create_app
from api.pages import core
from api.pages import session as sessions
from api.usecases.actors import User
from runtime.settings import Settings
from runtime.temporal import DATA_CONVERTER
from tests.api_fixtures import PAGES_ORIGIN, TOKENS
from tests.oidc_support import AUDIENCE, ISSUER, JwksServer, public_jwk, token

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
KEY = DATA_CONVERTER.payload_codec.derived_key(sessions.PURPOSE)


def app_for(client, db, tmp_path, **settings):
    return create_app(Settings(api_tokens=TOKENS, data_dir=tmp_path, **settings), client=client, db=db)


@pytest.fixture
async def http(client, sqlite_db, tmp_path):
    app = app_for(client, sqlite_db, tmp_path, session_timeout_minutes=20)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PAGES_ORIGIN) as c:
        yield c


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def sign_in(http: httpx.AsyncClient, tok: str, weiter: str = "/") -> httpx.Response:
    page = await http.get("/anmelden")
    body = {"csrf": csrf_of(page.text), "token": tok, "weiter": weiter}
    return await http.post("/anmelden", data=body, headers={"Origin": PAGES_ORIGIN})


async def test_a_page_without_a_session_leads_to_the_sign_in_and_back(http):
    r = await http.get("/faelle/abc?x=1")
    assert r.status_code == 303 and r.headers["location"] == "/anmelden?weiter=/faelle/abc%3Fx%3D1"
    page = await http.get(r.headers["location"])
    assert page.status_code == 200 and '<html lang="de">' in page.text and 'value="/faelle/abc?x=1"' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert not any(t in page.text for t in TOKENS)


async def test_sign_in_sets_an_httponly_strict_cookie_that_ends_with_the_timeout(http):
    r = await sign_in(http, "tok-jobcoach", "/schulung")
    assert r.status_code == 303 and r.headers["location"] == "/schulung"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(sessions.COOKIE + "="))
    parts = {p.strip() for p in cookie.split(";")}
    assert {"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=1200"} <= parts and "tok-jobcoach" not in cookie
    value = http.cookies[sessions.COOKIE]
    found = sessions.verify(KEY, value)
    assert found.user == User("jobcoach-1", frozenset({"jobcoach"})) and found.expires <= time.time() + 1200
    assert sessions.verify(KEY, value, now=time.time() + 1201) is None  # the server ends it, whatever the browser keeps
    assert (await http.get("/")).status_code == 200


async def test_wrong_tokens_participants_foreign_origins_and_missing_csrf_get_no_session(http):
    for tok, status in (("falsch", 401), ("", 422), ("tok-teilnehmende", 403)):
        r = await sign_in(http, tok)
        assert r.status_code == status and sessions.COOKIE not in r.headers.get("set-cookie", ""), tok
        assert "Anmelden" in r.text
    page = await http.get("/anmelden")
    r = await http.post("/anmelden", data={"csrf": "x", "token": "tok-egs"})
    assert r.status_code == 403 and sessions.COOKIE not in r.headers.get("set-cookie", "")
    r = await http.post(
        "/anmelden", data={"csrf": csrf_of(page.text), "token": "tok-egs"}, headers={"Origin": "http://evil"}
    )
    assert r.status_code == 400 and sessions.COOKIE not in r.headers.get("set-cookie", "")
    page = await http.get("/anmelden")  # each sign-in page has a token of its own
    r = await http.post("/anmelden", data={"csrf": csrf_of(page.text), "token": "tok-egs", "weiter": "//evil.example"})
    assert r.status_code == 303 and r.headers["location"] == "/"  # only paths of this site


async def test_every_post_needs_the_csrf_token_of_its_session(http):
    await sign_in(http, "tok-teamleitung")
    csrf = csrf_of((await http.get("/")).text)
    login_csrf = sessions.seal(KEY, "login", {"n": "x"}).split(".")[1]  # a sign-in form's token is no session's
    for body in ({"rolle": "egs"}, {"csrf": "falsch"}, {"csrf": login_csrf}):
        r = await http.post("/aufgaben/1/uebernehmen", data=body)
        assert r.status_code == 403 and "Formular abgelaufen" in r.text, body
    r = await http.post("/aufgaben/999/uebernehmen", data={"csrf": csrf})
    assert r.status_code == 303 and "fehler=" in r.headers["location"]  # checked, then refused by the use case
    r = await http.post(
        "/aufgaben/1/uebernehmen", content='{"csrf": "x"}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    other = sessions.issue(KEY, User("teamleitung-1", frozenset({"teamleitung"})), 600)[1]
    assert not other.csrf_ok(KEY, csrf)  # bound to its session


async def test_forged_expired_and_signed_out_sessions_open_nothing(http):
    user = User("teamleitung-1", frozenset({"teamleitung"}))
    forged, _ = sessions.issue(b"k" * 32, user, 600)
    expired, _ = sessions.issue(KEY, user, 60, now=time.time() - 120)
    good, _ = sessions.issue(KEY, user, 600)
    tampered = good.replace("s1.", "s1.e", 1)
    for value in (forged, expired, tampered, "s1", "", "a.b.c"):
        http.cookies.set(sessions.COOKIE, value)
        assert (await http.get("/")).status_code == 303, value
    http.cookies.set(sessions.COOKIE, good)
    page = await http.get("/")
    assert page.status_code == 200 and "teamleitung-1" in page.text
    r = await http.post("/abmelden", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303 and "Max-Age=0" in r.headers["set-cookie"]
    http.cookies.set(sessions.COOKIE, good)  # replayed after signing out
    assert (await http.get("/")).status_code == 303


async def test_the_training_pages_need_no_sign_in_and_show_no_case(http):
    r = await http.get("/schulung/neuantrag")
    assert r.status_code == 200 and "<svg" in r.text and "Clearing offen" in r.text and "Abmelden" not in r.text
    assert (await http.get("/schulung/gibt_es_nicht")).status_code == 404
    assert (await http.get("/api/v1/healthz")).status_code == 200  # the JSON API stays where it was


async def test_pages_show_only_what_the_roles_may_see(http):
    await sign_in(http, "tok-jobcoach")
    home = await http.get("/")
    assert "/team/infoveranstaltungen" not in home.text and "/team/sitzungen" in home.text
    r = await http.get("/team/infoveranstaltungen")  # the use case refuses, the page says so in German
    assert r.status_code == 403 and "Rolle nicht berechtigt" in r.text and "nur: egs, ifk, teamleitung" in r.text
    assert (await http.get("/faelle/unbekannt")).status_code == 404


def test_safe_next_keeps_only_paths_of_this_site():
    assert core.safe_next("/faelle/x?y=1") == "/faelle/x?y=1"
    for bad in ("//evil.example", "https://evil.example", "\\\\evil", "", None, "faelle"):
        assert core.safe_next(bad) == "/"


# --- OIDC: authorization code with PKCE against a fake issuer ------------------------------------


class FakeIssuer:
    """The issuer's token endpoint: a code is good once, for the verifier whose S256 challenge
    the authorization request carried."""

    def __init__(self, key) -> None:
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (challenge, redirect_uri)
        self.key, self.requests = key, []
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = {
                    k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()
                }
                issuer.requests.append(form)
                challenge, redirect = issuer.codes.pop(form.get("code", ""), (None, None))
                verifier = form.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                good = (
                    challenge == digest and redirect == form.get("redirect_uri") and form.get("client_id") == "werkbank"
                )
                body = (
                    {"access_token": token(issuer.key, roles=["jobcoach"]), "token_type": "Bearer"}
                    if good
                    else {"error": "invalid_grant"}
                )
                data = json.dumps(body).encode()
                self.send_response(200 if good else 400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
async def oidc_http(client, sqlite_db, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks, issuer = JwksServer([public_jwk(key, "rsa-1")]), FakeIssuer(key)
    app = app_for(
        client,
        sqlite_db,
        tmp_path,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=jwks.url,
        oidc_authorize_url="https://login.example.test/auth",
        oidc_token_url=issuer.url,
        oidc_client_id="werkbank",
    )
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PAGES_ORIGIN) as c:
            yield c, issuer
    finally:
        jwks.stop()
        issuer.stop()


async def test_oidc_sign_in_with_pkce_gives_a_session(oidc_http):
    http, issuer = oidc_http
    page = await http.get("/anmelden?weiter=/schulung")
    assert 'href="/anmelden/oidc?weiter=/schulung"' in page.text.replace("%2F", "/")
    r = await http.get("/anmelden/oidc?weiter=/schulung")
    assert r.status_code == 303
    where = urlsplit(r.headers["location"])
    query = {k: v[0] for k, v in parse_qs(where.query).items()}
    assert f"{where.scheme}://{where.netloc}{where.path}" == "https://login.example.test/auth"
    assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
    assert query["client_id"] == "werkbank" and query["redirect_uri"] == f"{PAGES_ORIGIN}/anmelden/rueckkehr"
    pending = r.headers["set-cookie"]
    assert "SameSite=Lax" in pending and "Path=/anmelden" in pending and "HttpOnly" in pending

    # a forged state, and a code whose verifier does not match, give no session
    issuer.codes["c-1"] = (query["code_challenge"], query["redirect_uri"])
    bad = await http.get("/anmelden/rueckkehr", params={"code": "c-1", "state": "fremd"})
    assert bad.status_code == 400 and sessions.COOKIE not in bad.headers.get("set-cookie", "")
    issuer.codes["c-2"] = ("nicht-die-challenge", query["redirect_uri"])
    bad = await http.get("/anmelden/rueckkehr", params={"code": "c-2", "state": query["state"]})
    assert bad.status_code == 502 and sessions.COOKIE not in bad.headers.get("set-cookie", "")

    issuer.codes["c-3"] = (query["code_challenge"], query["redirect_uri"])  # the issuer's answer
    r = await http.get("/anmelden/rueckkehr", params={"code": "c-3", "state": query["state"]})
    assert r.status_code == 200 and 'content="0;url=/schulung"' in r.text
    assert any(c.startswith(sessions.COOKIE + "=") and "SameSite=Strict" in c for c in r.headers.get_list("set-cookie"))
    assert issuer.requests[-1]["grant_type"] == "authorization_code" and "code_verifier" in issuer.requests[-1]
    home = await http.get("/")
    assert home.status_code == 200 and "sb-4711" in home.text and "Posteingang" in home.text


async def test_without_an_oidc_client_the_oidc_sign_in_is_not_offered(http):
    assert "/anmelden/oidc" not in (await http.get("/anmelden")).text
    assert (await http.get("/anmelden/oidc")).status_code == 404
    assert (await http.get("/anmelden/rueckkehr?code=x&state=y")).status_code == 400
