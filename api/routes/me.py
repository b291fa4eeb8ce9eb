"""Who the bearer token belongs to: name, Fahrplan roles and (participants) the own case."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import AnyUser
from api.errors import PROBLEM_JSON

router = APIRouter(tags=["auth"])


class Me(BaseModel):
    user: str
    roles: list[str]
    case_id: str | None = None


@router.get(
    "/me", response_model=Me,
    responses={code: {"content": {PROBLEM_JSON: {}}, "description": text} for code, text in {
        401: "Nicht angemeldet", 403: "Keine Fahrplan-Rolle", 503: "Anmeldedienst nicht erreichbar"}.items()},
)
async def read_me(user: AnyUser) -> Me:
    """The caller as Fahrplan sees them (roles the token carries that Fahrplan knows)."""
    return Me(user=user.user, roles=sorted(user.roles), case_id=user.case_id)
