"""record_transition: one audit event and everything it causes, in one database transaction.

The workflow calls it once per transition (sequence 0 is the start of the case).
It is idempotent: the event is unique per (case_id, sequence), so a retried
activity finds its event and writes nothing at all. The audit event, the read
model, the tasks and the outbox rows commit together or not at all. The event
extends the case's hash chain (persistence/audit.py): one indexed query reads the
case's last event, which is both the chain predecessor and the idempotency check.
The transaction is sync code run in one database thread (`Database.run`): one hop
from the event loop for the whole transaction, not one per statement.
Logs carry case ids and triggers only, never personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from temporalio import activity

from notifications import Absender, render
from persistence import audit
from persistence import models as m
from persistence.db import Database, as_utc
from statemachines.registry import PROCESSES
from statemachines.spec import SYSTEM
from workflows.messages import RecordResult, TransitionRecord

START_TRIGGER = "fall_angelegt"
HISTORY_IN_LETTERS = 5  # R13: the last conversations and agreements at a glance
UNKNOWN_PERSON = {
    "vorname": "",
    "nachname": "[Name unbekannt]",
    "strasse": "[Anschrift unbekannt]",
    "plz": None,
    "ort": None,
    "geburtsdatum": None,
}
# A process's own writes in the transition's transaction (e.g. a plan version becoming valid);
# returns extra context for its letters. Runs once per event, like everything in _write, and
# like it is sync code: the whole transaction runs in one database thread (Database.run).
RecordHook = Callable[[Session, TransitionRecord], dict[str, Any]]

# The hot path runs prebuilt Core statements with bound parameters: no ORM unit of work, no
# statement built per call, one compiled form per statement (bench/transitions.py measures it).
_cases, _events, _tasks = m.Case.__table__, m.CaseEvent.__table__, m.Task.__table__
_requests, _people, _outbox = m.TransitionRequest.__table__, m.Person.__table__, m.Notification.__table__
CASE_ROW = select(_cases.c.version, _cases.c.links, _cases.c.person_id).where(_cases.c.case_id == bindparam("case_id"))
MARK_APPLIED = (
    update(_requests).where(_requests.c.request_id == bindparam("b_request_id")).values(status_code=200)
    .returning(_requests.c.actor, _requests.c.comment)
)
READ_MODEL_COLUMNS = ("state", "facts", "deadlines", "deadline", "overdue", "final", "version", "links", "updated_at")
MOVE_READ_MODEL = (
    update(_cases)
    .where(_cases.c.case_id == bindparam("b_case_id"), _cases.c.version < bindparam("b_sequence"))
    .values({name: bindparam(name) for name in READ_MODEL_COLUMNS})
)
CLOSE_TASKS = (
    update(_tasks)
    .where(_tasks.c.case_id == bindparam("b_case_id"), _tasks.c.status == "offen")
    .values(status="erledigt", closed_at=bindparam("closed_at"), closed_by_sequence=bindparam("closed_by_sequence"))
)
CLOSE_STATE_TASKS = CLOSE_TASKS.where(_tasks.c.state == bindparam("b_state"))
PERSON_ROW = select(*(_people.c[name] for name in ("vorname", "nachname", "strasse", "plz", "ort", "geburtsdatum"))).where(
    _people.c.person_id == bindparam("person_id")
)
RECENT_EVENTS = (
    select(_events.c.sequence, _events.c.occurred_at, _events.c.trigger, _events.c.role, _events.c.actor, _events.c.comment)
    .where(_events.c.case_id == bindparam("case_id"))
    .order_by(_events.c.sequence.desc())
    .limit(HISTORY_IN_LETTERS)
)


def trigger_label(process: str, trigger: str) -> str:
    if trigger == START_TRIGGER:
        return "Fall angelegt"
    try:
        return PROCESSES[process].trigger(trigger).label
    except KeyError:
        return trigger


def state_label(process: str, state: str) -> str:
    try:
        return PROCESSES[process].state(state).label
    except KeyError:
        return state


class CaseActivities:
    """The activities that write a case's audit trail, read model, inbox and outbox."""

    def __init__(self, db: Database, absender: Absender | None = None, hooks: Mapping[str, RecordHook] | None = None):
        self._db = db
        self._absender = absender or Absender()
        self._hooks = dict(hooks or {})  # process name -> RecordHook

    @activity.defn(name="record_transition")
    async def record_transition(self, rec: TransitionRecord) -> RecordResult:
        try:
            written = await self._db.run(lambda session: self._record(session, rec))
        except IntegrityError:
            # A concurrent attempt wrote the same event first; ours rolled back entirely.
            if not _recorded(await self._db.run(lambda session: audit.head(session, rec.case_id), read_only=True), rec):
                raise
            activity.logger.info("case %s: event %d (%s) written concurrently", rec.case_id, rec.sequence, rec.trigger)
            return RecordResult(written=False)
        if written:
            activity.logger.info("case %s: recorded event %d (%s -> %s)", rec.case_id, rec.sequence, rec.trigger, rec.dest)
        else:
            activity.logger.info("case %s: event %d (%s) already recorded", rec.case_id, rec.sequence, rec.trigger)
        return RecordResult(written=written)

    def _record(self, session: Session, rec: TransitionRecord) -> bool:
        """The transaction, in a database thread: False when the event is there already."""
        prev = audit.head(session, rec.case_id)
        if _recorded(prev, rec):
            return False
        self._write(session, rec, prev)
        return True

    def _write(self, session: Session, rec: TransitionRecord, prev: audit.Head | None) -> None:
        case = session.execute(CASE_ROW, {"case_id": rec.case_id}).first()
        if case is None:
            if rec.sequence != 0:
                raise LookupError(f"case {rec.case_id}: no read-model row for event {rec.sequence}")
            case = _create_case(session, rec)
        if rec.sequence != (prev.sequence + 1 if prev else 0):  # the verifier will report the gap
            activity.logger.warning("case %s: event %d does not follow %s", rec.case_id, rec.sequence, prev)
        dumped = rec.model_dump(mode="json", include={"facts", "data", "deadlines", "tasks"})
        _append_event(session, rec, prev, dumped["data"])  # the unique (case_id, sequence) is checked here
        _update_read_model(session, case, rec, dumped)
        _close_tasks(session, rec)
        if rec.tasks:
            session.execute(insert(_tasks), _open_tasks(rec))
        hook = self._hooks.get(rec.process)
        extra = hook(session, rec) if hook else {}
        if rec.letters:
            context = {**self._letter_context(session, case, rec, dumped), **extra}
            session.execute(insert(_outbox), [_letter(rec, template, context) for template in rec.letters])

    def _letter_context(self, session: Session, case, rec: TransitionRecord, dumped: dict[str, Any]) -> dict[str, Any]:
        person = session.execute(PERSON_ROW, {"person_id": case.person_id}).first() if case.person_id else None
        history = session.execute(RECENT_EVENTS, {"case_id": rec.case_id}).all()
        declared = PROCESSES.get(rec.process)
        return {
            "absender": self._absender,
            "person": _person(person),
            "case": {
                "case_id": rec.case_id,
                "process": rec.process,
                "process_label": declared.label if declared else rec.process,
                "state": rec.dest,
                "state_label": state_label(rec.process, rec.dest),
            },
            "facts": dumped["facts"],
            "data": dumped["data"],
            "tasks": dumped["tasks"],
            "occurred_at": rec.occurred_at,
            "anlass": trigger_label(rec.process, rec.trigger),
            "events": [_history_item(rec.process, e) for e in reversed(history)],
        }


