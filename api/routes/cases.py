"""Cases: start, list, read, fire a trigger, the audit trail (api/usecases/case_*.py)."""

from __future__ import annotations

from typing import Annotated

import pydantic_core
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime

from api.deps import AnyUser, CaseReadsDep, CasesDep
from api.routes.params import IdempotencyKey, Offset, problems
from api.schemas import cases as s

router = APIRouter(prefix="/cases", tags=["cases"])
PROBLEMS = problems(
    {
        401: "Nicht angemeldet",
        403: "Rolle nicht berechtigt",
        404: "Fall unbekannt",
        409: "Auslöser im aktuellen Zustand nicht möglich",
        422: "Ungültige Anfrage",
        503: "Temporal oder Datenbank nicht erreichbar",
    }
)


@router.post("", status_code=201, response_model=s.CasePublic, responses=PROBLEMS)
async def create_case(body: s.CaseCreate, user: AnyUser, cases: CasesDep, key: IdempotencyKey = None) -> s.CasePublic:
    """Start a process for a person; the same Idempotency-Key returns the same case."""
    return await cases.create(body, user, key)


@router.get("", response_model=s.Page[s.CaseSummary], responses=PROBLEMS)
async def read_cases(
    user: AnyUser,
    reads: CaseReadsDep,
    process: str | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    deadline_before: AwareDatetime | None = None,  # with its offset: a naive time is a 422, not a guess
    regime: Annotated[str | None, Query(max_length=40, examples=["grundsicherung_2026"])] = None,  # R61
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Response:
    """List the cases the caller may read (README "Role matrix"), newest change first."""
    page = await reads.list(
        user,
        process=process,
        state=state,
        overdue=overdue,
        deadline_before=deadline_before,
        regime=regime,
        limit=limit,
        offset=offset,
    )
    # Written once without models; response_model above still documents it (OpenAPI).
    return Response(page.json(), media_type="application/json")


@router.get("/{case_id}", response_model=s.CasePublic, responses=PROBLEMS)
async def read_case(case_id: str, user: AnyUser, reads: CaseReadsDep) -> s.CasePublic:
    """A case with its state, facts, deadlines and the triggers the caller may fire."""
    return await reads.read(case_id, user)


@router.post("/{case_id}/transitions", response_model=s.CasePublic, responses=PROBLEMS)
async def create_transition(
    case_id: str, body: s.TransitionCreate, user: AnyUser, cases: CasesDep, key: IdempotencyKey = None
) -> Response:
    """Fire a trigger; a refused one changes nothing. Repeat-safe with Idempotency-Key."""
    answer = await cases.transition(case_id, body, user, key)  # CasePublic as JSON values
    return Response(pydantic_core.to_json(answer), media_type="application/json")  # pydantic-core, not json


@router.get("/{case_id}/events", response_model=list[s.EventPublic], responses=PROBLEMS)
async def read_case_events(case_id: str, user: AnyUser, reads: CaseReadsDep) -> list[s.EventPublic]:
    """The audit trail, oldest first."""
    return await reads.events(case_id, user)
