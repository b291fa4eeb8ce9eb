"""The check a parent case makes before it acts on a child's end (issue 13: the workflow trusts
no caller). The `child_ended` signal has no validator and anyone who reaches the Temporal port
can send one, naming the real child with a made-up end. The parent acts only on what the
child's own workflow recorded: its read-model row, written by record_transition before the
child reported, must be final, of the named process, and its state and facts are taken from
there, not from the signal."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from temporalio import activity

from persistence import models as m
from persistence.db import Database
from statemachines.spec import ChildEnded

_cases = m.Case.__table__
CHILD_ROW = select(_cases.c.process, _cases.c.state, _cases.c.final, _cases.c.facts).where(
    _cases.c.case_id == bindparam("case_id")
)


class ChildEndActivities:
    def __init__(self, db: Database):
        self._db = db

    @activity.defn(name="check_child_end")
    async def check_child_end(self, reported: ChildEnded) -> ChildEnded | None:
        """The child's end as recorded, or None when the record shows no such end."""
        row = await self._db.run(
            lambda session: session.execute(CHILD_ROW, {"case_id": reported.case_id}).first(), read_only=True
        )
        if row is None or row.process != reported.process or not row.final:
            activity.logger.warning("case %s: reported end not recorded, ignored", reported.case_id)
            return None
        return ChildEnded(case_id=reported.case_id, process=row.process, state=row.state, facts=dict(row.facts))