def _recorded(prev: audit.Head | None, rec: TransitionRecord) -> bool:
    """Events are recorded in sequence order: a last sequence at or past ours means ours is there."""
    return prev is not None and prev.sequence >= rec.sequence


def _create_case(session: Session, rec: TransitionRecord) -> m.Case:
    """Sequence 0: the read-model row, unless the API created it already (not the hot path: ORM)."""
    person_id = rec.person_id
    if person_id is not None and session.get(m.Person, person_id) is None:
        activity.logger.warning("case %s: person id unknown, case recorded without person", rec.case_id)
        person_id = None
    case = m.Case(
        case_id=rec.case_id,
        process=rec.process,
        person_id=person_id,
        workflow_id=f"{rec.process}-{rec.case_id}",
        created_at=as_utc(rec.occurred_at),
        **_read_model(rec, rec.model_dump(mode="json", include={"facts", "deadlines"}), links={}),
    )
    session.add(case)
    session.flush()
    return case


def _read_model(rec: TransitionRecord, dumped: dict[str, Any], links: dict[str, Any]) -> dict[str, Any]:
    """The read-model columns after `rec`; `dumped` holds rec's facts and deadlines as JSON."""
    return {
        "state": rec.dest,
        "facts": dumped["facts"],
        "deadlines": {"items": dumped["deadlines"]},
        "deadline": as_utc(min((d.due for d in rec.deadlines), default=None)),
        "overdue": rec.overdue,
        "final": rec.final,
        "version": rec.sequence,
        "links": {**links, **rec.links},
        "updated_at": as_utc(rec.occurred_at),
    }


