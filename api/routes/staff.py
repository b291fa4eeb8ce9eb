"""The staff directory: the staff ids Fahrplan knows (recorded at sign-in, api/auth.py), the only
values fields naming a member of staff accept (persistence/staff.py)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentUser, DbDep
from api.errors import PROBLEM_JSON
from persistence.staff import list_staff

router = APIRouter(tags=["staff"])


class StaffPublic(BaseModel):
    user_id: str
    roles: list[str]
    first_seen_at: datetime


@router.get(
    "/staff",
    response_model=list[StaffPublic],
    responses={
        code: {"content": {PROBLEM_JSON: {}}, "description": text}
        for code, text in {401: "Nicht angemeldet", 403: "Nur für Mitarbeitende"}.items()
    },
)
async def read_staff(user: CurrentUser, db: DbDep) -> list[StaffPublic]:
    """Every known staff id with its roles (for fields such as `fachkraft` or `schlichtungsperson`)."""
    async with db.unit_of_work(read_only=True) as session:
        return [
            StaffPublic(user_id=s.user_id, roles=s.roles, first_seen_at=s.first_seen_at)
            for s in await list_staff(session)
        ]
