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

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import lost_tasks, read_model
from activities.extensions import RecordHook
from notifications import EINLADUNGEN, aktenzeichen, render
from notifications.absender import absender
from persistence import audit, policies, resets
from persistence import models as m
from persistence.db import Database, as_utc
from persistence.prepared import Prepared
from runtime.metrics import TRANSITIONS
from runtime.settings import Briefkopf
from statemachines.policy import Policy
from statemachines.registry import PROCESSES
from statemachines.spec import (
    REGIME_LABEL,
    REGIME_TRIGGER,
    RESET_LABEL,
    RESET_TRIGGER,
    START_LABEL,
    START_TRIGGER,
    SYSTEM,
)
from workflows.messages import LostStep, LostStepQuery, RecordResult, TransitionRecord

log = logging.getLogger("fahrplan.transitions")
HISTORY_IN_LETTERS = 5  # R13: the last conversations and agreements at a glance
UNKNOWN_PERSON = {
    "vorname": "",
    "nachname": "[Name unbekannt]",
    "strasse": "[Anschrift unbekannt]",
    "plz": None,
    "ort": None,
    "geburtsdatum": None,
}

# The hot path runs prebuilt Core statements with bound parameters: no ORM unit of work, no
# statement built per call, one compiled form per statement (bench/transitions.py measures it).
_cases, _events, _tasks = m.Case.__table__, m.CaseEvent.__table__, m.Task.__table__
_requests, _people, _outbox = m.TransitionRequest.__table__, m.Person.__table__, m.Notification.__table__
# The case's row and its last event (the chain's predecessor, audit.head) in one statement: on
# PostgreSQL one round trip fewer per transition. No row: the case's start, its head read alone.
_head, _later = _events.alias("head"), _events.alias("later")
CASE_AND_HEAD = Prepared(
    select(
        _cases.c.version,
        _cases.c.links,
        _cases.c.person_id,
        _cases.c.process,
        _cases.c.policy_id,
        _head.c.sequence.label("head_sequence"),
        _head.c.hash.label("head_hash"),
    )
    .select_from(
        _cases.outerjoin(
            _head,
            (_head.c.case_id == _cases.c.case_id)
            & (
                _head.c.sequence
                == select(func.max(_later.c.sequence)).where(_later.c.case_id == _cases.c.case_id).scalar_subquery()
            ),
        )
    )
    .where(_cases.c.case_id == bindparam("case_id"))
)
# R19: an invitation still in the outbox is withdrawn when the case moves on or the appointment is rebooked
# (when a case enters a state). The templates are bound values, not an expanding IN: it can be prepared.
WITHDRAW_INVITATIONS = Prepared(
    update(_outbox)
    .where(
        _outbox.c.case_id == bindparam("b_case_id"),
        _outbox.c.status == "ausstehend",
        _outbox.c.template.in_([literal(t) for t in sorted(EINLADUNGEN)]),
    )
    .values(status="zurueckgezogen")
)
START_LETTERS = Prepared(
    select(_outbox.c.template).where(_outbox.c.case_id == bindparam("case_id"), _outbox.c.sequence == 0)
)
MARK_APPLIED = Prepared(  # a request id is bound to its case and trigger: another case's request is never marked
    update(_requests)
    .where(
        _requests.c.request_id == bindparam("b_request_id"),
        _requests.c.case_id == bindparam("b_case_id"),
        _requests.c.trigger == bindparam("b_trigger"),
    )
    .values(status_code=m.APPLIED)
    .returning(_requests.c.actor, _requests.c.comment)
)
READ_MODEL_COLUMNS = ("state", "facts", "deadlines", "deadline", "overdue", "final", "version", "links", "updated_at")
MOVE_READ_MODEL = Prepared(
    update(_cases)
    .where(_cases.c.case_id == bindparam("b_case_id"), _cases.c.version < bindparam("b_sequence"))
    .values({name: bindparam(name) for name in READ_MODEL_COLUMNS})
    .values(regime=func.coalesce(bindparam("regime"), _cases.c.regime))  # events without one keep it
)
# A change of regime (R62) also changes the case's policy: the API decides with it from then on.
MOVE_POLICY = update(_cases).where(_cases.c.case_id == bindparam("b_case_id")).values(policy_id=bindparam("policy_id"))
_CLOSE_TASKS = (
    update(_tasks)
    .where(_tasks.c.case_id == bindparam("b_case_id"), _tasks.c.status == "offen")
    .values(status="erledigt", closed_at=bindparam("closed_at"), closed_by_sequence=bindparam("closed_by_sequence"))
)
CLOSE_TASKS = Prepared(_CLOSE_TASKS)
CLOSE_STATE_TASKS = Prepared(_CLOSE_TASKS.where(_tasks.c.state == bindparam("b_state")))
# An expanding IN: not prepared (it runs for internal steps that resolve a task).
CLOSE_KIND_TASKS = _CLOSE_TASKS.where(_tasks.c.kind.in_(bindparam("b_kinds", expanding=True)))
TASK_COLUMNS = ("case_id", "sequence", "kind", "role", "title", "priority", "vorrang", "due", "state", "status")
OPEN_TASKS = Prepared(insert(_tasks).values({name: bindparam(name) for name in (*TASK_COLUMNS, "created_at")}))
LETTER_COLUMNS = ("case_id", "sequence", "template", "channel", "subject", "body", "status", "created_at")
ADD_LETTERS = Prepared(insert(_outbox).values({name: bindparam(name) for name in LETTER_COLUMNS}))
PERSON_FIELDS = ("vorname", "nachname", "strasse", "plz", "ort", "geburtsdatum")
_recent = (
    select(
        _events.c.sequence, _events.c.occurred_at, _events.c.trigger, _events.c.role, _events.c.actor, _events.c.comment
    )
    .where(_events.c.case_id == bindparam("case_id"))
    .order_by(_events.c.sequence.desc())
    .limit(HISTORY_IN_LETTERS)
    .subquery("recent")
)
# A letter's recent history (R13) and its addressee in one statement: each of the last events with
# the person's row beside it (none: no person, or an unknown id). One round trip fewer per letter.
LETTER_CONTEXT = Prepared(
    select(*_recent.c, _people.c.person_id.label("person_found"), *(_people.c[name] for name in PERSON_FIELDS))
    .select_from(_recent.outerjoin(_people, _people.c.person_id == bindparam("person_id")))
    .order_by(_recent.c.sequence.desc())
)


