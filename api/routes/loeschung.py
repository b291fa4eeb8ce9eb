"""Erasure of a person's data under Art. 17 DSGVO (persistence/erasure.py), for the Teamleitung."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentUser, DbDep
from api.errors import PROBLEM_JSON, Problem, not_found
from persistence import erasure

router = APIRouter(prefix="/cases", tags=["loeschung"])
TEAMLEITUNG = "teamleitung"
PROBLEMS = {code: {"content": {PROBLEM_JSON: {}}, "description": text} for code, text in {
    401: "Nicht angemeldet", 403: "Nur die Teamleitung", 404: "Fall unbekannt",
    409: "Ein Fall der Person ist noch nicht abgeschlossen (Aufbewahrung)",
}.items()}


class LoeschungPublic(BaseModel):
    loeschung_id: int
    case_ids: list[str]
    counts: dict[str, int]
    erased_at: datetime
    actor: str


@router.post("/{case_id}/loeschung", response_model=LoeschungPublic, responses=PROBLEMS)
async def create_loeschung(case_id: str, user: CurrentUser, db: DbDep) -> LoeschungPublic:
    """Erase the personal data of the person behind the case, in all of their cases (Art. 17 DSGVO).
    Refused with 409 while any of those cases is not final."""
    if TEAMLEITUNG not in user.roles:
        raise Problem(
            403, "role-not-allowed", "Rolle nicht berechtigt", "Löschungen veranlasst nur die Teamleitung.", roles=[TEAMLEITUNG]
        )
    try:
        done = await erasure.erase(db, case_id, user.user, TEAMLEITUNG)
    except erasure.CaseUnknown:
        raise not_found(f"Fall {case_id} ist unbekannt.") from None
    except erasure.CasesStillOpen as refused:
        raise Problem(
            409, "loeschung-nicht-moeglich", "Löschung nicht möglich",
            "Die Daten werden noch benötigt: nicht abgeschlossen sind die Fälle " + ", ".join(refused.case_ids) + ".",
            offene_faelle=refused.case_ids,
        ) from None
    return LoeschungPublic(
        loeschung_id=done.erasure_id, case_ids=done.case_ids, counts=done.counts, erased_at=done.erased_at, actor=done.actor
    )