def _update_read_model(session: Session, case, rec: TransitionRecord, dumped: dict[str, Any]) -> None:
    """Only a newer event moves the read model: a stale record must not overwrite it."""
    if rec.sequence <= case.version:
        return
    values = _read_model(rec, dumped, links=case.links or {})
    session.execute(MOVE_READ_MODEL, {**values, "b_case_id": rec.case_id, "b_sequence": rec.sequence})


def _append_event(session: Session, rec: TransitionRecord, prev: audit.Head | None, data: dict[str, Any]) -> None:
    request = None
    if rec.request_id:
        # Marks the request applied (200) in the same transaction: a client retrying it with its
        # Idempotency-Key after a lost answer learns that it took effect (api/cases.py).
        request = session.execute(MARK_APPLIED, {"b_request_id": rec.request_id}).first()
    if request is not None:
        actor, comment = request.actor, request.comment
    else:
        actor, comment = ("system" if rec.role == SYSTEM else "unbekannt"), None
    audit.append_event(
        session,
        prev=prev,
        case_id=rec.case_id,
        sequence=rec.sequence,
        trigger=rec.trigger,
        from_state=rec.source,
        to_state=rec.dest,
        actor=actor,
        role=rec.role,
        comment=comment,
        data=data,
        occurred_at=rec.occurred_at,
    )


def _close_tasks(session: Session, rec: TransitionRecord) -> None:
    """Tasks close on the transition that resolves them: leaving (or re-entering) their state."""
    params = {"b_case_id": rec.case_id, "closed_at": as_utc(rec.occurred_at), "closed_by_sequence": rec.sequence}
    if rec.final:
        session.execute(CLOSE_TASKS, params)
    elif rec.entered and rec.source is not None:
        session.execute(CLOSE_STATE_TASKS, {**params, "b_state": rec.source})


def _open_tasks(rec: TransitionRecord) -> list[dict[str, Any]]:
    """Rows for a Core insert (cheaper than ORM objects on the hot path)."""
    return [
        {
            "case_id": rec.case_id,
            "sequence": rec.sequence,
            "kind": t.kind,
            "role": t.role,
            "title": t.title,
            "priority": t.priority,
            "vorrang": t.vorrang,
            "due": as_utc(t.due),
            "state": rec.dest,
            "status": "offen",
            "created_at": as_utc(rec.occurred_at),
        }
        for t in rec.tasks
    ]


def _letter(rec: TransitionRecord, template: str, context: dict[str, Any]) -> dict[str, Any]:
    rendered = render(template, context)
    return {
        "case_id": rec.case_id,
        "sequence": rec.sequence,
        "template": template,
        "channel": rendered.channel,
        "subject": rendered.subject,
        "body": rendered.body,
        "status": "ausstehend",
        "created_at": as_utc(rec.occurred_at),
    }


def _person(person) -> dict[str, Any]:
    """The letter's addressee from a PERSON_ROW row (None: unknown or erased)."""
    return dict(UNKNOWN_PERSON) if person is None else dict(person._mapping)


def _history_item(process: str, event) -> dict[str, Any]:
    """One line of the recent history (R13) from a RECENT_EVENTS row."""
    return {
        "sequence": event.sequence,
        "occurred_at": as_utc(event.occurred_at),
        "trigger": event.trigger,
        "label": trigger_label(process, event.trigger),
        "role": event.role,
        "actor": event.actor,
        "comment": event.comment,
    }