def trigger_label(process: str, trigger: str) -> str:
    if trigger == START_TRIGGER:
        return START_LABEL
    if trigger == RESET_TRIGGER:
        return RESET_LABEL
    if trigger == REGIME_TRIGGER:
        return REGIME_LABEL
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

    def __init__(self, db: Database, briefkopf: Briefkopf | None = None, hooks: Mapping[str, RecordHook] | None = None):
        self._db = db
        self._briefkopf = briefkopf or Briefkopf()
        self._hooks = dict(hooks or {})  # process name -> RecordHook
        self._policies: dict[str, Policy] = {}  # stored policies by their content hash: never change

    @activity.defn(name="record_transition")
    async def record_transition(self, rec: TransitionRecord) -> RecordResult:
        try:
            run_id = activity.info().workflow_run_id if activity.in_activity() else None  # the writer
            found = await self._db.run(lambda session: self._record(session, rec, run_id))
        except IntegrityError:
            # A concurrent attempt wrote the same event first; ours rolled back entirely.
            if not _recorded(await self._db.run(lambda session: audit.head(session, rec.case_id), read_only=True), rec):
                raise
            activity.logger.info("case %s: event %d (%s) written concurrently", rec.case_id, rec.sequence, rec.trigger)
            digest = await self._db.run(lambda s: audit.hash_at(s, rec.case_id, rec.sequence), read_only=True)
            return RecordResult(written=False, hash=digest)
        _log(rec, found)
        if found.lost is not None:  # the workflow takes that step first, then records again
            return RecordResult(written=False, lost=found.lost)
        return RecordResult(written=found.written, hash=found.hash, adopted_at=found.adopted_at, links=found.links)

    @activity.defn(name="find_lost_step")
    async def find_lost_step(self, query: LostStepQuery) -> LostStep | None:
        """A step a lost workflow task of the calling run recorded next (activities/lost_tasks.py)."""
        run_id = activity.info().workflow_run_id
        return await self._db.run(
            lambda session: lost_tasks.find(session, query.case_id, query.sequence, run_id), read_only=True
        )

    def _record(self, session: Session, rec: TransitionRecord, run_id: str | None = None) -> Recorded:
        """The transaction, in a database thread: (written, the event's hash, when adopted the time
        it was recorded at); not written when the event is there already (a retry, or this decision
        written by a lost workflow task: activities/lost_tasks.py), and then its hash is the one
        recorded first."""
        case = CASE_AND_HEAD.first(session, {"case_id": rec.case_id})
        if case is None:
            prev = audit.head(session, rec.case_id)
        else:
            prev = audit.Head(case.head_sequence, case.head_hash) if case.head_sequence is not None else None
        if not _recorded(prev, rec):
            return Recorded(True, self._write(session, rec, prev, case, run_id))
        if rec.sequence == 0:  # a start found recorded: only ever by a workflow of the case's own process
            _same_process(case, rec)
            if rec.letters:  # the API opened the case and wrote its first event; it renders no letters
                self._start_letters(session, case, rec)
        return self._record_behind(session, rec, prev, case, run_id)

    def _record_behind(
        self, session: Session, rec: TransitionRecord, prev: audit.Head, case, run_id: str | None
    ) -> Recorded:
        """The trail is at or past the workflow's sequence: a retry (its event is there), this
        decision written by a lost workflow task (adopted), or the workflow was reset to an
        earlier event (persistence/resets.py) and this event is new."""
        mapped = resets.mapping(session, rec.case_id)
        sequence = rec.sequence + mapped.offset  # the event's number in the audit trail
        if sequence > prev.sequence:  # the next event after a reset
            after_reset = rec.model_copy(update={"sequence": sequence})
            return Recorded(True, self._write(session, after_reset, prev, case, run_id))
        found = resets.event_at(session, rec.case_id, sequence)
        if not resets.is_other(found, sequence, rec.trigger, rec.dest, rec.occurred_at):
            # a retry: its event is there (or a stale record for a gap: the verifier reports it)
            return Recorded(False, found.hash if found else None)
        links = dict(case.links or {}) if case is not None and case.version == sequence else None
        if lost_tasks.adoptable(session, found, rec, run_id):
            return Recorded(False, found.hash, as_utc(found.occurred_at), links=links)
        lost = lost_tasks.as_lost(found, run_id, sequence == prev.sequence, links or {}) if rec.adopt else None
        if lost is not None:  # the workflow takes it first, then records its own decision again
            return Recorded(False, None, lost=lost.model_copy(update={"occurred_at": as_utc(lost.occurred_at)}))
        # Reset: another event has this number. Say so in the trail, then record this one after it.
        log.warning(
            "case %s: workflow reset to event %d, audit trail continues at %d",
            rec.case_id,
            rec.sequence - 1,
            prev.sequence + 1,
            extra={"case_id": rec.case_id},
        )
        marked = resets.mark_reset(
            session,
            prev,
            case_id=rec.case_id,
            state_before=mapped.state or None,
            state_after=rec.source or rec.dest,
            workflow_sequence=rec.sequence - 1,
            at=rec.occurred_at,
        )
        after_reset = rec.model_copy(update={"sequence": marked.sequence + 1})
        return Recorded(True, self._write(session, after_reset, marked, case, run_id))

    def _write(
        self, session: Session, rec: TransitionRecord, prev: audit.Head | None, case, run_id: str | None = None
    ) -> str:
        """Append the event after `prev` and what it causes; `case` is the case's row (CASE_AND_HEAD),
        None before the case's start."""
        if case is None:
            if rec.sequence != 0:
                raise LookupError(f"case {rec.case_id}: no read-model row for event {rec.sequence}")
            case = _create_case(session, rec)
        _same_process(case, rec)
        if rec.sequence != (prev.sequence + 1 if prev else 0):  # the verifier will report the gap
            activity.logger.warning("case %s: event %d does not follow %s", rec.case_id, rec.sequence, prev)
        dumped = rec.model_dump(mode="json", include={"data", "tasks"})
        digest = _append_event(session, rec, prev, dumped["data"], run_id)  # the unique (case_id, sequence): here
        _update_read_model(session, case, rec)
        _close_tasks(session, rec)
        if rec.tasks:
            OPEN_TASKS.execute(session, _open_tasks(rec))
        hook = self._hooks.get(rec.process)
        extra = hook(session, rec) if hook else {}
        if rec.entered or rec.final:
            WITHDRAW_INVITATIONS.execute(session, {"b_case_id": rec.case_id})
        if rec.letters:
            context = {**self._letter_context(session, case, rec, dumped), **extra}
            self._write_letters(session, case, rec, rec.letters, context)
        return digest

    def _start_letters(self, session: Session, case, rec: TransitionRecord) -> None:
        """The start's letters (e.g. a meldetermin's invitation) the outbox does not hold yet: once each."""
        written = set(START_LETTERS.execute(session, {"case_id": rec.case_id}).scalars())
        missing = [template for template in rec.letters if template not in written]
        if case is None or not missing:
            return
        hook = self._hooks.get(rec.process)
        extra = hook(session, rec) if hook else {}
        dumped = rec.model_dump(mode="json", include={"data", "tasks"})
        self._write_letters(session, case, rec, missing, {**self._letter_context(session, case, rec, dumped), **extra})

    def _write_letters(self, session: Session, case, rec: TransitionRecord, templates, context: dict[str, Any]) -> None:
        standort = rec.facts.get("standort")
        ADD_LETTERS.execute(
            session,
            [
                _letter(rec, template, {**context, "absender": absender(self._briefkopf, template, standort)})
                for template in templates
            ],
        )

    def _letter_context(self, session: Session, case, rec: TransitionRecord, dumped: dict[str, Any]) -> dict[str, Any]:
        # Never empty: this event was appended in the transaction, or the start was found recorded.
        history = LETTER_CONTEXT.all(session, {"case_id": rec.case_id, "person_id": case.person_id})
        newest = history[0]
        person = {name: getattr(newest, name) for name in PERSON_FIELDS} if newest.person_found else None
        declared = PROCESSES.get(rec.process)
        policy = rec.policy or (self._policy(session, case.policy_id) if case.policy_id else None) or Policy()
        return {
            "person": _person(person),
            "policy": policy,  # every duration a letter names comes from the case's policy
            "case": {
                "case_id": rec.case_id,
                "aktenzeichen": aktenzeichen(rec.process, rec.case_id),
                "process": rec.process,
                "process_label": declared.label if declared else rec.process,
                "state": rec.dest,
                "state_label": state_label(rec.process, rec.dest),
            },
            "facts": rec.facts,
            "data": dumped["data"],
            "tasks": dumped["tasks"],
            "occurred_at": rec.occurred_at,
            "anlass": trigger_label(rec.process, rec.trigger),
            "events": [_history_item(rec.process, e) for e in reversed(history)],
        }

    def _policy(self, session: Session, key: str) -> Policy | None:
        """A stored policy, read once per worker: its id is the hash of its content (persistence/policies.py)."""
        found = self._policies.get(key)
        if found is None:
            found = policies.load(session, key)
            if found is not None:
                self._policies[key] = found
        return found


