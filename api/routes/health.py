from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    temporal: bool
    database: bool


async def _temporal_ok(request: Request) -> bool:
    try:
        return await asyncio.wait_for(request.app.state.client.service_client.check_health(), timeout=2)
    except Exception:  # noqa: BLE001 - a health check: any failure means "does not answer"
        return False


async def _database_ok(request: Request) -> bool:
    try:
        return await asyncio.wait_for(request.app.state.db.ping(), timeout=2)
    except Exception:  # noqa: BLE001 - a health check: any failure means "does not answer"
        return False


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
async def read_health(request: Request) -> JSONResponse:
    """Liveness, and whether Temporal and the database answer."""
    temporal, database = await asyncio.gather(_temporal_ok(request), _database_ok(request))
    health = Health(status="ok" if temporal and database else "degraded", temporal=temporal, database=database)
    return JSONResponse(health.model_dump(), status_code=200 if health.status == "ok" else 503)
