"""People (R14): search, and the Fallakte of one person (R13, R16)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import TypeAdapter

from api.deps import CurrentUser, FallakteDep, PeopleDep
from api.routes.params import problems
from api.schemas.common import UUID_PATTERN
from api.schemas.people import Fallakte, PersonTreffer

router = APIRouter(prefix="/people", tags=["people"])
PROBLEMS = problems(
    {401: "Nicht angemeldet", 403: "Nur für Mitarbeitende", 404: "Person unbekannt", 422: "Ungültige Anfrage"}
)
TREFFER = TypeAdapter(list[PersonTreffer])
PersonId = Annotated[str, Path(pattern=UUID_PATTERN, max_length=36)]


@router.get("", response_model=list[PersonTreffer], responses=PROBLEMS)
async def read_people(
    user: CurrentUser,
    people: PeopleDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Name, Geburtsdatum oder Kundennummer")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """People with a case in the caller's processes whose names start with every word of `q`
    (case and umlauts do not matter), born on a date in `q` (TT.MM.JJJJ), or with that Kundennummer."""
    found = await people.search(user, q, limit)
    return Response(TREFFER.dump_json(found), media_type="application/json")  # built once, not validated again


@router.get("/{person_id}", response_model=Fallakte, responses=PROBLEMS)
async def read_fallakte(person_id: PersonId, user: CurrentUser, fallakte: FallakteDep) -> Fallakte:
    """The Fallakte: the person's cases the caller may read, with states, deadlines, open tasks,
    the last Vermerke and the Kooperationsplan in force (R16)."""
    return await fallakte.read(person_id, user)