def _log(rec: TransitionRecord, found: Recorded) -> None:
    """Fahrplan's one line per transition (runtime/logs.py), and a warning where a restarting
    Temporal server lost the workflow task that wrote a step (lost_tasks.py)."""
    if found.lost is not None or found.adopted_at is not None:
        how = (
            f"{found.lost.trigger} of a lost workflow task comes first"
            if found.lost is not None
            else f"{rec.trigger} adopted from a lost workflow task"
        )
        log.warning("%s %s: event %d %s", rec.process, rec.case_id, rec.sequence, how, extra={"case_id": rec.case_id})
    elif found.written:
        TRANSITIONS.labels(rec.process, rec.trigger).inc()
        log.info(
            "%s %s: event %d %s (%s -> %s)",
            rec.process,
            rec.case_id,
            rec.sequence,
            rec.trigger,
            rec.source,
            rec.dest,
            extra={"case_id": rec.case_id},
        )
    else:  # a retry, or the start the API recorded already
        log.debug("case %s: event %d (%s) already recorded", rec.case_id, rec.sequence, rec.trigger)


class Recorded(NamedTuple):
    written: bool
    hash: str | None
    adopted_at: datetime | None = None  # the time of an event adopted from a lost workflow task
    lost: LostStep | None = None  # another step a lost workflow task recorded under the number
    links: dict[str, str] | None = None  # with adopted_at: the read model's links after the event


