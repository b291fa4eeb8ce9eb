"""Route templates with the prefixes of the routers they are included in ("/api/v1/cases/{case_id}").

FastAPI keeps an included router's routes nested: a request's `scope["route"]` is the route as its
own router declared it ("/cases/{case_id}"), without the prefix it was included under. Spans and
crash logs name a request by its full template, never by its path with ids or its query string.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

UNKNOWN = "unbekannt"


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path template, route) of every API route, also inside included routers."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context.path_format, context.original_route


def template(scope: MutableMapping[str, Any]) -> str:
    """The full path template of the route that matched the request; UNKNOWN before routing or
    when none matched (a 404)."""
    route = scope.get("route")
    if route is None:
        return UNKNOWN
    app = scope.get("app")
    full = _templates(app) if isinstance(app, FastAPI) else {}
    return full.get(id(route)) or getattr(route, "path", None) or UNKNOWN


def _templates(app: FastAPI) -> dict[int, str]:
    """By route identity; built once per app (its routes live as long as it does)."""
    found = getattr(app.state, "route_templates", None)
    if found is None:
        found = app.state.route_templates = {id(route): path for path, route in api_routes(app)}
    return found
