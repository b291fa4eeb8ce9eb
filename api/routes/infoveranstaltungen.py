"""Information events of the Rechtskreiswechsel (R31–R33): the team lead's calendar
(api/usecases/infoveranstaltungen.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import CurrentUser
from api.deps import InfoveranstaltungenDep as Veranstaltungen
from api.errors import status_of
from api.routes.params import Id, IdempotencyKey, problems
from api.schemas import infoveranstaltungen as rs
from api.schemas.cases import CasePublic
from api.usecases.infoveranstaltungen import Absage

router = APIRouter(prefix="/infoveranstaltungen", tags=["infoveranstaltungen"])
PROBLEMS = problems(
    {
        401: "Nicht angemeldet",
        403: "Nur die Teamleitung",
        404: "Veranstaltung oder Fall unbekannt",
        409: "Nicht möglich (abgesagt, nicht gebucht, schon erfasst, Plätze unter Belegung, Zeit doppelt)",
        422: "Ungültige Anfrage",
    }
)


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
    return await service.list(user, standort, von, bis, status)


@router.post("", status_code=201, response_model=rs.InfoveranstaltungPublic, responses=PROBLEMS)
async def create_infoveranstaltung(
    body: rs.InfoveranstaltungCreate, user: CurrentUser, service: Veranstaltungen
) -> rs.InfoveranstaltungPublic:
    """Add an event at a configured location."""
    return await service.create(body, user)


@router.get("/{veranstaltung_id}", response_model=rs.InfoveranstaltungDetail, responses=PROBLEMS)
async def read_infoveranstaltung(
    veranstaltung_id: Id, user: CurrentUser, service: Veranstaltungen
) -> rs.InfoveranstaltungDetail:
    """An event with its bookings (cases, never names)."""
    return await service.read(veranstaltung_id, user)


@router.patch("/{veranstaltung_id}", response_model=rs.InfoveranstaltungPublic, responses=PROBLEMS)
async def update_infoveranstaltung(
    veranstaltung_id: Id, body: rs.InfoveranstaltungUpdate, user: CurrentUser, service: Veranstaltungen
) -> rs.InfoveranstaltungPublic:
    """Change room, address, duration, places (never below the bookings) or time (only without bookings)."""
    return await service.update(veranstaltung_id, body, user)


@router.post("/{veranstaltung_id}/absage", response_model=rs.AbsagePublic, responses=PROBLEMS)
async def create_absage(veranstaltung_id: Id, user: CurrentUser, service: Veranstaltungen) -> rs.AbsagePublic:
    """Cancel the event: each booked case is invited to its next event and gets a letter; repeat-safe."""
    return _absage_public(await service.cancel(veranstaltung_id, user))


@router.post("/{veranstaltung_id}/teilnahmen", response_model=CasePublic, responses=PROBLEMS)
async def create_teilnahme(
    veranstaltung_id: Id,
    body: rs.TeilnahmeCreate,
    user: CurrentUser,
    service: Veranstaltungen,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Record attendance: teilgenommen starts the R32 deadline, nicht_erschienen books the next event (R33)."""
    return JSONResponse(await service.attendance(veranstaltung_id, body, user, key))


def _absage_public(absage: Absage) -> rs.AbsagePublic:
    """Each case's outcome with the HTTP status its transition got (200, or its refusal's)."""
    return rs.AbsagePublic(
        veranstaltung=absage.veranstaltung,
        umgebucht=[
            rs.UmbuchungPublic(
                case_id=u.case_id,
                status=status_of(u.refused) if u.refused else 200,
                veranstaltung_id=u.veranstaltung_id,
                detail=u.refused.detail if u.refused else None,
            )
            for u in absage.umgebucht
        ],
    )