def _same_process(case, rec: TransitionRecord) -> None:
    """A workflow of another process than the case's row never writes into the case: it fails
    for good (item 1 of issue 13: a reused case id must not corrupt the case)."""
    if case is not None and case.process != rec.process:
        activity.logger.error("case %s: a %s workflow refused, the case is %s", rec.case_id, rec.process, case.process)
        raise ApplicationError(
            f"case {rec.case_id} belongs to process {case.process}, not {rec.process}",
            type="ProcessMismatch",
            non_retryable=True,
        )


def _recorded(prev: audit.Head | None, rec: TransitionRecord) -> bool:
    """Events are recorded in sequence order: a last sequence at or past ours means ours is there."""
    return prev is not None and prev.sequence >= rec.sequence


def _create_case(session: Session, rec: TransitionRecord) -> m.Case:
    """Sequence 0: the read-model row, unless the API created it already (a case opened by another
    case), with the policy its workflow runs with (not the hot path: ORM)."""
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
        policy_id=policies.store(session, rec.policy, as_utc(rec.occurred_at), rec.regime) if rec.policy else None,
        regime=rec.regime,
        **read_model.of_record(rec),
    )
    session.add(case)
    session.flush()
    return case


def _update_read_model(session: Session, case, rec: TransitionRecord) -> None:
    """Only a newer event moves the read model: a stale record must not overwrite it."""
    if rec.sequence <= case.version:
        return
    values = read_model.of_record(rec, case.links)
    MOVE_READ_MODEL.execute(
        session, {**values, "regime": rec.regime, "b_case_id": rec.case_id, "b_sequence": rec.sequence}
    )
    if rec.policy is not None:  # a change of regime carries the case's new policy
        key = policies.store(session, rec.policy, as_utc(rec.occurred_at), rec.regime)
        session.execute(MOVE_POLICY, {"b_case_id": rec.case_id, "policy_id": key})


