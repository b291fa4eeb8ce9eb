"""A span per HTTP request when tracing is on (runtime/tracing.py): the Temporal calls a request
makes continue its trace. The span is named by the route template ("POST /api/v1/cases/{case_id}/
transitions"), never by the path with its ids or the query string."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode

from api.route_paths import template


class RequestSpans:
    def __init__(self, app: Any, tracer: Any):
        self.app, self.tracer = app, tracer

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status: dict[str, int] = {}

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        method = scope["method"]
        with self.tracer.start_as_current_span(f"{method} HTTP", kind=SpanKind.SERVER) as span:
            try:
                await self.app(scope, receive, sending)
            finally:
                route = template(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.request.method", method)
                span.set_attribute("http.route", route)
                code = status.get("code", 500)
                span.set_attribute("http.response.status_code", code)
                if code >= 500:
                    span.set_status(Status(StatusCode.ERROR))
