"""A workflow reset by an operator (Temporal UI "Reset" to an earlier event): the workflow goes on
from that event and no longer has the events after it, the append-only audit trail still does.

The trail is never rewritten. A reset adds one event, `zurueckgesetzt` (RESET_TRIGGER), that says
which workflow event the case went back to and its state there; the events after it continue the
trail. The case row's `sequence_offset` maps the workflow's sequence numbers onto the trail's:
audit sequence = workflow sequence + offset (0 until a reset). record_transition (activities/
cases.py) notices a reset when a workflow event meets a different event under its number;
`fahrplan reconcile --fix` when the workflow's sequence is behind the read model's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from persistence import audit
from persistence import models as m
from persistence.db import as_utc
from statemachines.spec import RESET_TRIGGER, SYSTEM

_cases, _events = m.Case.__table__, m.CaseEvent.__table__
ACTOR = "temporal"  # who reset it is in Temporal's history (the operator's identity), not here
CASE_MAPPING = select(_cases.c.state, _cases.c.sequence_offset).where(_cases.c.case_id == bindparam("case_id"))
EVENT_AT = select(
    *(
        _events.c[name]
        for name in ("trigger", "from_state", "to_state", "role", "data", "occurred_at", "hash", "run_id", "request_id")
    )
).where(_events.c.case_id == bindparam("case_id"), _events.c.sequence == bindparam("sequence"))


class Mapping(NamedTuple):
    state: str  # the read model's state
    offset: int


def mapping(session: Session, case_id: str) -> Mapping:
    found = session.execute(CASE_MAPPING, {"case_id": case_id}).first()
    return Mapping(found.state, found.sequence_offset or 0) if found else Mapping("", 0)


def event_at(session: Session, case_id: str, sequence: int):
    """The trail's event `sequence` (EVENT_AT's columns), or None."""
    return session.execute(EVENT_AT, {"case_id": case_id, "sequence": sequence}).first()


def is_other(found, sequence: int, trigger: str, dest: str, at: datetime) -> bool:
    """Whether `found` (event_at) is another event than this one. Not another: a retried record
    (or a stale one for a gap: no event)."""
    if found is None or sequence == 0:
        return False
    return (found.trigger, found.to_state, as_utc(found.occurred_at)) != (trigger, dest, as_utc(at))


def mark_reset(
    session: Session,
    prev: audit.Head,
    *,
    case_id: str,
    state_before: str | None,
    state_after: str,
    workflow_sequence: int,
    at: datetime,
    extra: dict[str, Any] | None = None,
) -> audit.Head:
    """Append the reset event after `prev` (the trail's last) and map the workflow's
    `workflow_sequence` (the event it went back to) onto it; returns the new head."""
    sequence = prev.sequence + 1
    digest = audit.append_event(
        session,
        prev=prev,
        case_id=case_id,
        sequence=sequence,
        trigger=RESET_TRIGGER,
        from_state=state_before,
        to_state=state_after,
        actor=ACTOR,
        role=SYSTEM,
        comment=None,
        data={"workflow_sequence": workflow_sequence, "verworfen_ab": workflow_sequence + 1, **(extra or {})},
        occurred_at=at,
    )
    session.execute(
        update(_cases).where(_cases.c.case_id == case_id).values(sequence_offset=sequence - workflow_sequence)
    )
    return audit.Head(sequence, digest)


async def offset_of(db: Any, case_id: str) -> int:
    """The case's sequence offset (0: never reset), for comparing a workflow's sequence with the trail."""
    return await db.run(lambda session: mapping(session, case_id).offset, read_only=True)
