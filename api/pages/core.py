"""What every workbench page shares: templates, the signed-in user, CSRF checks, form bodies.

Pages hold no logic of their own: handlers read the session, call the use cases
(api/usecases/) and render. A DomainError from a use case is shown inline in German
(`refusal_page`, or by the handler next to the form it concerns).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.errors import status_of
from api.form_body import urlencoded_form
from api.pages import session as sessions
from api.usecases.actors import User
from runtime.codec import EncryptionCodec
from statemachines.refusals import DomainError
from statemachines.roles import LABELS as ROLE_LABELS

HERE = Path(__file__).parent
FORM_BYTES = 32 * 1024
BERLIN = ZoneInfo("Europe/Berlin")


def local_time(value: datetime | None) -> str:
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return local_time(value)
    return value.strftime("%d.%m.%Y")


templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["zeit"] = local_time
templates.filters["datum"] = local_date
templates.globals["ROLE_LABELS"] = ROLE_LABELS


class SignInRequired(Exception):
    """No valid session: the page redirects to /anmelden (and back afterwards)."""


def signing_key(request: Request) -> bytes | None:
    client = getattr(request.app.state, "client", None)
    codec = client.data_converter.payload_codec if client is not None else None
    return codec.derived_key(sessions.PURPOSE) if isinstance(codec, EncryptionCodec) else None


def ended(request: Request) -> set[str]:
    found = getattr(request.app.state, "ended_sessions", None)
    if found is None:
        found = request.app.state.ended_sessions = {}
    return found


def current_session(request: Request) -> sessions.Session | None:
    value = request.cookies.get(sessions.COOKIE)
    key = signing_key(request)
    if not value or key is None:
        return None
    found = sessions.verify(key, value)
    if found is None or found.sid in ended(request):
        return None
    return found


def require_session(request: Request) -> sessions.Session:
    found = current_session(request)
    if found is None:
        raise SignInRequired
    return found


def user_of(request: Request) -> User:
    return require_session(request).user


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def render(
    request: Request, name: str, status: int = 200, headers: dict | None = None, /, **context: Any
) -> HTMLResponse:
    """The template `name` with the session's user and CSRF token; `context` may use any key."""
    found = current_session(request)
    key = signing_key(request)
    context.setdefault("title", "Fahrplan")
    # The notice and the error a redirect after a form post carries (see_other).
    context.setdefault("hinweis", request.query_params.get("hinweis", ""))
    context.setdefault("fehler", request.query_params.get("fehler", ""))
    body = templates.get_template(name).render(
        request=request,
        user=found.user if found else None,
        csrf=Markup(found.csrf(key)) if found and key else "",  # base64url: nothing to escape, on every form
        is_lead=bool(found and "teamleitung" in found.user.roles),
        **context,
    )
    return HTMLResponse(body, status_code=status, headers=headers)


def inline_svg(svg: str) -> str:
    """An SVG document as an element for the page: no XML declaration or DOCTYPE, no tab stop."""
    start = svg.find("<svg")
    return svg[start:].replace("<svg ", '<svg focusable="false" ', 1) if start >= 0 else ""


def refusal_page(request: Request, error: DomainError) -> HTMLResponse:
    return render(request, "refusal.html", status_of(error), title=error.title, error=error)


def see_other(path: str, message: str | None = None, error: str | None = None) -> RedirectResponse:
    """303 to `path`, with a note (hinweis) or an error (fehler) for the page to show."""
    for name, text in (("hinweis", message), ("fehler", error)):
        if text:
            path += ("&" if "?" in path else "?") + f"{name}={quote(text)}"
    return RedirectResponse(path, status_code=303)


async def form_body(request: Request) -> dict[str, list[str]] | None:
    """A page's urlencoded form (at most FORM_BYTES), or None when it is not one, too large or holds a NUL."""
    return await urlencoded_form(request, FORM_BYTES, 200)


def first(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0]


async def checked_form(request: Request) -> tuple[sessions.Session, dict[str, list[str]]] | Response:
    """The session and the form of a POST whose CSRF token fits; otherwise the refusal page."""
    found = require_session(request)
    fields = await form_body(request)
    key = signing_key(request)
    if fields is None:
        return render(
            request,
            "message.html",
            400,
            title="Ungültiges Formular",
            message="Das Formular kam unvollständig, zu groß oder mit unzulässigen Zeichen an.",
        )
    if key is None or not found.csrf_ok(key, first(fields, "csrf")):
        return render(
            request,
            "message.html",
            403,
            title="Formular abgelaufen",
            message="Das Formular ist abgelaufen oder stammt nicht von dieser Seite. Bitte neu laden.",
        )
    return found, fields


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no host, no //)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
