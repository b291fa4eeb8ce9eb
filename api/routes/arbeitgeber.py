"""Arbeitgeberservice (R28): employers and network partners, conversations, AGS tasks
(api/usecases/arbeitgeber.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ArbeitgeberDep, CurrentUser
from api.routes.params import Id, problems
from api.schemas import arbeitgeber as ag
from api.schemas.tasks import TaskPublic

router = APIRouter(prefix="/arbeitgeber", tags=["arbeitgeber"])
PROBLEMS = problems(
    {
        401: "Nicht angemeldet",
        403: "Rolle nicht berechtigt",
        404: "Arbeitgeber, Netzwerkpartner oder Fall unbekannt",
        422: "Ungültige Anfrage",
    }
)


@router.get("", response_model=list[ag.KontaktPublic], responses=PROBLEMS)
async def read_arbeitgeber(
    user: CurrentUser,
    service: ArbeitgeberDep,
    art: ag.KontaktArt | None = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ag.KontaktPublic]:
    """Employers and network partners, by name."""
    return await service.list(user, art, name, limit)


@router.post("", status_code=201, response_model=ag.KontaktPublic, responses=PROBLEMS)
async def create_arbeitgeber(body: ag.KontaktCreate, user: CurrentUser, service: ArbeitgeberDep) -> ag.KontaktPublic:
    """A new employer or network partner (organisation data only)."""
    return await service.create(body, user)


@router.post("/aufgaben", status_code=201, response_model=TaskPublic, responses=PROBLEMS)
async def create_ags_aufgabe(body: ag.AgsAufgabeCreate, user: CurrentUser, service: ArbeitgeberDep) -> TaskPublic:
    """AGS work as a priority-4 task for the Jobcoaches (R27, R28)."""
    return await service.aufgabe(body, user)


@router.get("/{kontakt_id}", response_model=ag.KontaktPublic, responses=PROBLEMS)
async def read_arbeitgeber_kontakt(kontakt_id: Id, user: CurrentUser, service: ArbeitgeberDep) -> ag.KontaktPublic:
    """One employer or network partner."""
    return await service.read(kontakt_id, user)


@router.patch("/{kontakt_id}", response_model=ag.KontaktPublic, responses=PROBLEMS)
async def update_arbeitgeber(
    kontakt_id: Id, body: ag.KontaktUpdate, user: CurrentUser, service: ArbeitgeberDep
) -> ag.KontaktPublic:
    """Change an employer's or partner's data."""
    return await service.update(kontakt_id, body, user)


@router.get("/{kontakt_id}/gespraeche", response_model=list[ag.GespraechPublic], responses=PROBLEMS)
async def read_gespraeche(kontakt_id: Id, user: CurrentUser, service: ArbeitgeberDep) -> list[ag.GespraechPublic]:
    """Conversations with the employer or partner, newest first."""
    return await service.gespraeche(kontakt_id, user)


@router.post("/{kontakt_id}/gespraeche", status_code=201, response_model=ag.GespraechPublic, responses=PROBLEMS)
async def create_gespraech(
    kontakt_id: Id, body: ag.GespraechCreate, user: CurrentUser, service: ArbeitgeberDep
) -> ag.GespraechPublic:
    """Document a conversation with the employer or partner (R15, R28)."""
    return await service.gespraech(kontakt_id, body, user)
