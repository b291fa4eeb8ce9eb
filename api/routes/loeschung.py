"""Erasure of a person's data under Art. 17 DSGVO (api/usecases/erasure.py), for the Teamleitung."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, ErasureDep
from api.routes.params import problems
from api.schemas.loeschung import LoeschungPublic

router = APIRouter(prefix="/cases", tags=["loeschung"])
PROBLEMS = problems(
    {
        401: "Nicht angemeldet",
        403: "Nur die Teamleitung",
        404: "Fall unbekannt",
        409: "Ein Fall der Person ist noch nicht abgeschlossen (Aufbewahrung), oder die Daten sind bereits gelöscht",
    }
)


@router.post("/{case_id}/loeschung", response_model=LoeschungPublic, responses=PROBLEMS)
async def create_loeschung(case_id: str, user: CurrentUser, erasure: ErasureDep) -> LoeschungPublic:
    """Erase the personal data of the person behind the case, in all of their cases (Art. 17 DSGVO).
    Refused with 409 while any of those cases is not final."""
    return await erasure.erase(case_id, user)
