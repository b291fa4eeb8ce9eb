"""Path, query and header parameters the JSON routes share (FastAPI annotations)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from api.errors import PROBLEM_JSON
from api.schemas.common import MAX_ID
from statemachines.refusals import invalid

Id = Annotated[int, Path(ge=1, le=MAX_ID)]  # an id in the path
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]  # an optional id filter
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
MAX_UNKNOWN = 10  # unknown query parameters named in one 422
_QUERY_NAMES: dict = {}  # id(route) -> (route, the query parameters it declares)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


def problems(descriptions: dict[int, str]) -> dict[int, dict]:
    """The `responses` of a route: its error statuses, each problem+json (api/openapi_problems.py adds the schema)."""
    return {code: {"content": {PROBLEM_JSON: {}}, "description": text} for code, text in descriptions.items()}


def _declared(dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared(sub)
    return names


def _query_names(route) -> frozenset[str]:
    found = _QUERY_NAMES.get(id(route))
    if found is None:  # routes live as long as the app; each is kept with its names so its id stays its own
        found = _QUERY_NAMES[id(route)] = (route, frozenset(_declared(route.dependant)))
    return found[1]


async def known_query(request: Request) -> None:
    """Refuse query parameters the route does not declare (422, German): a misspelt or unknown
    filter must not silently return everything (`?nachname=Köhler` on GET /cases)."""
    route = request.scope.get("route")
    if not request.query_params or route is None:
        return
    known = _query_names(route)
    strangers = [name[:60] for name in dict.fromkeys(request.query_params.keys()) if name not in known][:MAX_UNKNOWN]
    if strangers:
        allowed = ", ".join(sorted(known)) or "keine"
        raise invalid(
            "unknown-query-parameter",
            "Unbekannter Suchparameter",
            f"Unbekannte Suchparameter: {', '.join(strangers)}. Erlaubt sind: {allowed}.",
            errors=[
                {"loc": ["query", name], "msg": "Unbekannter Parameter", "type": "unknown_parameter"}
                for name in strangers
            ],
            erlaubt=sorted(known),
        )


KnownQuery = Depends(known_query)
