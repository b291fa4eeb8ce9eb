from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime

from api import schemas as s
from api.deps import AnyUser, CasesDep
from api.errors import PROBLEM_JSON

router = APIRouter(prefix="/cases", tags=["cases"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
PROBLEMS = {code: {"content": {PROBLEM_JSON: {}}, "description": text} for code, text in {
    401: "Nicht angemeldet", 403: "Rolle nicht berechtigt", 404: "Fall unbekannt",
    409: "Auslöser im aktuellen Zustand nicht möglich", 422: "Ungültige Anfrage", 503: "Temporal oder Datenbank nicht erreichbar",
}.items()}


@router.post("", status_code=201, response_model=s.CasePublic, responses=PROBLEMS)
async def create_case(body: s.CaseCreate, user: AnyUser, cases: CasesDep, key: IdempotencyKey = None) -> s.CasePublic:
    """Start a process for a person; the same Idempotency-Key returns the same case."""
    return await cases.create(body, user, key)


@router.get("", response_model=s.Page[s.CaseSummary], responses=PROBLEMS)
async def read_cases(
    user: AnyUser,
    cases: CasesDep,
    process: str | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    deadline_before: AwareDatetime | None = None,  # with its offset: a naive time is a 422, not a guess
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: s.Offset = 0,
) -> Response:
    """List the cases the caller may read (README "Role matrix"), newest change first."""
    # The service serializes the page once; response_model above still documents it (OpenAPI).
    body = await cases.list(user, process=process, state=state, overdue=overdue, deadline_before=deadline_before, limit=limit, offset=offset)
    return Response(body, media_type="application/json")


@router.get("/{case_id}", response_model=s.CasePublic, responses=PROBLEMS)
async def read_case(case_id: str, user: AnyUser, cases: CasesDep) -> s.CasePublic:
    """A case with its state, facts, deadlines and the triggers the caller may fire."""
    return await cases.read(case_id, user)


@router.post("/{case_id}/transitions", response_model=s.CasePublic, responses=PROBLEMS)
async def create_transition(case_id: str, body: s.TransitionCreate, user: AnyUser, cases: CasesDep, key: IdempotencyKey = None):
    """Fire a trigger; a refused one changes nothing. Repeat-safe with Idempotency-Key."""
    status, response = await cases.transition(case_id, body, user, key)
    media = "application/json" if status == 200 else PROBLEM_JSON
    return JSONResponse(response, status_code=status, media_type=media)


@router.get("/{case_id}/events", response_model=list[s.EventPublic], responses=PROBLEMS)
async def read_case_events(case_id: str, user: AnyUser, cases: CasesDep) -> list[s.EventPublic]:
    """The audit trail, oldest first."""
    return await cases.events(case_id, user)
