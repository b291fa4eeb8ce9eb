"""The inbox at `/`: the user's open tasks in R27 order (api/usecases/tasks.py), claim,
complete and (team lead) reassign; filters mine / overdue / process as a GET form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from api.pages import core
from api.schemas.tasks import TaskReassign
from statemachines import PROCESSES
from statemachines.refusals import DomainError
from statemachines.roles import REASSIGN_ANY_TASK, STAFF_ROLES

router = APIRouter(include_in_schema=False)
LIMIT = 50  # the most urgent first (R27); the filters narrow it down


@router.get("/")
async def inbox(request: Request) -> Response:
    user = core.user_of(request)
    q = request.query_params
    mine, overdue, process = q.get("meine") == "1", q.get("ueberfaellig") == "1", q.get("prozess", "")
    if process not in PROCESSES:
        process = ""
    tasks = await request.app.state.usecases.tasks.list(
        user,
        status="offen",
        case_id=None,
        mine=mine,
        overdue=True if overdue else None,
        limit=LIMIT,
        process=process or None,
    )
    processes = {name: p.label for name, p in PROCESSES.items()}
    return core.render(
        request,
        "inbox.html",
        title="Posteingang",
        tasks=tasks,
        limit=LIMIT,
        mine=mine,
        overdue=overdue,
        process=process,
        processes=processes,
        roles=[(r, core.ROLE_LABELS.get(r, r)) for r in STAFF_ROLES],
        may_reassign=bool(user.roles & REASSIGN_ANY_TASK.roles),
        hinweis=q.get("hinweis", ""),
        fehler=q.get("fehler", ""),
    )


@router.post("/aufgaben/{task_id}/{action}")
async def act(request: Request, task_id: int, action: str) -> Response:
    checked = await core.checked_form(request)
    if isinstance(checked, Response):
        return checked
    found, fields = checked
    tasks = request.app.state.usecases.tasks
    back = core.safe_next(core.first(fields, "zurueck") or "/")
    try:
        if action == "uebernehmen":
            await tasks.claim(task_id, found.user)
            message = f"Aufgabe {task_id} übernommen."
        elif action == "erledigen":
            await tasks.complete(task_id, found.user)
            message = f"Aufgabe {task_id} erledigt."
        elif action == "zuweisen":
            role, assignee = core.first(fields, "rolle") or None, core.first(fields, "person").strip() or None
            await tasks.reassign(task_id, TaskReassign(role=role, assignee=assignee), found.user)
            message = f"Aufgabe {task_id} neu zugewiesen."
        else:
            return core.render(
                request, "message.html", 404, title="Nicht gefunden", message="Diese Aktion gibt es nicht."
            )
    except DomainError as refused:
        return core.see_other(back, error=f"{refused.title}: {refused.detail}")
    except ValidationError:
        return core.see_other(back, error="Bitte eine Rolle oder eine Person angeben.")
    return core.see_other(back, message)
