"""The FastAPI application: JSON under /api/v1, OpenAPI docs at /docs."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from api import errors
from api import openapi_problems
from api.limits import RequestLimits
from api.auth import oidc_verifier
from api.cases import CaseService
from api.gruppencoaching import SitzungService
from api.routes import cases, codec, health, inbox, me, processes
from api.routes import gruppencoaching
from api.routes import infoveranstaltungen
from api.routes import loeschung
from api import kooperationsplan as kp
from api.routes import kooperationsplan as kp_routes
from persistence.db import Database
from runtime.settings import Settings
from runtime.temporal import connect
from runtime.tokens import load_tokens

PREFIX = "/api/v1"


def create_app(settings: Settings, client: Client | None = None, db: Database | None = None) -> FastAPI:
    """Build the app; pass `client` and `db` to reuse existing connections (tests, `fahrplan up`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = []
        if getattr(app.state, "client", None) is None:
            _wire(app, await connect(settings), Database(settings.db_url), settings)
            owned.append(app.state.db)
        yield
        for database in owned:
            await database.dispose()

    app = FastAPI(
        title="Fahrplan",
        summary="Fallprozesse des Jobcenters (SGB II) als dauerhafte Zustandsautomaten auf Temporal",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url="/docs",
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
    codec.install(app, settings)  # /codec for the Temporal UI, with CORS for its origin (outermost)
    for router in (cases.router, processes.router, inbox.router, health.router, me.router):
        app.include_router(router, prefix=PREFIX)
    app.include_router(gruppencoaching.router, prefix=PREFIX)
    app.include_router(kp_routes.router, prefix=PREFIX)
    app.include_router(infoveranstaltungen.router, prefix=PREFIX)
    app.include_router(loeschung.router, prefix=PREFIX)
    return app


def _wire(app: FastAPI, client: Client, db: Database, settings: Settings) -> None:
    app.state.client, app.state.db = client, db
    app.state.cases = CaseService(db, client, settings, converters=kp.converters(settings))
    app.state.kooperationsplan = kp.KooperationsplanService(db, settings)
    app.state.sitzungen = SitzungService(db, client, settings)