def _append_event(
    session: Session, rec: TransitionRecord, prev: audit.Head | None, data: dict[str, Any], run_id: str | None
) -> str:
    request = None
    if rec.request_id:
        # Marks the request applied (200) in the same transaction: a client retrying it with its
        # Idempotency-Key after a lost answer learns that it took effect (api/usecases/case_commands.py).
        request = MARK_APPLIED.first(
            session, {"b_request_id": rec.request_id, "b_case_id": rec.case_id, "b_trigger": rec.trigger}
        )
    if request is not None:
        actor, comment = request.actor, request.comment
    else:
        actor, comment = (SYSTEM if rec.role == SYSTEM else "unbekannt"), None
    return audit.append_event(
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
        regime=rec.regime,
        run_id=run_id,
        request_id=rec.request_id,
    )


def _close_tasks(session: Session, rec: TransitionRecord) -> None:
    """Tasks close on the transition that resolves them: leaving (or re-entering) their state,
    or an internal step that names their kind."""
    params = {"b_case_id": rec.case_id, "closed_at": as_utc(rec.occurred_at), "closed_by_sequence": rec.sequence}
    if rec.final:
        CLOSE_TASKS.execute(session, params)
    elif rec.entered and rec.source is not None:
        CLOSE_STATE_TASKS.execute(session, {**params, "b_state": rec.source})
    elif rec.closes:  # an internal step that resolves a task of the state (R17: the next one opens)
        session.execute(CLOSE_KIND_TASKS, {**params, "b_kinds": list(rec.closes)})


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
    """The letter's addressee from the person's columns (None: unknown or erased)."""
    return dict(UNKNOWN_PERSON) if person is None else person


def _history_item(process: str, event) -> dict[str, Any]:
    """One line of the recent history (R13) from a LETTER_CONTEXT row."""
    return {
        "sequence": event.sequence,
        "occurred_at": as_utc(event.occurred_at),
        "trigger": event.trigger,
        "label": trigger_label(process, event.trigger),
        "role": event.role,
        "actor": event.actor,
        "comment": event.comment,
    }
