"""Every error leaves the API as application/problem+json (RFC 9457).

Domain errors (statemachines/refusals.py, raised by the use cases and by routes) map to HTTP in
this one place: a status per refusal kind, the slug, German title and detail, their extra members,
Retry-After when the error says when to try again. `Problem` is for what only HTTP knows (401
with its challenge). No stack traces, SQL or internal messages reach a response.
"""

from __future__ import annotations

import logging
import traceback
from http.client import responses as HTTP_PHRASES
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.route_paths import template
from api.validation_texts import field_of, german
from runtime.metrics import REFUSALS
from statemachines.refusals import RETRY_AFTER_SECONDS, DomainError, Refusal

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("fahrplan.api")


STATUS = {
    Refusal.NOT_ALLOWED: 409,
    Refusal.FORBIDDEN: 403,
    Refusal.INVALID: 422,
    Refusal.UNKNOWN: 404,
    Refusal.CONFLICT: 409,
    Refusal.UNAVAILABLE: 503,
}


class Problem(Exception):
    """An error only HTTP knows (authentication with its challenge); domain errors are DomainError."""

    def __init__(
        self, status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
    ):
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers, self.extra = headers, extra


def unauthorized(detail: str, invalid: bool = True) -> Problem:
    challenge = 'Bearer error="invalid_token"' if invalid else "Bearer"
    return Problem(401, "unauthorized", "Nicht angemeldet", detail, headers={"WWW-Authenticate": challenge})


def status_of(error: DomainError) -> int:
    return STATUS[error.kind]


def problem_body(error: DomainError, instance: str | None = None) -> dict[str, Any]:
    """The problem+json members of a domain error. Every problem names its `instance`, also a
    refusal kept as the answer to an Idempotency-Key (StepRefused), which is otherwise repeated as
    it was (a kept problem body's own `instance` is replaced by the request's path)."""
    body: dict[str, Any] = {"type": f"/problems/{error.slug}", "title": error.title, "status": status_of(error)}
    body["detail"] = error.detail
    body.update(error.extra)
    if isinstance(body.get("errors"), list):  # pydantic's findings, in German (item 7 of issue 15)
        body["errors"] = _json_safe_errors(body["errors"])
    if instance is not None:
        body["instance"] = instance
    return body


def domain_response(request: Request, error: DomainError) -> JSONResponse:
    REFUSALS.labels(error.kind.name.lower()).inc()
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    body = problem_body(error, request.url.path[:200])
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


def problem_response(
    request: Request, status: int, slug: str, title: str, detail: str, headers=None, **extra
) -> JSONResponse:
    body = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path[:200],
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def database_unavailable(exc: BaseException) -> bool:
    """A database that is down, unreachable, restarting or locked: worth retrying (503), not a bug (500)."""
    if isinstance(exc, (OperationalError, InterfaceError, SQLAlchemyTimeoutError, TimeoutError)):
        return True  # SQLite "database is locked" is an OperationalError too
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


MAX_ERRORS, MAX_TEXT = 20, 200  # a 422 never echoes large input (long keys, many errors) back
# German titles and details for the errors Starlette raises itself (unknown route, method, size, ...).
HTTP_TEXTS = {
    400: ("Ungültige Anfrage", "Die Anfrage ist fehlerhaft."),
    404: ("Nicht gefunden", "Diese Adresse gibt es nicht."),
    405: ("Methode nicht erlaubt", "Diese Methode ist für diese Adresse nicht erlaubt."),
    408: ("Zeitüberschreitung", "Die Anfrage kam nicht rechtzeitig vollständig an."),
    413: ("Anfrage zu groß", "Die Anfrage ist zu groß."),
    414: ("Adresse zu lang", "Pfad und Suchparameter sind zu lang (höchstens 2048 Bytes)."),
    415: ("Nicht unterstütztes Format", "Der Inhalt muss JSON sein (Content-Type: application/json)."),
}


# FastAPI's own English details, in German.
FASTAPI_DETAILS = {"There was an error parsing the body": "Der Inhalt ist kein lesbares JSON (UTF-8 erwartet)."}


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    return value


def _json_safe_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Each error with its field and a German text (api/validation_texts.py); never the input."""
    safe = []
    for e in errors[:MAX_ERRORS]:
        if not isinstance(e, dict):
            continue
        loc = [_short(part) for part in e.get("loc", ())]
        safe.append({"loc": loc, "field": field_of(loc), "msg": _short(german(e)), "type": e.get("type", "")})
    return safe


def log_crash(request: Request, exc: BaseException) -> None:
    """Log an unexpected error without its message (it may carry SQL and its parameters, i.e.
    personal data): only the exception type, the route template, the case id and the frames."""
    route = template(request.scope)
    case_id = request.scope.get("path_params", {}).get("case_id", "-")
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled %s on %s %s (case %s)\n%s", type(exc).__name__, request.method, route, case_id, frames)


def internal_error(request: Request) -> JSONResponse:
    return problem_response(
        request, 500, "internal-error", "Interner Fehler", "Ein unerwarteter Fehler ist aufgetreten."
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc.status, exc.slug, exc.title, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(DomainError)
    async def _refused(request: Request, exc: DomainError) -> JSONResponse:
        return domain_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _json_safe_errors(list(exc.errors()))
        first = f" {errors[0]['field'] or 'Inhalt'}: {errors[0]['msg']}." if errors else ""
        return problem_response(
            request,
            422,
            "invalid-request",
            "Ungültige Anfrage",
            "Die Anfrage ist unvollständig oder ungültig." + first,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title, detail = HTTP_TEXTS.get(exc.status_code, ("Fehler", str(exc.detail)))
        if str(exc.detail) != HTTP_PHRASES.get(exc.status_code):  # a specific detail, not Starlette's English default
            detail = FASTAPI_DETAILS.get(str(exc.detail), str(exc.detail))
        return problem_response(request, exc.status_code, "http-error", title, detail, exc.headers)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(SQLAlchemyTimeoutError)
    @app.exception_handler(TimeoutError)
    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not database_unavailable(exc):
            return await _crash(request, exc)
        log.warning("database not answering on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return problem_response(
            request,
            503,
            "unavailable",
            "Vorübergehend nicht verfügbar",
            "Die Datenbank antwortet gerade nicht. Bitte erneut versuchen (mit demselben Idempotency-Key).",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log_crash(request, exc)
        return internal_error(request)
