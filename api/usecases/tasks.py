"""The staff inbox: list, create, claim, complete, reassign (R5, R21, R27).

Order: the R27 priority (1 group session, 2 scheduled clearing appointments,
3 clearing from warm handovers, 4 employer service, 5 everything else), within
it Jobturbo first (R25: never above a higher priority), then the due date. Tasks a workflow opened close
by themselves on the transition that resolves them; by hand they are completed
here. A task is acted on by its role; the Teamleitung may also reassign any.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic_core import to_json
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from api.schemas.tasks import TaskCreate, TaskPublic, TaskReassign
from api.usecases.actors import User
from persistence import models as m
from persistence.db import Database, as_utc
from persistence.prepared import Prepared
from statemachines.policy import Policy
from statemachines.refusals import DomainError, conflict, invalid, role_not_allowed, unknown
from statemachines.roles import ADD_TASKS, REASSIGN_ANY_TASK, STAFF_ROLES
from statemachines.spec import Process

PREFIX = "/api/v1"
OFFEN, ERLEDIGT = "offen", "erledigt"
# Tasks that close only through their own step, not by "complete".
RESOLVED_ELSEWHERE = {
    "gc_entscheidung": "Die Entscheidung zur Sitzung wird mit POST {link}/entscheidung erfasst (R21)."
}
REF_LINKS = {"sitzung": PREFIX + "/sitzungen/{}"}


def _invalid_role(role: str) -> DomainError:
    return invalid("invalid-role", "Unbekannte Rolle", f"Rolle {role} gibt es nicht.", roles=list(STAFF_ROLES))


def _conflict(detail: str, task: m.Task) -> DomainError:
    return conflict("task-conflict", "Nicht möglich", detail, status_aufgabe=task.status, assignee=task.assignee)


def link(task: m.Task) -> str | None:
    if task.case_id:
        return f"{PREFIX}/cases/{task.case_id}"
    kind, _, key = (task.ref or "").partition(":")
    return REF_LINKS[kind].format(key) if kind in REF_LINKS else None


def task_fields(t, now: datetime) -> dict[str, Any]:
    """A task row (ORM object or Core row) as TaskPublic's fields, in its order: stored values."""
    due = as_utc(t.due)
    return {
        "id": t.id,
        "case_id": t.case_id,
        "case_url": f"{PREFIX}/cases/{t.case_id}" if t.case_id else None,
        "kind": t.kind,
        "role": t.role,
        "title": t.title,
        "priority": t.priority,
        "due": due,
        "overdue": t.status == OFFEN and due < now,
        "status": t.status,
        "assignee": t.assignee,
        "created_at": as_utc(t.created_at),
        "vorrang": t.vorrang,
        "ref": t.ref,
        "link": link(t),
        "closed_at": as_utc(t.closed_at),
        "closed_by": t.closed_by,
    }


def task_public(t, now: datetime) -> TaskPublic:
    """From a task row: stored values, so built without validating again."""
    return TaskPublic.model_construct(**task_fields(t, now))


def start_tasks(process: Process, case_id: str, facts: Any, policy: Policy, now: datetime) -> list[m.Task]:
    """R17: the tasks the start of a case opens, written with its first event (sequence 0) by
    whoever writes that event: here the API, else record_transition."""
    return [
        m.Task(
            case_id=case_id,
            sequence=0,
            kind=spec.kind,
            role=spec.role,
            title=spec.title,
            priority=spec.priority_for(facts, policy),
            due=spec.due_at(facts, policy, now),
            state=process.initial,
            status=OFFEN,
            created_at=now,
            vorrang=spec.precedence is not None and spec.precedence.test(facts, policy),
        )
        for spec in process.start_tasks
        if spec.opens(facts, policy)
    ]


# Table columns, not the mapped class's attributes: a statement built from those is an ORM
# statement, which Session.execute runs through the ORM's compile and result layers (about 60 us
# more per call on SQLite), although it returns plain rows all the same.
_tasks, _cases = m.Task.__table__, m.Case.__table__
INBOX_ORDER = (_tasks.c.priority, _tasks.c.vorrang.desc(), _tasks.c.due, _tasks.c.id)  # R27, ix_tasks_inbox


