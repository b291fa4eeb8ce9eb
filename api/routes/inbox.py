"""The staff inbox (tasks) and the outbox (notifications)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from api import access
from api import schemas as s
from api.deps import AnyUser, CurrentUser, DbDep
from api.errors import PROBLEM_JSON
from api.inbox import InboxService, TaskCreate, TaskReassign
from persistence import models as m

router = APIRouter(tags=["inbox"])


async def _inbox(request: Request) -> InboxService:
    return InboxService(request.app.state.db)


Inbox = Annotated[InboxService, Depends(_inbox)]
TASK_PROBLEMS = {code: {"content": {PROBLEM_JSON: {}}, "description": text} for code, text in {
    401: "Nicht angemeldet", 403: "Rolle nicht berechtigt", 404: "Aufgabe unbekannt",
    409: "Bereits erledigt, von anderen übernommen oder nur über ihren eigenen Schritt zu erledigen", 422: "Ungültige Anfrage",
}.items()}


@router.get("/tasks", response_model=list[s.TaskPublic], responses=TASK_PROBLEMS)
async def read_tasks(
    user: CurrentUser, inbox: Inbox, status: Literal["offen", "erledigt"] = "offen", case_id: str | None = None,
    mine: bool = False, overdue: bool | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[s.TaskPublic]:
    """Tasks for the caller's roles: Jobturbo first (R25), then R27 priority, then due date."""
    return await inbox.list(user, status=status, case_id=case_id, mine=mine, overdue=overdue, limit=limit)


@router.post("/tasks", status_code=201, response_model=s.TaskPublic, responses=TASK_PROBLEMS)
async def create_task(body: TaskCreate, user: CurrentUser, inbox: Inbox) -> s.TaskPublic:
    """A task by hand, e.g. for the Arbeitgeberservice (Teamleitung)."""
    return await inbox.create(body, user)


@router.post("/tasks/{task_id}/claim", response_model=s.TaskPublic, responses=TASK_PROBLEMS)
async def claim_task(task_id: s.Id, user: CurrentUser, inbox: Inbox) -> s.TaskPublic:
    """Take an open task of one's role."""
    return await inbox.claim(task_id, user)


@router.post("/tasks/{task_id}/complete", response_model=s.TaskPublic, responses=TASK_PROBLEMS)
async def complete_task(task_id: s.Id, user: CurrentUser, inbox: Inbox) -> s.TaskPublic:
    """Mark an open task done."""
    return await inbox.complete(task_id, user)


@router.post("/tasks/{task_id}/reassign", response_model=s.TaskPublic, responses=TASK_PROBLEMS)
async def reassign_task(task_id: s.Id, body: TaskReassign, user: CurrentUser, inbox: Inbox) -> s.TaskPublic:
    """Hand an open task to another role or person."""
    return await inbox.reassign(task_id, body, user)


@router.get("/notifications", response_model=list[s.NotificationPublic])
async def read_notifications(
    user: AnyUser, db: DbDep, case_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100, offset: s.Offset = 0,
) -> list[s.NotificationPublic]:
    """The outbox of the cases the caller may read: letters and Fallübergabe text blocks, oldest first."""
    stmt = select(m.Notification).join(m.Case, m.Case.case_id == m.Notification.case_id)
    stmt = stmt.where(access.scope(user, m.Case.case_id, m.Case.process))
    if case_id:
        await access.require_case(db, user, case_id)  # 404 for a case the caller may not read
        stmt = stmt.where(m.Notification.case_id == case_id)
    async with db.unit_of_work(read_only=True) as session:
        rows = await session.scalars(stmt.order_by(m.Notification.id).limit(limit).offset(offset))
        return [s.NotificationPublic.model_validate(n, from_attributes=True) for n in rows]
