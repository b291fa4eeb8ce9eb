"""Information events of the Rechtskreiswechsel (R31–R33): the team lead's calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from api import access
from api import rechtskreiswechsel_schemas as rs
from api import schemas as s
from api.deps import CurrentUser
from api.errors import PROBLEM_JSON
from api.rechtskreiswechsel import InfoveranstaltungService

router = APIRouter(prefix="/infoveranstaltungen", tags=["infoveranstaltungen"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
PROBLEMS = {code: {"content": {PROBLEM_JSON: {}}, "description": text} for code, text in {
    401: "Nicht angemeldet", 403: "Nur die Teamleitung", 404: "Veranstaltung oder Fall unbekannt",
    409: "Nicht möglich (abgesagt, nicht gebucht, schon erfasst, Plätze unter Belegung, Zeit doppelt)", 422: "Ungültige Anfrage",
}.items()}


async def _service(request: Request) -> InfoveranstaltungService:
    state = request.app.state
    return InfoveranstaltungService(state.db, state.cases, state.settings)


Veranstaltungen = Annotated[InfoveranstaltungService, Depends(_service)]


@router.get("", response_model=list[rs.InfoveranstaltungPublic], responses=PROBLEMS)
async def read_infoveranstaltungen(
    user: CurrentUser,
    service: Veranstaltungen,
    standort: str | None = None,
    von: datetime | None = None,
    bis: datetime | None = None,
    status: Literal["geplant", "abgesagt"] | None = None,
) -> list[rs.InfoveranstaltungPublic]:
    """Upcoming events with their free places, earliest first (the calendar is generated from its rule)."""
    access.require_process(user, "rechtskreiswechsel", "Infoveranstaltungen")
    return await service.list(standort, von, bis, status)


@router.post("", status_code=201, response_model=rs.InfoveranstaltungPublic, responses=PROBLEMS)
async def create_infoveranstaltung(body: rs.InfoveranstaltungCreate, user: CurrentUser, service: Veranstaltungen) -> rs.InfoveranstaltungPublic:
    """Add an event at a configured location."""
    return await service.create(body, user)


@router.get("/{veranstaltung_id}", response_model=rs.InfoveranstaltungDetail, responses=PROBLEMS)
async def read_infoveranstaltung(veranstaltung_id: s.Id, user: CurrentUser, service: Veranstaltungen) -> rs.InfoveranstaltungDetail:
    """An event with its bookings (cases, never names)."""
    access.require_process(user, "rechtskreiswechsel", "Infoveranstaltungen")
    return await service.read(veranstaltung_id)


@router.patch("/{veranstaltung_id}", response_model=rs.InfoveranstaltungPublic, responses=PROBLEMS)
async def update_infoveranstaltung(
    veranstaltung_id: s.Id, body: rs.InfoveranstaltungUpdate, user: CurrentUser, service: Veranstaltungen
) -> rs.InfoveranstaltungPublic:
    """Change room, address, duration, places (never below the bookings) or time (only without bookings)."""
    return await service.update(veranstaltung_id, body, user)


@router.post("/{veranstaltung_id}/absage", response_model=rs.AbsagePublic, responses=PROBLEMS)
async def create_absage(veranstaltung_id: s.Id, user: CurrentUser, service: Veranstaltungen) -> rs.AbsagePublic:
    """Cancel the event: each booked case is invited to its next event and gets a letter; repeat-safe."""
    return await service.cancel(veranstaltung_id, user)


@router.post("/{veranstaltung_id}/teilnahmen", response_model=s.CasePublic, responses=PROBLEMS)
async def create_teilnahme(
    veranstaltung_id: s.Id, body: rs.TeilnahmeCreate, user: CurrentUser, service: Veranstaltungen, key: IdempotencyKey = None
):
    """Record attendance: teilgenommen starts the R32 deadline, nicht_erschienen books the next event (R33)."""
    status, response = await service.attendance(veranstaltung_id, body, user, key)
    return JSONResponse(response, status_code=status, media_type="application/json" if status == 200 else PROBLEM_JSON)
