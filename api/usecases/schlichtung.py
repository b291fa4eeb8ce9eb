"""Who may be appointed Schlichtungsperson (R52): the known staff (persistence/staff.py) who were
never involved in the plan case: not in its audit trail or requests, not in its list of involved
staff. The same test the workflow's check (activities/kooperationsplan.py) applies afterwards,
so the workbench offers only people that check will accept."""

from __future__ import annotations

from activities.kooperationsplan import befasste_fachkraefte
from api.usecases import access
from api.usecases.actors import User
from persistence.db import Database
from persistence.kooperationsplan import plan_case_id
from persistence.staff import list_staff
from statemachines.roles import PARTICIPANT


class Schlichtung:
    def __init__(self, db: Database):
        self.db = db

    async def neutral_candidates(self, case_id: str, user: User) -> list[str]:
        """Staff ids, sorted, who may be appointed for the Schlichtung `case_id` (UNKNOWN if unreadable)."""
        async with self.db.unit_of_work(read_only=True) as session:
            case = await access.readable_case(session, user, case_id)
            involved = await befasste_fachkraefte(session, await plan_case_id(session, case_id), case.facts or {})
            staff = await list_staff(session)
        return sorted(
            s.user_id for s in staff if s.user_id.strip().casefold() not in involved and set(s.roles) - {PARTICIPANT}
        )
