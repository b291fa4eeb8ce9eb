"""A case closed by an operator action on its workflow (terminate, cancel in the Temporal UI; a
failed or timed-out run): the read model says so, with the reason, and its open tasks close.

The reason is a fixed German word, never the operator's free text (which may name a person). No
audit event is written: the audit trail holds the process's transitions, one per workflow event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from persistence import models as m

_cases, _tasks = m.Case.__table__, m.Task.__table__
# Temporal's WorkflowExecutionStatus values (the raw ints: 8, PAUSED, is not in the SDK's enum).
RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, CONTINUED_AS_NEW, TIMED_OUT, PAUSED = 1, 2, 3, 4, 5, 6, 7, 8
REASONS = {TERMINATED: "terminiert", CANCELED: "abgebrochen", FAILED: "fehlgeschlagen", TIMED_OUT: "zeitüberschritten"}
CLOSED_BY = "temporal"  # closed_by of the tasks closed with the case


def close_case(session: Session, case_id: str, reason: str, at: datetime) -> bool:
    """Close an open case with `reason`; False when it was closed already (nothing changes)."""
    closed = session.execute(
        update(_cases)
        .where(_cases.c.case_id == case_id, _cases.c.final.is_(False))
        .values(final=True, closed_reason=reason, closed_at=at, deadline=None, deadlines={"items": []})
    ).rowcount
    if closed:
        session.execute(
            update(_tasks)
            .where(_tasks.c.case_id == case_id, _tasks.c.status == "offen")
            .values(status="erledigt", closed_at=at, closed_by=CLOSED_BY)
        )
    return bool(closed)
