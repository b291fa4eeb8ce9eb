"""Case reads: one case, the list, its audit trail, its letters. Every read applies the read
rule (access.py): a case the caller may not read is UNKNOWN."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from temporalio.client import Client

from api.schemas.cases import CasePublic, EventPublic, NotificationPublic
from api.usecases import access, case_list, operator_actions, views
from api.usecases.actors import User
from api.usecases.case_list import CaseListPage
from api.usecases.kooperationsplan import plan_schritte
from api.usecases.policies import CasePolicies
from api.usecases.tasks import open_tasks
from persistence import models as m
from persistence.db import Database
from persistence.kooperationsplan import PLAN_PROCESS
from runtime.settings import Settings
from statemachines import PROCESSES


class CaseReads:
    def __init__(self, db: Database, settings: Settings, policies: CasePolicies, client: Client | None = None):
        self.db, self.settings, self.policies = db, settings, policies
        self.client = client  # asks an open case's workflow whether an operator closed or paused it

    def ui_url(self, wid: str) -> str:
        return f"{self.settings.temporal_ui_url}/namespaces/{self.settings.temporal_namespace}/workflows/{wid}"

    async def read(self, case_id: str, user: User) -> CasePublic:
        """The case with its state, facts, deadlines and the triggers the caller may fire now
        (decided with the case's own policy, as its workflow decides)."""
        async with self.db.unit_of_work(read_only=True) as session:
            case = await access.readable_case(session, user, case_id)
            person = await session.get(m.Person, case.person_id) if case.person_id else None
            tasks = await session.run_sync(open_tasks, case_id) if user.staff else []
        paused = False
        if not case.final and self.client is not None:  # terminated, cancelled or paused in the Temporal UI?
            closed, paused = await operator_actions.observe(self.db, self.client, case.case_id, case.workflow_id)
            if closed:
                async with self.db.unit_of_work(read_only=True) as session:
                    case = await access.readable_case(session, user, case_id)
                    tasks = await session.run_sync(open_tasks, case_id) if user.staff else []
        machine = await self.policies.machine(case.process, case.policy_id, case.regime)
        public = views.case_public(case, person, machine, user.roles, self.ui_url(case.workflow_id), tasks)
        schritte = None
        if case.process == PLAN_PROCESS:  # R47: the review starts from the steps and their status
            async with self.db.unit_of_work(read_only=True) as session:
                schritte = await plan_schritte(session, case.case_id)
        return public.model_copy(
            update={"angehalten": paused, "closed_reason": case.closed_reason, "plan_schritte": schritte}
        )

    async def list(
        self,
        user: User,
        *,
        process: str | None,
        state: str | None,
        overdue: bool | None,
        deadline_before: datetime | None,
        limit: int,
        regime: str | None = None,
        offset: int,
    ) -> CaseListPage:
        """The cases the caller may read, newest change first."""
        filters = {
            "process": process or None,
            "state": state or None,
            "overdue": overdue,
            "deadline_before": deadline_before or None,
            "regime": regime or None,
        }
        return await case_list.page(self.db, user, filters, limit, offset)

    async def events(self, case_id: str, user: User) -> list[EventPublic]:
        """The audit trail, oldest first."""
        async with self.db.unit_of_work(read_only=True) as session:
            case = await access.readable_case(session, user, case_id)
            rows = await session.scalars(
                select(m.CaseEvent).where(m.CaseEvent.case_id == case_id).order_by(m.CaseEvent.sequence)
            )
            process = PROCESSES[case.process]
            events = [views.event_public(process, e) for e in rows]
        return events if user.staff else [views.event_for_participant(e, user.user) for e in events]

    async def notifications(self, user: User, case_id: str | None, limit: int, offset: int) -> list[NotificationPublic]:
        """The outbox of the cases the caller may read: letters and Fallübergabe text blocks, oldest first."""
        if case_id:
            await access.require_case(self.db, user, case_id)  # UNKNOWN for a case the caller may not read
            # One readable case: its letters by their case index (the scope join let SQLite scan
            # every readable case instead: 55 ms at 2,000 cases, bench/run_pages.py).
            stmt = select(m.Notification).where(m.Notification.case_id == case_id)
        else:
            stmt = select(m.Notification).join(m.Case, m.Case.case_id == m.Notification.case_id)
            stmt = stmt.where(access.scope(user, m.Case.case_id, m.Case.process))
        async with self.db.unit_of_work(read_only=True) as session:
            rows = await session.scalars(stmt.order_by(m.Notification.id).limit(limit).offset(offset))
            return [NotificationPublic.model_validate(n, from_attributes=True) for n in rows]
