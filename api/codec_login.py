"""/codec/anmelden and /codec/abmelden: the sign-in page that gives a browser the decode-only cookie.

A small German page, no JavaScript. The form posts the token in the body (never in a URL, so
no log, history or Referer sees it); the token must belong to a role that may decode
(CODEC_ROLES). Served by the codec edge itself (api/routes/codec.py), before the JSON-only
request limits: it is the one form post of the API. Its body is capped at FORM_BYTES; a post
from another origin is refused (login CSRF).
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from api import codec_session
from api.auth import authenticate
from api.errors import Problem
from api.form_body import urlencoded_form
from runtime.codec import ENDPOINT_PATH, EncryptionCodec

SIGN_IN, SIGN_OUT = f"{ENDPOINT_PATH}/anmelden", f"{ENDPOINT_PATH}/abmelden"
PATHS = frozenset({SIGN_IN, SIGN_OUT})
FORM_BYTES = 8 * 1024

PAGE = """<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – Fahrplan</title>
</head>
<body>
<main>
<h1>Entschlüsseln in der Temporal UI</h1>
<p>Die Temporal UI zeigt die Nutzdaten der Fälle verschlüsselt an. Entschlüsseln lässt sie Fahrplan, wenn
Sie sich hier mit einem Zugang anmelden, der das darf (Rolle {roles}). Die Anmeldung gilt {hours} Stunden in
diesem Browser und nur für das Entschlüsseln, nicht für die Fahrplan-API.</p>
{message}
<form method="post" action="{sign_in}">
<p><label for="token">Zugangstoken</label><br>
<input id="token" name="token" type="password" autocomplete="off" required maxlength="4096"></p>
<p><button type="submit">Anmelden</button></p>
</form>
<h2>Einstellung in der Temporal UI (einmal je Browser)</h2>
<ol>
<li>In der Temporal UI ({ui}) oben das Schloss-Symbol bzw. „Configure Codec Server“ öffnen.</li>
<li>„Use my browser setting and ignore …-level setting“ wählen.</li>
<li>Als Endpunkt <code>{endpoint}</code> eintragen.</li>
<li>„Include cross-origin credentials“ einschalten und speichern.</li>
</ol>
<p>Die UI und diese Seite müssen unter demselben Rechnernamen geöffnet werden (z. B. beide mit 127.0.0.1).</p>
<form method="post" action="{sign_out}"><p><button type="submit">Abmelden</button></p></form>
</main>
</body>
</html>
"""


def _page(request: Request, status: int, title: str, message: str, headers: dict[str, str] | None = None):
    settings = request.app.state.settings
    own = f"{request.url.scheme}://{request.url.netloc}"
    body = PAGE.format(
        title=html.escape(title),
        roles=html.escape(", ".join(sorted(codec_session.CODEC_ROLES))),
        hours=f"{settings.codec_session_hours:g}",
        message=f'<p role="status"><strong>{html.escape(message)}</strong></p>' if message else "",
        sign_in=SIGN_IN,
        sign_out=SIGN_OUT,
        ui=html.escape(settings.temporal_ui_url),
        endpoint=html.escape(own + ENDPOINT_PATH),
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"} | (headers or {}))


def _same_origin(request: Request) -> bool:
    """Browsers send Origin with every form post; a post from another site is refused."""
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


async def _form(request: Request) -> dict[str, str] | None:
    """The urlencoded form, or None when it is not one or too large (read at most FORM_BYTES)."""
    fields = await urlencoded_form(request, FORM_BYTES, 5)
    return None if fields is None else {k: v[0] for k, v in fields.items() if v[0]}


def signing_key(request: Request) -> bytes | None:
    client = getattr(request.app.state, "client", None)
    codec = client.data_converter.payload_codec if client is not None else None
    return codec.derived_key(codec_session.PURPOSE) if isinstance(codec, EncryptionCodec) else None


async def _sign_in(request: Request) -> Response:
    form = await _form(request)
    if not form or not form.get("token", "").strip():
        return _page(request, 400, "Anmeldung fehlgeschlagen", "Bitte ein Zugangstoken eingeben.")
    key = signing_key(request)
    if key is None:
        return _page(request, 503, "Nicht bereit", "Fahrplan startet noch. Bitte gleich erneut versuchen.")
    try:
        user = await authenticate(request, form["token"].strip())
    except Problem as refused:
        return _page(request, refused.status, "Anmeldung fehlgeschlagen", refused.detail)
    if not user.roles & codec_session.CODEC_ROLES:
        detail = "Dieser Zugang darf nicht entschlüsseln (nötig: Rolle teamleitung)."
        return _page(request, 403, "Anmeldung fehlgeschlagen", detail)
    settings = request.app.state.settings
    seconds = int(settings.codec_session_hours * 3600)
    value = codec_session.issue(key, user.user, settings.temporal_namespace, seconds)
    until = (datetime.now(UTC) + timedelta(seconds=seconds)).astimezone().strftime("%d.%m.%Y %H:%M")
    cookie = codec_session.set_cookie_header(value, seconds, request.url.scheme == "https")
    message = f"Angemeldet als {user.user} bis {until}. Die Temporal UI entschlüsselt jetzt (Einstellung unten)."
    return _page(request, 200, "Angemeldet", message, {"Set-Cookie": cookie})


async def handle(scope: Scope, receive: Receive, send: Send) -> None:
    """The page: GET shows it, POST signs in (/anmelden) or out (/abmelden)."""
    request = Request(scope, receive)
    if request.method not in ("GET", "HEAD", "POST") or (request.method != "POST" and scope["path"] == SIGN_OUT):
        allow = "POST" if scope["path"] == SIGN_OUT else "GET, HEAD, POST"
        response = _page(
            request, 405, "Methode nicht erlaubt", "Diese Methode ist hier nicht erlaubt.", {"Allow": allow}
        )
    elif request.method != "POST":
        response = _page(request, 200, "Anmelden", "")
    elif not _same_origin(request):
        response = _page(request, 403, "Herkunft nicht erlaubt", "Die Anmeldung geht nur von dieser Seite aus.")
    elif scope["path"] == SIGN_OUT:
        cookie = codec_session.clear_cookie_header(request.url.scheme == "https")
        response = _page(request, 200, "Abgemeldet", "Abgemeldet.", {"Set-Cookie": cookie})
    else:
        response = await _sign_in(request)
    await response(scope, receive, send)
