"""Group sessions and bookings (R20–R22): staff plan and decide, participants book."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response

from api.deps import AnyUser, CurrentUser
from api.deps import BuchungenDep as Buchungen
from api.deps import SitzungenDep as Sitzungen
from api.routes.params import Id, IdQuery, problems
from api.schemas import sitzungen as gs

router = APIRouter(tags=["gruppencoaching"])
PROBLEMS = problems(
    {
        401: "Nicht angemeldet",
        403: "Nicht erlaubt (Rolle)",
        404: "Unbekannt",
        409: "Nicht möglich (z. B. ausgebucht, schon gebucht, keine Entscheidung offen)",
        422: "Ungültige Anfrage",
    }
)


@router.post("/sitzungen/plan", status_code=201, response_model=list[gs.SitzungPublic], responses=PROBLEMS)
async def create_sitzungsplan(
    body: gs.SitzungsplanCreate, user: CurrentUser, service: Sitzungen
) -> list[gs.SitzungPublic]:
    """Generate the weekly schedule from the policy (R20) and start each session's R21 check; repeat-safe."""
    return await service.plan(body, user)


@router.get("/sitzungen", response_model=list[gs.SitzungPublic], responses=PROBLEMS)
async def read_sitzungen(
    user: AnyUser, service: Sitzungen, von: datetime | None = None, bis: datetime | None = None
) -> list[gs.SitzungPublic]:
    """Sessions with their free places, earliest first (participants too: to choose one)."""
    return await service.list(von, bis)


@router.get("/sitzungen/{sitzung_id}", response_model=gs.SitzungDetail, responses=PROBLEMS)
async def read_sitzung(sitzung_id: Id, user: CurrentUser, service: Sitzungen) -> gs.SitzungDetail:
    """A session with its bookings and attendance (staff who work on group coaching)."""
    return await service.read(sitzung_id, user)


@router.post("/sitzungen/{sitzung_id}/entscheidung", response_model=gs.SitzungPublic, responses=PROBLEMS)
async def create_entscheidung(
    sitzung_id: Id, body: gs.EntscheidungCreate, user: CurrentUser, service: Sitzungen
) -> gs.SitzungPublic:
    """R21: run it, shorten it, mini-group or individual coaching; closes the decision task."""
    return await service.decide(sitzung_id, body, user)


@router.post("/sitzungen/{sitzung_id}/buchungen", status_code=201, response_model=gs.BuchungPublic, responses=PROBLEMS)
async def create_buchung(sitzung_id: Id, body: gs.BuchungCreate, user: AnyUser, service: Buchungen) -> gs.BuchungPublic:
    """Book a place (R22): participants for themselves, Jobcoaches for a named case."""
    return await service.book(sitzung_id, body, user)


@router.get("/buchungen", response_model=list[gs.BuchungPublic], responses=PROBLEMS)
async def read_buchungen(
    user: AnyUser, service: Buchungen, case_id: str | None = None, sitzung_id: IdQuery = None
) -> list[gs.BuchungPublic]:
    """Bookings; a participant sees only their own."""
    return await service.bookings(user, case_id, sitzung_id)


@router.get("/buchungen/{buchung_id}", response_model=gs.BuchungPublic, responses=PROBLEMS)
async def read_buchung(buchung_id: Id, user: AnyUser, service: Buchungen) -> gs.BuchungPublic:
    """One booking; someone else's is unknown (404) to a participant."""
    return await service.booking(buchung_id, user)


@router.delete("/buchungen/{buchung_id}", status_code=204, responses=PROBLEMS)
async def delete_buchung(buchung_id: Id, user: AnyUser, service: Buchungen) -> Response:
    """Cancel a place before the session begins; cancelling twice changes nothing."""
    await service.cancel(buchung_id, user)
    return Response(status_code=204)


@router.put("/buchungen/{buchung_id}/anwesenheit", response_model=gs.BuchungPublic, responses=PROBLEMS)
async def update_anwesenheit(
    buchung_id: Id, body: gs.AnwesenheitUpdate, user: CurrentUser, service: Buchungen
) -> gs.BuchungPublic:
    """Jobcoaches record whether the participant attended."""
    return await service.attend(buchung_id, body, user)
