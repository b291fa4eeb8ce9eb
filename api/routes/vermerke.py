"""Gesprächsvermerke on a case (R15) and the Termin-Textbausteine (api/usecases/vermerke.py)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, VermerkeDep
from api.routes.params import IdempotencyKey, problems
from api.schemas.vermerke import TextbausteinPublic, VermerkCreate, VermerkPublic

router = APIRouter(tags=["vermerke"])
PROBLEMS = problems(
    {
        401: "Nicht angemeldet",
        403: "Nur für Mitarbeitende",
        404: "Fall unbekannt",
        409: "Daten bereits gelöscht",
        422: "Ungültige Anfrage",
    }
)


@router.get("/textbausteine", response_model=list[TextbausteinPublic], responses=PROBLEMS)
async def read_textbausteine(user: CurrentUser, vermerke: VermerkeDep) -> list[TextbausteinPublic]:
    """The configured Termin-Textbausteine (R15) a Vermerk is written with."""
    return vermerke.textbausteine()


@router.post("/cases/{case_id}/vermerke", status_code=201, response_model=VermerkPublic, responses=PROBLEMS)
async def create_vermerk(
    case_id: str, body: VermerkCreate, user: CurrentUser, vermerke: VermerkeDep, key: IdempotencyKey = None
) -> VermerkPublic:
    """Document a conversation on the case without changing its state; repeat-safe with Idempotency-Key."""
    return await vermerke.create(case_id, body, user, key)


@router.get("/cases/{case_id}/vermerke", response_model=list[VermerkPublic], responses=PROBLEMS)
async def read_vermerke(case_id: str, user: CurrentUser, vermerke: VermerkeDep) -> list[VermerkPublic]:
    """The case's Vermerke, oldest first."""
    return await vermerke.list(case_id, user)
