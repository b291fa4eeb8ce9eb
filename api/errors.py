"""Every error leaves the API as application/problem+json (RFC 9457).

Domain errors map to HTTP in this one place; routes only raise `Problem`s.
No stack traces, SQL or internal messages reach a response.
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
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "5"
log = logging.getLogger("fahrplan.api")


class Problem(Exception):
    def __init__(self, status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers, self.extra = headers, extra


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", "Nicht gefunden", what)


def problem_response(request: Request, status: int, slug: str, title: str, detail: str, headers=None, **extra) -> JSONResponse:
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail, "instance": request.url.path[:200]}
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


def _json_safe_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"loc": [_short(part) for part in e.get("loc", ())], "msg": _short(e.get("msg", "")), "type": e.get("type", "")}
        for e in errors[:MAX_ERRORS]
    ]


def log_crash(request: Request, exc: BaseException) -> None:
    """Log an unexpected error without its message (it may carry SQL and its parameters, i.e.
    personal data): only the exception type, the route template, the case id and the frames."""
    route = getattr(request.scope.get("route"), "path", "?")
    case_id = request.scope.get("path_params", {}).get("case_id", "-")
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled %s on %s %s (case %s)\n%s", type(exc).__name__, request.method, route, case_id, frames)


def internal_error(request: Request) -> JSONResponse:
    return problem_response(request, 500, "internal-error", "Interner Fehler", "Ein unerwarteter Fehler ist aufgetreten.")


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc.status, exc.slug, exc.title, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            request, 422, "invalid-request", "Ungültige Anfrage", "Die Anfrage ist unvollständig oder ungültig.",
            errors=_json_safe_errors(exc.errors()),
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
            request, 503, "unavailable", "Vorübergehend nicht verfügbar",
            "Die Datenbank antwortet gerade nicht. Bitte erneut versuchen (mit demselben Idempotency-Key).",
            {"Retry-After": RETRY_AFTER_SECONDS},
        )

    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _update_pending(request: Request, exc: Exception) -> JSONResponse:
        # The update waited past its timeout (e.g. its activity retries while the database is down):
        # it may still be applied; the same Idempotency-Key (same update id) picks up its outcome.
        log.warning("transition not confirmed in time on %s %s", request.method, request.url.path)
        return problem_response(
            request, 503, "unavailable", "Vorübergehend nicht verfügbar",
            "Temporal hat den Schritt nicht rechtzeitig bestätigt. Bitte mit demselben Idempotency-Key erneut versuchen.",
            {"Retry-After": RETRY_AFTER_SECONDS},
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log_crash(request, exc)
        return internal_error(request)
