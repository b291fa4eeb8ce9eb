"""Participant access to a case (R22): issue (token shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, ZugaengeDep
from api.routes.params import Id, problems
from api.schemas.teilnehmendenzugang import ZugangIssued, ZugangPublic

router = APIRouter(prefix="/cases/{case_id}/teilnehmendenzugang", tags=["teilnehmendenzugang"])
PROBLEMS = problems(
    {
        401: "Nicht angemeldet",
        403: "Nur Jobcoach oder IFK",
        404: "Fall oder Zugang unbekannt",
        409: "Fall abgeschlossen",
        422: "Ungültige Anfrage",
    }
)


@router.post("", status_code=201, response_model=ZugangIssued, responses=PROBLEMS)
async def create_zugang(case_id: str, user: CurrentUser, zugaenge: ZugaengeDep) -> ZugangIssued:
    """Issue an access for the case's participant: the token is shown in this answer only."""
    return await zugaenge.issue(case_id, user)


@router.get("", response_model=list[ZugangPublic], responses=PROBLEMS)
async def read_zugaenge(case_id: str, user: CurrentUser, zugaenge: ZugaengeDep) -> list[ZugangPublic]:
    """The case's participant accesses, newest first (never their tokens)."""
    return await zugaenge.list(case_id, user)


@router.post("/{zugang_id}/widerrufen", response_model=ZugangPublic, responses=PROBLEMS)
async def revoke_zugang(case_id: str, zugang_id: Id, user: CurrentUser, zugaenge: ZugaengeDep) -> ZugangPublic:
    """Revoke an access at once; its token no longer signs in."""
    return await zugaenge.revoke(case_id, zugang_id, user)
