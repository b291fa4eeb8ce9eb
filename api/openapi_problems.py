"""The OpenAPI document says what the API really returns: every error is problem+json.

Applied once to the generated document, for every operation:
- 401, 403, 404 and 503 where the route authenticates (a dependency from api.auth),
- 404 where the path has parameters, 409 on writes, 400, 413 and 415 with a body, 414 with parameters,
- 422 with parameters or a body (FastAPI's own 422 schema is replaced: ours is a Problem),
- 500 everywhere (the catch-all, without internals),
each with the `Problem` schema under application/problem+json. Responses a route
declares with its own JSON schema (e.g. the health check's 503) stay as they are.
Non-JSON successes (SVG, Mermaid text, PDF) get a string schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from api.errors import PROBLEM_JSON
from api.route_paths import api_routes


class ProblemError(BaseModel):
    """One finding of a 422, in German (api/validation_texts.py)."""

    loc: list[str | int]
    field: str = Field("", examples=["person.anschrift.plz"], description="das Feld, wie man es schreibt")
    msg: str = Field(examples=["Pflichtfeld fehlt"], description="was falsch ist, auf Deutsch")
    type: str = Field(examples=["missing"], description="die Art des Fehlers (pydantic)")


class ProblemPublic(BaseModel):
    """An error as application/problem+json (RFC 9457); some carry more members
    (e.g. `allowed_triggers`, `roles`, `state`)."""

    model_config = ConfigDict(extra="allow", title="Problem")
    type: str = Field(examples=["/problems/not-found"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemError] | None = None


DESCRIPTIONS = {
    "400": "Inhalt ist kein lesbares JSON (z. B. kein UTF-8)",
    "401": "Nicht angemeldet (Token fehlt oder ist ungültig)",
    "403": "Rolle nicht berechtigt",
    "404": "Nicht gefunden",
    "409": "Im aktuellen Zustand nicht möglich",
    "413": "Anfrage zu groß",
    "414": "Adresse zu lang",
    "415": "Inhalt ist kein JSON",
    "422": "Ungültige Anfrage",
    "500": "Interner Fehler (ohne Einzelheiten)",
    "503": "Temporal oder Datenbank nicht erreichbar",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
FASTAPI_422 = "#/components/schemas/HTTPValidationError"
WRITES = {"post", "put", "patch", "delete"}


def install(app: FastAPI) -> None:
    generate, done = app.openapi, []

    def openapi() -> dict[str, Any]:
        document = generate()  # FastAPI caches it (and makes a new one when routes change)
        if not any(d is document for d in done):
            done[:] = [_with_problems(document, app)]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _authenticated(route: APIRoute) -> bool:
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        if getattr(dependency.call, "__module__", "").startswith("api.auth"):
            return True
        stack.extend(dependency.dependencies)
    return False


def _statuses(method: str, operation: dict[str, Any], authenticated: bool) -> set[str]:
    parameters, body = operation.get("parameters", []), "requestBody" in operation
    codes = {"500"}
    if authenticated:
        codes |= {"401", "403", "503"}
    if authenticated or any(p.get("in") == "path" for p in parameters):
        codes.add("404")  # ids also come in filters and bodies
    if method in WRITES:
        codes.add("409")
    if body:
        codes |= {"400", "413", "415"}
    if parameters or body:
        codes.add("422")
    if parameters:
        codes.add("414")
    return codes


def _problem_content(response: dict[str, Any]) -> None:
    content = response.get("content", {})
    json_schema = content.get("application/json", {}).get("schema", {})
    if json_schema.get("$ref") == FASTAPI_422:
        content.pop("application/json")
    if set(content) <= {PROBLEM_JSON}:
        response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}


def _with_problems(document: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    routes = {(path, m.lower()): r for path, r in api_routes(app) for m in r.methods}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            route = routes.get((path, method))
            responses = operation.setdefault("responses", {})
            declared = {code for code in responses if code[0] in "45"}
            for code in sorted(declared | _statuses(method, operation, route is not None and _authenticated(route))):
                response = responses.setdefault(code, {"description": DESCRIPTIONS.get(code, "Fehler")})
                _problem_content(response)
            for code, response in responses.items():
                for media, entry in response.get("content", {}).items():
                    if code.startswith("2") and not media.endswith("json") and not entry.get("schema"):
                        entry["schema"] = (
                            {"type": "string", "format": "binary"} if media == "application/pdf" else {"type": "string"}
                        )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = ProblemPublic.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    if FASTAPI_422 not in str(document.get("paths")):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return document
