"""The FastAPI application: JSON under /api/v1, OpenAPI docs at /docs."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from temporalio.client import Client

from api import docs, errors, openapi_problems, pages
from api.auth import oidc_verifier
from api.body_timeout import BodyTimeout
from api.limits import RequestLimits
from api.routes import (
    arbeitgeber,
    cases,
    codec,
    gruppencoaching,
    health,
    inbox,
    infoveranstaltungen,
    loeschung,
    me,
    metrics,
    people,
    processes,
    teilnehmendenzugang,
    vermerke,
)
from api.routes import kooperationsplan as kp_routes
from api.routes import staff as staff_routes
from api.routes.params import KnownQuery
from api.security_headers import SecurityHeaders
from api.tracing import RequestSpans
from api.usecases import UseCases
from persistence.db import Database
from persistence.open import open_database
from runtime.metrics import sdk_runtime
from runtime.settings import Settings
from runtime.temporal import connect
from runtime.tokens import load_tokens
from runtime.tracing import flush_spans, temporal_interceptors, tracer_from_settings

PREFIX = "/api/v1"
# FastAPI's own request telemetry (since 0.142) is off, whatever the environment says: once a
# tracer provider is set (FAHRPLAN_OTLP_ENDPOINT) it would add a second server span per request
# with the query string (a people search's name or date of birth) as url.query, and log
# validation failures and exceptions with their messages. Fahrplan's spans are api/tracing.py's.
NO_FASTAPI_TELEMETRY = {"tracing": False, "metrics": False, "logs": False, "auto_configure": False}


def create_app(
    settings: Settings, client: Client | None = None, db: Database | None = None, tracer: Any = None
) -> FastAPI:
    """Build the app; pass `client` and `db` to reuse existing connections (tests, `fahrplan up`).
    `tracer`: an OpenTelemetry tracer for request spans; None: FAHRPLAN_OTLP_ENDPOINT's, if set."""
    tracer = tracer or tracer_from_settings(settings, "fahrplan-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = []
        if getattr(app.state, "client", None) is None:
            temporal = await connect(settings, runtime=sdk_runtime(), interceptors=temporal_interceptors(tracer))
            _wire(app, temporal, open_database(settings), settings)
            owned.append(app.state.db)
        yield
        for database in owned:
            await database.dispose()
        flush_spans()  # before uvicorn ends the process with the signal again

    app = FastAPI(
        title="Fahrplan",
        summary="Fallprozesse des Jobcenters (SGB II) als dauerhafte Zustandsautomaten auf Temporal",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,  # api/docs.py serves /docs and /redoc from bundled files, never a CDN
        redoc_url=None,
        telemetry=NO_FASTAPI_TELEMETRY,
    )
    app.state.settings = settings
    app.state.tokens = load_tokens(settings)
    app.state.oidc = oidc_verifier(settings)
    app.state.client = None
    if client is not None and db is not None:
        _wire(app, client, db, settings)
    errors.install(app)
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes)  # 413, 415, 500 at the edge
    openapi_problems.install(app)  # every documented error is a Problem
    codec.install(app, settings)  # /codec for the Temporal UI, with CORS for its origin
    docs.install(app)  # /docs and /redoc from bundled files, never a CDN
    app.add_middleware(BodyTimeout, seconds=settings.api_body_timeout_seconds)  # 408 for slow bodies
    app.add_middleware(SecurityHeaders)  # nosniff, no-store, CSP and no framing on pages (outermost)
    if tracer is not None:
        app.add_middleware(RequestSpans, tracer=tracer)  # around everything: the request's trace
    routers = (
        cases.router,
        processes.router,
        inbox.router,
        health.router,
        me.router,
        gruppencoaching.router,
        kp_routes.router,
        infoveranstaltungen.router,
        loeschung.router,
        staff_routes.router,
        people.router,
        arbeitgeber.router,
        vermerke.router,
        teilnehmendenzugang.router,
    )
    for router in routers:  # every route refuses query parameters it does not declare (422)
        app.include_router(router, prefix=PREFIX, dependencies=[KnownQuery])
    app.include_router(metrics.router)  # /metrics, outside the API's prefix (Prometheus' default path)
    pages.install(app)  # the workbench at / (api/pages/): German pages on the same use cases
    return app


def _wire(app: FastAPI, client: Client, db: Database, settings: Settings) -> None:
    app.state.client, app.state.db = client, db
    app.state.usecases = UseCases.build(db, client, settings)
