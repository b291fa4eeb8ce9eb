"""The staff inbox (tasks) and the outbox (notifications)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api import schemas as s
from api.deps import CurrentUser, DbDep
from persistence import models as m

router = APIRouter(tags=["inbox"])


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


@router.get("/tasks", response_model=list[s.TaskPublic])
async def read_tasks(
    user: CurrentUser, db: DbDep, status: str = "offen", case_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[s.TaskPublic]:
    """Tasks for the caller's roles, by R27 priority, then due date."""
    stmt = select(m.Task).where(m.Task.role.in_(sorted(user.roles)), m.Task.status == status)
    if case_id:
        stmt = stmt.where(m.Task.case_id == case_id)
    now = datetime.now(timezone.utc)
    async with db.unit_of_work(read_only=True) as session:
        tasks = await session.scalars(stmt.order_by(m.Task.priority, m.Task.due, m.Task.id).limit(limit))
        return [
            s.TaskPublic(
                id=t.id, case_id=t.case_id, case_url=f"/api/v1/cases/{t.case_id}" if t.case_id else None,
                kind=t.kind, role=t.role, title=t.title, priority=t.priority, due=t.due,
                overdue=t.status == "offen" and _aware(t.due) < now, status=t.status, assignee=t.assignee,
                created_at=t.created_at,
            )
            for t in tasks
        ]


@router.get("/notifications", response_model=list[s.NotificationPublic])
async def read_notifications(
    user: CurrentUser, db: DbDep, case_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0,
) -> list[s.NotificationPublic]:
    """The outbox: letters and Fallübergabe text blocks, oldest first."""
    stmt = select(m.Notification)
    if case_id:
        stmt = stmt.where(m.Notification.case_id == case_id)
    async with db.unit_of_work(read_only=True) as session:
        rows = await session.scalars(stmt.order_by(m.Notification.id).limit(limit).offset(offset))
        return [s.NotificationPublic.model_validate(n, from_attributes=True) for n in rows]