def inbox_query(
    user: User,
    *,
    status: str,
    case_id: str | None,
    mine: bool,
    overdue: bool | None,
    limit: int,
    now,
    process: str | None = None,
):
    """The statement of GET /tasks: Core rows, no ORM objects (bench/people.py runs the same SQL directly)."""
    stmt = select(*_tasks.c).where(_tasks.c.role.in_(sorted(user.roles)), _tasks.c.status == status)
    if case_id:
        stmt = stmt.where(_tasks.c.case_id == case_id)
    if process:  # tasks of cases of one process (the workbench's filter)
        stmt = stmt.where(_tasks.c.case_id.in_(select(_cases.c.case_id).where(_cases.c.process == process)))
    if mine:
        stmt = stmt.where(_tasks.c.assignee == user.user)
    if overdue is not None:
        stmt = stmt.where((_tasks.c.due < now) if overdue else (_tasks.c.due >= now))
    return stmt.order_by(*INBOX_ORDER).limit(limit)


# Core rows, built once: read after every transition for its answer (no ORM objects to load).
CASE_OPEN_TASKS = Prepared(
    select(*_tasks.c).where(_tasks.c.case_id == bindparam("b_case_id"), _tasks.c.status == OFFEN).order_by(*INBOX_ORDER)
)


def open_tasks(session: Session, case_id: str) -> list[TaskPublic]:
    """The case's open tasks, every role's, in inbox order. Sync (`Database.run`, `run_sync`)."""
    now = datetime.now(UTC)
    return [task_public(t, now) for t in CASE_OPEN_TASKS.all(session, {"b_case_id": case_id})]


T = TypeVar("T")


class Tasks:
    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    async def list(self, user: User, **filters: Any) -> list[TaskPublic]:
        """The inbox: `filters` are inbox_query's (status, case_id, mine, overdue, limit, process)."""
        return await self._rows(user, task_public, filters)

    async def list_json(self, user: User, **filters: Any) -> bytes:
        """GET /tasks as JSON bytes, the same as `list`'s models dumped: the rows go to JSON as
        dicts, without building a model each (model_construct was most of a 100-row page's time)."""
        return to_json(await self._rows(user, task_fields, filters))

    async def _rows(self, user: User, build: Callable[[Any, datetime], T], filters: dict[str, Any]) -> list[T]:
        now = self.now()
        stmt = inbox_query(user, now=now, **filters)
        # A sync session in the database's thread: a page of 100 rows through the async driver cost
        # several times the query itself (bench/people.py).
        return await self.db.run(lambda session: [build(t, now) for t in session.execute(stmt)], read_only=True)

    async def create(self, body: TaskCreate, user: User) -> TaskPublic:
        if not user.roles & ADD_TASKS.roles:
            raise role_not_allowed("Aufgaben von Hand anlegen darf nur: " + ", ".join(sorted(ADD_TASKS.roles)) + ".")
        if body.role not in STAFF_ROLES:
            raise _invalid_role(body.role)
        now = self.now()
        async with self.db.unit_of_work() as session:
            if body.case_id and await session.get(m.Case, body.case_id) is None:
                raise unknown(f"Fall {body.case_id} ist unbekannt.")
            task = await add_task_by_hand(
                session,
                case_id=body.case_id,
                kind=body.kind,
                role=body.role,
                title=body.title,
                priority=body.priority,
                due=body.due,
                now=now,
            )
            return task_public(task, now)

    async def claim(self, task_id: int, user: User) -> TaskPublic:
        async with self.db.unit_of_work() as session:
            task = await self._open_task(session, task_id, user)
            if task.assignee not in (None, user.user):
                raise _conflict(f"Aufgabe {task_id} hat bereits {task.assignee} übernommen.", task)
            task.assignee = user.user
            return task_public(task, self.now())

    async def complete(self, task_id: int, user: User) -> TaskPublic:
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

    async def reassign(self, task_id: int, body: TaskReassign, user: User) -> TaskPublic:
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
            raise unknown(f"Aufgabe {task_id} ist unbekannt.")
        if task.role not in user.roles and not (lead_may and user.roles & REASSIGN_ANY_TASK.roles):
            raise role_not_allowed(f"Aufgabe {task_id} gehört zur Rolle {task.role}.", role=task.role)
        if task.status != OFFEN:
            raise _conflict(f"Aufgabe {task_id} ist bereits erledigt.", task)
        return task


async def add_task_by_hand(
    session,
    *,
    case_id: str | None,
    kind: str,
    role: str,
    title: str,
    priority: int,
    due: datetime | None,
    now: datetime,
) -> m.Task:
    """A task a member of staff creates (no transition raised it: no sequence, no state, no R27 precedence)."""
    task = m.Task(
        case_id=case_id,
        sequence=None,
        kind=kind,
        role=role,
        title=title,
        priority=priority,
        due=due,
        state=None,
        status=OFFEN,
        created_at=now,
        vorrang=False,
    )
    session.add(task)
    await session.flush()
    return task
