"""Who the bearer token belongs to: name, Fahrplan roles and (participants) the own case."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import AnyUser
from api.routes.params import problems

router = APIRouter(tags=["auth"])


class Me(BaseModel):
    user: str
    roles: list[str]
    case_id: str | None = None


@router.get(
    "/me",
    response_model=Me,
    responses=problems({401: "Nicht angemeldet", 403: "Keine Fahrplan-Rolle", 503: "Anmeldedienst nicht erreichbar"}),
)
async def read_me(user: AnyUser) -> Me:
    """The caller as Fahrplan sees them (roles the token carries that Fahrplan knows)."""
    return Me(user=user.user, roles=sorted(user.roles), case_id=user.case_id)
