"""The staff inbox (tasks, api/usecases/tasks.py) and the outbox (notifications)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import AnyUser, CaseReadsDep, CurrentUser, TasksDep
from api.routes.params import Id, Offset, problems
from api.schemas.cases import NotificationPublic
from api.schemas.tasks import TaskCreate, TaskPublic, TaskReassign

router = APIRouter(tags=["inbox"])
TASK_PROBLEMS = problems(
    {
        401: "Nicht angemeldet",
        403: "Rolle nicht berechtigt",
        404: "Aufgabe unbekannt",
        409: "Bereits erledigt, von anderen übernommen oder nur über ihren eigenen Schritt zu erledigen",
        422: "Ungültige Anfrage",
    }
)


@router.get("/tasks", response_model=list[TaskPublic], responses=TASK_PROBLEMS)
async def read_tasks(
    user: CurrentUser,
    tasks: TasksDep,
    status: Literal["offen", "erledigt"] = "offen",
    case_id: str | None = None,
    mine: bool = False,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> Response:
    """Tasks for the caller's roles: R27 priority, within it Jobturbo first (R25), then due date."""
    found = await tasks.list_json(user, status=status, case_id=case_id, mine=mine, overdue=overdue, limit=limit)
    return Response(found, media_type="application/json")  # response_model above still documents it


@router.post("/tasks", status_code=201, response_model=TaskPublic, responses=TASK_PROBLEMS)
async def create_task(body: TaskCreate, user: CurrentUser, tasks: TasksDep) -> TaskPublic:
    """A task by hand, e.g. for the Arbeitgeberservice (Teamleitung)."""
    return await tasks.create(body, user)


@router.post("/tasks/{task_id}/claim", response_model=TaskPublic, responses=TASK_PROBLEMS)
async def claim_task(task_id: Id, user: CurrentUser, tasks: TasksDep) -> TaskPublic:
    """Take an open task of one's role."""
    return await tasks.claim(task_id, user)


@router.post("/tasks/{task_id}/complete", response_model=TaskPublic, responses=TASK_PROBLEMS)
async def complete_task(task_id: Id, user: CurrentUser, tasks: TasksDep) -> TaskPublic:
    """Mark an open task done."""
    return await tasks.complete(task_id, user)


@router.post("/tasks/{task_id}/reassign", response_model=TaskPublic, responses=TASK_PROBLEMS)
async def reassign_task(task_id: Id, body: TaskReassign, user: CurrentUser, tasks: TasksDep) -> TaskPublic:
    """Hand an open task to another role or person."""
    return await tasks.reassign(task_id, body, user)


@router.get("/notifications", response_model=list[NotificationPublic])
async def read_notifications(
    user: AnyUser,
    reads: CaseReadsDep,
    case_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    offset: Offset = 0,
) -> list[NotificationPublic]:
    """The outbox of the cases the caller may read: letters and Fallübergabe text blocks, oldest first."""
    return await reads.notifications(user, case_id, limit, offset)
