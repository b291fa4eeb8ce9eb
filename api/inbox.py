"""The staff inbox behind the routes: list, create, claim, complete, reassign (R5, R21, R27).

Order: Jobturbo precedence first (R25), then the R27 priority (1 group session,
2 scheduled clearing appointments, 3 clearing from warm handovers, 4 employer
service, 5 everything else), then the due date. Tasks a workflow opened close
by themselves on the transition that resolves them; by hand they are completed
here. A task is acted on by its role; the Teamleitung may also reassign any.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from api import schemas as s
from api.auth import User
from api.errors import Problem, not_found
from persistence import models as m
from persistence.db import Database, as_utc
from runtime.settings import PARTICIPANT, ROLES

PREFIX = "/api/v1"
STAFF_ROLES = tuple(r for r in ROLES if r != PARTICIPANT)
LEAD = "teamleitung"
OFFEN, ERLEDIGT = "offen", "erledigt"
# Tasks that close only through their own step, not by "complete".
RESOLVED_ELSEWHERE = {"gc_entscheidung": "Die Entscheidung zur Sitzung wird mit POST {link}/entscheidung erfasst (R21)."}
REF_LINKS = {"sitzung": PREFIX + "/sitzungen/{}"}


class TaskCreate(BaseModel):
    """A task by hand (e.g. for the Arbeitgeberservice, R27 priority 4)."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{1,59}$", examples=["ags_stellenangebot"])
    role: str = Field(max_length=40)
    title: str = Field(min_length=1, max_length=300)
    priority: int = Field(5, ge=1, le=5, description="R27: 1 Gruppensitzung, 2 Clearingtermin, 3 warme Übergabe, 4 AGS, 5 sonst")
    due: AwareDatetime
    case_id: s.CaseId | None = None


class TaskReassign(BaseModel):
    """Give the task to another role and/or person; at least one of them."""

    model_config = ConfigDict(extra="forbid")
    role: str | None = Field(None, max_length=40)
    assignee: str | None = Field(None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _something(self) -> TaskReassign:
        if self.role is None and self.assignee is None:
            raise ValueError("role oder assignee angeben")
        return self


def _invalid_role(role: str) -> Problem:
    return Problem(422, "invalid-role", "Unbekannte Rolle", f"Rolle {role} gibt es nicht.", roles=list(STAFF_ROLES))


def _conflict(detail: str, task: m.Task) -> Problem:
    return Problem(409, "task-conflict", "Nicht möglich", detail, status_aufgabe=task.status, assignee=task.assignee)


def link(task: m.Task) -> str | None:
    if task.case_id:
        return f"{PREFIX}/cases/{task.case_id}"
    kind, _, key = (task.ref or "").partition(":")
    return REF_LINKS[kind].format(key) if kind in REF_LINKS else None


def task_public(t: m.Task, now: datetime) -> s.TaskPublic:
    return s.TaskPublic(
        id=t.id, case_id=t.case_id, case_url=f"{PREFIX}/cases/{t.case_id}" if t.case_id else None,
        kind=t.kind, role=t.role, title=t.title, priority=t.priority, due=as_utc(t.due),
        overdue=t.status == OFFEN and as_utc(t.due) < now, status=t.status, assignee=t.assignee,
        created_at=as_utc(t.created_at), vorrang=t.vorrang, ref=t.ref, link=link(t),
        closed_at=as_utc(t.closed_at), closed_by=t.closed_by,
    )


class InboxService:
    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    async def list(self, user: User, *, status: str, case_id: str | None, mine: bool, overdue: bool | None, limit: int) -> list[s.TaskPublic]:
        now = self.now()
        stmt = select(m.Task).where(m.Task.role.in_(sorted(user.roles)), m.Task.status == status)
        if case_id:
            stmt = stmt.where(m.Task.case_id == case_id)
        if mine:
            stmt = stmt.where(m.Task.assignee == user.user)
        if overdue is not None:
            stmt = stmt.where((m.Task.due < now) if overdue else (m.Task.due >= now))
        stmt = stmt.order_by(m.Task.vorrang.desc(), m.Task.priority, m.Task.due, m.Task.id).limit(limit)
        async with self.db.unit_of_work(read_only=True) as session:
            return [task_public(t, now) for t in await session.scalars(stmt)]

    async def create(self, body: TaskCreate, user: User) -> s.TaskPublic:
        if LEAD not in user.roles:
            raise Problem(403, "role-not-allowed", "Rolle nicht berechtigt", "Aufgaben von Hand anlegen darf nur: teamleitung.")
        if body.role not in STAFF_ROLES:
            raise _invalid_role(body.role)
        now = self.now()
        async with self.db.unit_of_work() as session:
            if body.case_id and await session.get(m.Case, body.case_id) is None:
                raise not_found(f"Fall {body.case_id} ist unbekannt.")
            task = m.Task(
                case_id=body.case_id, sequence=None, kind=body.kind, role=body.role, title=body.title,
                priority=body.priority, due=body.due, state=None, status=OFFEN, created_at=now, vorrang=False,
            )
            session.add(task)
            await session.flush()
            return task_public(task, now)

    async def claim(self, task_id: int, user: User) -> s.TaskPublic:
        async with self.db.unit_of_work() as session:
            task = await self._open_task(session, task_id, user)
            if task.assignee not in (None, user.user):
                raise _conflict(f"Aufgabe {task_id} hat bereits {task.assignee} übernommen.", task)
            task.assignee = user.user
            return task_public(task, self.now())

    async def complete(self, task_id: int, user: User) -> s.TaskPublic:
        now = self.now()
        async with self.db.unit_of_work() as session:
            task = await self._open_task(session, task_id, user)
            if task.kind in RESOLVED_ELSEWHERE:
                raise _conflict(RESOLVED_ELSEWHERE[task.kind].format(link=link(task)), task)
            if task.assignee not in (None, user.user):
                raise _conflict(f"Aufgabe {task_id} bearbeitet {task.assignee}.", task)
            task.status, task.closed_at, task.closed_by = ERLEDIGT, now, user.user
            task.assignee = task.assignee or user.user
            return task_public(task, now)

    async def reassign(self, task_id: int, body: TaskReassign, user: User) -> s.TaskPublic:
        if body.role is not None and body.role not in STAFF_ROLES:
            raise _invalid_role(body.role)
        async with self.db.unit_of_work() as session:
            task = await self._open_task(session, task_id, user, lead_may=True)
            if body.role is not None and body.role != task.role:
                task.role, task.assignee = body.role, None
            if body.assignee is not None:
                task.assignee = body.assignee
            return task_public(task, self.now())

    async def _open_task(self, session, task_id: int, user: User, lead_may: bool = False) -> m.Task:
        task = await session.get(m.Task, task_id, with_for_update=True)
        if task is None:
            raise not_found(f"Aufgabe {task_id} ist unbekannt.")
        if task.role not in user.roles and not (lead_may and LEAD in user.roles):
            raise Problem(403, "role-not-allowed", "Rolle nicht berechtigt", f"Aufgabe {task_id} gehört zur Rolle {task.role}.", role=task.role)
        if task.status != OFFEN:
            raise _conflict(f"Aufgabe {task_id} ist bereits erledigt.", task)
        return task
