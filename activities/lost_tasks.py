"""A step whose workflow task the Temporal server lost after `record_transition` wrote it.

New cases record each transition with a local activity (workflows/effects.py): the audit event is
written inside the workflow task that decided the step, and the task's completion makes the
decision durable in Temporal. A restarting server can lose that completion after the write. The
workflow then goes back to the state before the step and, when the same wake-up comes again (the
client repeats its request: the same request id, which is the Temporal update id; or the same
timer fires once more), decides the same step again, at a later time. Its record meets the event
the lost task wrote under the same number.

That event is *adopted*: nothing is written, and the workflow takes the step again with the
event's time (workflows/host.py), so that its state, deadlines and tasks are the trail's.

Another wake-up can come first (a deadline that fell due while the server was down) and meet the
lost step under its number. The trail decides: the record returns the step (`as_lost`), the
workflow takes it as recorded, then weighs what woke it afresh. The event's run id tells such a
step from the events of a run an operator reset: those get a reset event, as before (persistence/
resets.py), and so does a lost step the workflow cannot take as recorded.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from persistence import audit, resets
from persistence import models as m
from statemachines.spec import SYSTEM
from workflows.messages import LostStep, TransitionRecord

_requests, _cases = m.TransitionRequest.__table__, m.Case.__table__
CASE_LINKS = select(_cases.c.version, _cases.c.links).where(_cases.c.case_id == bindparam("case_id"))
REQUEST_STATUS = select(_requests.c.status_code).where(
    _requests.c.request_id == bindparam("request_id"),
    _requests.c.case_id == bindparam("case_id"),
    _requests.c.trigger == bindparam("trigger"),
)


def adoptable(session: Session, found, rec: TransitionRecord, run_id: str | None) -> bool:
    """Whether `found` (resets.event_at: the trail's event under the record's number) is this
    decision, written by a lost workflow task of the same run. A request's event is its own only
    if the request row says it was applied: another request for the same trigger is another step.
    An event of another run (an operator reset) is never adopted."""
    if not rec.adopt or (run_id is not None and found.run_id != run_id):
        return False
    if (found.trigger, found.from_state, found.to_state, found.role) != (rec.trigger, rec.source, rec.dest, rec.role):
        return False
    if rec.request_id is None:  # a timer, a child's end, a change of regime: the same wake-up again
        return True
    params = {"request_id": rec.request_id, "case_id": rec.case_id, "trigger": rec.trigger}
    return session.execute(REQUEST_STATUS, params).scalar() == m.APPLIED


def find(session: Session, case_id: str, sequence: int, run_id: str) -> LostStep | None:
    """The step a lost workflow task of run `run_id` recorded as the workflow's event `sequence`,
    if that is the trail's last event (the `catch_up` signal: worker/catch_up.py)."""
    at = sequence + resets.mapping(session, case_id).offset  # its number in the trail
    head = audit.head(session, case_id)
    if head is None or head.sequence != at:
        return None
    case = session.execute(CASE_LINKS, {"case_id": case_id}).first()
    links = dict(case.links or {}) if case is not None and case.version == at else {}
    return as_lost(resets.event_at(session, case_id, at), run_id, True, links)


def as_lost(found, run_id: str | None, is_head: bool, links: dict[str, str]) -> LostStep | None:
    """`found` (resets.event_at) as a step a lost workflow task of this run wrote for a request;
    None when it is not one: another run's event (an operator's reset), not the trail's last, or a
    system step (the server runs a timer's or a signal's lost task again by itself)."""
    if found is None or run_id is None or found.run_id != run_id or not is_head:
        return None
    if found.request_id is None or found.role == SYSTEM:
        return None
    return LostStep(
        trigger=found.trigger,
        to_state=found.to_state,
        role=found.role,
        request_id=found.request_id,
        data=found.data or {},
        occurred_at=found.occurred_at,
        links=links,
    )
