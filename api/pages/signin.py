"""Signing in and out of the workbench: /anmelden, /anmelden/oidc, /anmelden/rueckkehr, /abmelden.

Local mode: a form takes a staff token (api/auth.authenticate, the same check as the API).
With an OIDC issuer configured for the workbench (settings.oidc_sign_in): the authorization
code flow with PKCE (S256). The pending sign-in (state, code verifier, where to go after) is
a signed cookie for ten minutes, SameSite=Lax and Path=/anmelden so the issuer's redirect back
carries it; the code is exchanged at the token endpoint and the access token verified like
an API bearer token (api/oidc.py), roles included. Then the session cookie
(api/pages/session.py). The sign-in form carries a CSRF token bound to a pre-session cookie.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.auth import authenticate
from api.errors import Problem
from api.pages import core
from api.pages import session as sessions
from api.usecases.actors import User
from statemachines.refusals import DomainError

router = APIRouter(include_in_schema=False)
PRE = "fahrplan_vor"  # the sign-in form's CSRF cookie
PENDING = "fahrplan_oidc"  # a sign-in under way at the issuer
PENDING_SECONDS = 600
CALLBACK = "/anmelden/rueckkehr"


def _login_csrf(key: bytes, nonce: str) -> str:
    return sessions.seal(key, "login", {"n": nonce}).split(".")[1]


def _sign_in_page(request: Request, status: int = 200, message: str = "", weiter: str | None = None) -> HTMLResponse:
    settings = request.app.state.settings
    key = core.signing_key(request)
    nonce = secrets.token_urlsafe(16)
    headers = {}
    csrf = ""
    if key is not None:
        csrf = _login_csrf(key, nonce)
        headers["Set-Cookie"] = sessions.cookie_header(PRE, nonce, PENDING_SECONDS, core.secure(request), path="/")
    return core.render(
        request,
        "anmelden.html",
        status,
        headers,
        title="Anmelden",
        login_csrf=csrf,
        message=message or request.query_params.get("hinweis", ""),
        weiter=core.safe_next(weiter or request.query_params.get("weiter")),
        tokens=settings.mode == "local",
        oidc=settings.oidc_sign_in,
    )


def _with_session(request: Request, user: User, target: str, redirect: bool = True) -> Response:
    key = core.signing_key(request)
    seconds = int(request.app.state.settings.session_timeout_minutes * 60)
    value, _ = sessions.issue(key, user, seconds)
    cookie = sessions.cookie_header(sessions.COOKIE, value, seconds, core.secure(request))
    if redirect:
        response: Response = RedirectResponse(target, status_code=303)
    else:  # after a cross-site redirect a SameSite=Strict cookie is sent only on a navigation of our own
        response = core.render(request, "weiter.html", title="Angemeldet", target=target)
    response.headers.append("Set-Cookie", cookie)
    response.headers.append("Set-Cookie", sessions.cookie_header(PRE, "", 0, core.secure(request)))
    return response


@router.get("/anmelden")
async def sign_in_form(request: Request) -> Response:
    if core.current_session(request) is not None:
        return RedirectResponse(core.safe_next(request.query_params.get("weiter")), status_code=303)
    return _sign_in_page(request)


@router.post("/anmelden")
async def sign_in(request: Request) -> Response:
    key = core.signing_key(request)
    if key is None:
        return _sign_in_page(request, 503, "Fahrplan startet noch. Bitte gleich erneut versuchen.")
    fields = await core.form_body(request)
    nonce = request.cookies.get(PRE, "")
    if fields is None or not core.same_origin(request):
        return _sign_in_page(request, 400, "Das Formular kam unvollständig an. Bitte erneut versuchen.")
    weiter = core.safe_next(core.first(fields, "weiter"))

    def again(status: int, message: str) -> HTMLResponse:
        return _sign_in_page(request, status, message, weiter)

    if not nonce or not secrets.compare_digest(core.first(fields, "csrf"), _login_csrf(key, nonce)):
        return again(403, "Das Formular ist abgelaufen. Bitte erneut anmelden.")
    if request.app.state.settings.mode != "local":
        return again(403, "Anmeldung mit Zugangstoken gibt es nur im lokalen Betrieb.")
    token = core.first(fields, "token").strip()
    if not token:
        return again(422, "Bitte ein Zugangstoken eingeben.")
    try:
        user = await authenticate(request, token)
    except Problem as refused:
        return again(refused.status, refused.detail)
    except DomainError as refused:
        return again(403, refused.detail)
    if not user.staff:
        return again(403, "Die Arbeitsoberfläche ist nur für Mitarbeitende des Jobcenters.")
    return _with_session(request, user, weiter)


@router.post("/abmelden")
async def sign_out(request: Request) -> Response:
    checked = await core.checked_form(request)
    if isinstance(checked, Response):
        return checked
    found, _ = checked
    core.ended(request)[found.sid] = found.expires
    _forget_expired(core.ended(request))
    response = core.see_other("/anmelden", "Sie sind abgemeldet.")
    response.headers.append("Set-Cookie", sessions.cookie_header(sessions.COOKIE, "", 0, core.secure(request)))
    return response


def _forget_expired(ended: dict[str, int]) -> None:
    now = time.time()
    for sid in [sid for sid, until in ended.items() if until < now]:
        del ended[sid]


# --- OpenID Connect: authorization code with PKCE ------------------------------------------------


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _callback_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{CALLBACK}"


@router.get("/anmelden/oidc")
async def oidc_start(request: Request) -> Response:
    settings = request.app.state.settings
    key = core.signing_key(request)
    if not settings.oidc_sign_in or key is None:
        return _sign_in_page(request, 404, "Die Anmeldung über den Anmeldedienst ist nicht eingerichtet.")
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    weiter = core.safe_next(request.query_params.get("weiter"))
    pending = sessions.seal(
        key, "oidc", {"s": state, "v": verifier, "w": weiter, "e": int(time.time()) + PENDING_SECONDS}
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.oidc_client_id,
            "redirect_uri": _callback_url(request),
            "scope": "openid",
            "state": state,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    response = RedirectResponse(f"{settings.oidc_authorize_url}?{query}", status_code=303)
    response.headers.append(
        "Set-Cookie",
        sessions.cookie_header(PENDING, pending, PENDING_SECONDS, core.secure(request), "Lax", "/anmelden"),
    )
    return response


@router.get(CALLBACK)
async def oidc_callback(request: Request) -> Response:
    settings = request.app.state.settings
    key = core.signing_key(request)
    pending = sessions.unseal(key, "oidc", request.cookies.get(PENDING, "")) if key else None
    code, state = request.query_params.get("code", ""), request.query_params.get("state", "")
    if not settings.oidc_sign_in or pending is None or int(pending.get("e", 0)) < time.time():
        return _sign_in_page(request, 400, "Die Anmeldung ist abgelaufen. Bitte erneut anmelden.")
    if not code or not secrets.compare_digest(state, str(pending.get("s", ""))):
        return _sign_in_page(request, 400, "Die Antwort des Anmeldedienstes passt nicht zu dieser Anmeldung.")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": _callback_url(request),
        "client_id": settings.oidc_client_id,
        "code_verifier": str(pending["v"]),
    }
    if settings.oidc_client_secret is not None:
        form["client_secret"] = settings.oidc_client_secret.get_secret_value()
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.post(settings.oidc_token_url, data=form)
        access = answer.json().get("access_token") if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        access = None
    if not isinstance(access, str) or not access:
        return _sign_in_page(request, 502, "Der Anmeldedienst hat die Anmeldung nicht bestätigt.")
    try:
        user = await authenticate(request, access)
    except Problem as refused:
        return _sign_in_page(request, refused.status, refused.detail)
    except DomainError as refused:
        return _sign_in_page(request, 403, refused.detail)
    if not user.staff:
        return _sign_in_page(request, 403, "Die Arbeitsoberfläche ist nur für Mitarbeitende des Jobcenters.")
    response = _with_session(request, user, core.safe_next(str(pending.get("w", "/"))), redirect=False)
    response.headers.append(
        "Set-Cookie", sessions.cookie_header(PENDING, "", 0, core.secure(request), "Lax", "/anmelden")
    )
    return response
