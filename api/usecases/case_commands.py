"""Case commands: start a case, fire a trigger.

This module owns the order of checks (UNKNOWN case, INVALID trigger, FORBIDDEN role, INVALID
payload, NOT_ALLOWED when closed) before anything is written, the request row with who asked
and why (case_requests.py) and the Temporal calls (case_workflows.py). The workflow decides;
its answer is the case as the read model will show it once the step is recorded.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from temporalio.client import Client
from temporalio.service import RPCError

from activities import read_model, registry
from api.schemas.cases import CaseCreate, CasePublic, PersonCreate, TransitionCreate
from api.usecases import (
    access,
    appointments,
    case_requests,
    case_workflows,
    operator_actions,
    people,
    staff_fields,
    views,
)
from api.usecases.actors import User
from api.usecases.case_reads import CaseReads
from api.usecases.case_requests import StepRefused
from api.usecases.policies import CasePolicies
from api.usecases.tasks import open_tasks, start_tasks
from persistence import audit, policies
from persistence import models as m
from persistence.closure import PAUSED, RUNNING
from persistence.db import Database
from persistence.people import format_kundennummer
from persistence.prepared import Prepared
from runtime import signing
from runtime.settings import Settings
from runtime.temporal import workflow_id
from statemachines import PROCESSES, CaseMachine, Process
from statemachines.refusals import (
    DomainError,
    Refusal,
    invalid,
    invalid_payload,
    not_allowed,
    role_not_allowed,
    unavailable,
    validation_errors,
)
from statemachines.regimes import Regime
from statemachines.spec import START_TRIGGER
from workflows.host import ALREADY_APPLIED
from workflows.messages import DeadlineInfo, TransitionRequest

BERLIN = ZoneInfo("Europe/Berlin")
IDEMPOTENT_CASES = uuid.UUID("6f1c1a9e-3b0e-4f5e-9d61-2f8a4c7d0b11")
# A transition's reads are one prebuilt Core statement (no ORM identity map, no statement built
# per request): the case with its person.
_cases, _people = m.Case.__table__, m.Person.__table__
PERSON_FIELDS = ("person_id", "kundennummer", "vorname", "nachname", "geburtsdatum", "strasse", "plz", "ort")
CASE_FIELDS = (
    "case_id",
    "process",
    "state",
    "final",
    "person_id",
    "workflow_id",
    "created_at",
    "links",
    "policy_id",
    "regime",
    "closed_reason",
)
CASE_WITH_PERSON = Prepared(
    select(
        *(_cases.c[name] for name in CASE_FIELDS),
        *(_people.c[name].label(f"p_{name}") for name in PERSON_FIELDS),
    )
    .select_from(_cases.outerjoin(_people, _people.c.person_id == _cases.c.person_id))
    .where(_cases.c.case_id == bindparam("b_case_id"))
)


def _errors(refused: ValidationError) -> list[dict[str, Any]]:
    return validation_errors(refused)


class CaseCommands:
    def __init__(self, db: Database, client: Client, settings: Settings, policies: CasePolicies, reads: CaseReads):
        self.db, self.client, self.settings = db, client, settings
        self.policies, self.reads = policies, reads
        self.signing = signing.keys_from_settings(settings)  # every transition request is signed

    # --- starting a case -------------------------------------------------------------------

    async def create(self, body: CaseCreate, user: User, key: str | None) -> CasePublic:
        """Open a case of `body.process` for a person; the same Idempotency-Key gives the same case."""
        process = PROCESSES.get(body.process)
        if process is None:
            raise invalid(
                "unknown-process",
                "Unbekannter Prozess",
                f"Prozess {body.process} gibt es nicht.",
                processes=sorted(PROCESSES),
            )
        roles = sorted(user.roles & process.start_roles)
        if not roles:
            raise role_not_allowed(
                f"Einen Fall {process.label} eröffnen darf: " + ", ".join(sorted(process.start_roles)) + ".",
                roles=sorted(process.start_roles),
            )
        people.choose(body)
        now = datetime.now(UTC)
        regime = self.policies.regime_on(_legal_start(body, now))  # R61: the law of the case's legal start
        policy = self.policies.policy_for(regime)
        try:
            # Start facts may check themselves against the policy (e.g. R31: configured locations)
            # and the time of the start (e.g. R64: an appointment still ahead).
            start = process.start.model_validate(
                _with_case_regime(process, body.facts, regime), context={"policy": policy, "now": now}
            )
        except ValidationError as refused:
            raise invalid(
                "invalid-facts",
                "Ungültige Fakten",
                f"Die Fakten passen nicht zum Prozess {process.name}.",
                errors=_errors(refused),
            ) from None
        await staff_fields.require_known_staff(self.db, body.facts, "facts")
        case_id = str(uuid.uuid5(IDEMPOTENT_CASES, f"{user.user}\n{key}")) if key else str(uuid.uuid4())
        facts = process.initial_facts(start)
        digest = case_requests.start_fingerprint(case_id, body)
        try:
            async with self.db.unit_of_work() as session:
                case = await session.get(m.Case, case_id)
                if case is None:
                    await session.run_sync(self._same_start, user, key, digest, body, None)
                    person_id = await people.person_for_case(session, user, body, str(uuid.uuid4()), now)
                    policy_id = await session.run_sync(policies.store, policy, now, regime.name)
                    session.add(self._new_case(process, case_id, person_id, facts, policy_id, now, regime, policy))
                    await session.flush()
                    await session.run_sync(self._first_link, case_id, process, user, roles[0], now, regime.name)
                    session.add_all(start_tasks(process, case_id, facts, policy, now))  # R17: who acts first
                    if key:  # the key's request row: a repeat with another body is refused (422)
                        await session.run_sync(case_requests.remember_start, case_id, user, roles[0], key, digest, now)
                else:  # a repeat: the case as it was opened, with its policy and regime
                    await session.run_sync(self._same_start, user, key, digest, body, case)
                    person_id, now = case.person_id, case.created_at
                    policy = await self.policies.policy(case.policy_id)
                    regime = self.policies.regime(case.regime)
        except IntegrityError:  # the same key raced in concurrently: the first request wins
            async with self.db.unit_of_work(read_only=True) as session:
                case = await session.get(m.Case, case_id)
                if case is None:
                    raise
                await session.run_sync(self._same_start, user, key, digest, body, case)
                person_id, now = case.person_id, case.created_at
            policy = await self.policies.policy(case.policy_id)
            regime = self.policies.regime(case.regime)
        facts_json = facts.model_dump(mode="json")
        await case_workflows.start(
            self.client, self.settings.task_queue, process.name, case_id, person_id, facts_json, policy, now, regime
        )
        return await self.reads.read(case_id, user)

    @staticmethod
    def _first_link(session: Session, case_id: str, process: Process, user: User, role: str, now, regime: str) -> None:
        """The first link of the case's hash chain."""
        audit.append_event(
            session,
            prev=None,
            case_id=case_id,
            sequence=0,
            trigger=START_TRIGGER,
            from_state=None,
            to_state=process.initial,
            actor=user.user,
            role=role,
            comment=None,
            data={},
            occurred_at=now,
            regime=regime,
        )

    @staticmethod
    def _same_start(
        session: Session, user: User, key: str | None, digest: str, body: CaseCreate, case: m.Case | None
    ) -> None:
        """Refuse (422) an Idempotency-Key already used for another request: another process,
        other facts, another person, or a transition. Nothing is written or started then; the
        case id derived from the key is never given to a workflow of another process."""
        if not key:
            return
        earlier = case_requests.earlier(session, user, key)
        case_requests.same_request(earlier, digest)
        if case is None:
            return
        if case.process != body.process:
            case_requests.same_request(None, "", reused=True)
        person = session.get(m.Person, case.person_id) if case.person_id else None
        if body.person is None:  # attached to a known person (R14): the same one again
            other_id = body.person_id is not None and body.person_id != case.person_id
            number = person.kundennummer if person is not None else None
            other_number = body.kundennummer is not None and number != format_kundennummer(int(body.kundennummer))
            if other_id or other_number:
                case_requests.same_request(None, "", reused=True)
        elif person is not None and not _same_person(person, body.person):
            case_requests.same_request(None, "", reused=True)

    def _new_case(
        self, process: Process, case_id: str, person_id: str, facts, policy_id: str, now, regime: Regime, policy
    ) -> m.Case:
        """The read-model row at the start, as record_transition would write it for sequence 0."""
        machine = self.policies.machine_for(process.name, policy, regime, policy_id)
        deadlines = [DeadlineInfo.of(p) for p in machine.deadlines(process.initial, facts, now)]
        return m.Case(
            case_id=case_id,
            process=process.name,
            person_id=person_id,
            workflow_id=workflow_id(process.name, case_id),
            created_at=now,
            policy_id=policy_id,
            regime=regime.name,
            **read_model.read_model(
                state=process.initial,
                facts=facts.model_dump(mode="json"),
                deadlines=deadlines,
                overdue=False,
                final=False,
                sequence=0,
                links={},
                at=now,
            ),
        )

    # --- firing a trigger ------------------------------------------------------------------

    async def transition(self, case_id: str, body: TransitionCreate, user: User, key: str | None) -> dict[str, Any]:
        """Fire `body.trigger`: the case after the step as CasePublic JSON (the answer kept for
        the Idempotency-Key). Raises DomainError; StepRefused when the workflow refuses."""
        digest = case_requests.fingerprint(case_id, body)

        def read(session: Session) -> tuple:
            found = CASE_WITH_PERSON.first(session, {"b_case_id": case_id})
            checked = self._checked_and_remembered(session, found, body, user, digest) if key is None else None
            return found, case_requests.earlier(session, user, key), checked

        # The case row and its person do not change under a transition except through the
        # workflow, whose answer below replaces what is read here. With an Idempotency-Key
        # this is a read; without one the usual request is also checked and remembered here, its
        # request row the one write, last (on PostgreSQL without BEGIN and COMMIT: Database.run).
        found, earlier, checked = await self.db.run(read, read_only=key is not None, autocommit=key is None)
        if checked is not None:
            machine, role, request_id = checked
            case, person = _case_and_person(found)
            return await self._send(case, person, machine, body, body.data, user, role, request_id, key)
        if found is not None:
            case, person = _case_and_person(found)
        else:
            case = await self._new_child_case(case_id)
            person = (
                await self.db.run(lambda session: session.get(m.Person, case.person_id), read_only=True)
                if case.person_id
                else None
            )
        if not access.can_read(user, case):  # 404 like an unknown case: its existence is not revealed
            raise access.case_unknown(case_id)
        case_requests.same_request(earlier, digest)
        if earlier is not None and earlier.response is not None:
            return case_requests.kept_answer(earlier)
        machine = await self.policies.machine(case.process, case.policy_id, case.regime)
        convert = registry.converter(case.process, body.trigger)
        if earlier is not None and earlier.status_code == case_requests.APPLIED:
            return await self._retried_applied(case, person, machine, body, earlier, user)
        if earlier is not None and case.final:  # a retry whose first answer was lost: did it take effect?
            return await self._retried_on_final(case, earlier, user)
        role = _check(machine, body, user, case.state, case.final, payload=convert is None, closed=case.closed_reason)
        await staff_fields.require_known_staff(self.db, body.data, "data")
        data = await convert(self.db, case_id, body.data, user.user, machine.policy) if convert else body.data
        request_id = (
            earlier.request_id
            if earlier is not None
            else await case_requests.remember(self.db, case_id, body, user, role, key, digest)
        )
        return await self._send(case, person, machine, body, data, user, role, request_id, key)

    def _checked_and_remembered(
        self, session: Session, found, body: TransitionCreate, user: User, digest: str
    ) -> tuple[CaseMachine, str, str] | None:
        """The usual request (no Idempotency-Key, a case the caller may read, its machine at hand,
        no converter, no staff field): its checks, in the order `transition` makes them, and its
        request row in the read's database hop: one hop instead of two. A refusal raises before the
        row is written. None: `transition` goes the general way."""
        if found is None:
            return None
        case = found  # the row's case columns by name (_case_and_person)
        machine = self.policies.cached_machine(case.process, case.policy_id, case.regime)
        if (
            machine is None
            or not access.can_read(user, case)
            or registry.converter(case.process, body.trigger) is not None
            or staff_fields.names_staff(body.data)
        ):
            return None
        role = _check(machine, body, user, case.state, case.final, closed=case.closed_reason)
        return machine, role, case_requests.remember_in(session, case.case_id, body, user, role, digest)

    async def _send(
        self,
        case,
        person,
        machine: CaseMachine,
        body: TransitionCreate,
        data: dict[str, Any],
        user: User,
        role: str,
        request_id: str,
        key: str | None,
    ) -> dict[str, Any]:
        """The signed request to the workflow; its answer as CasePublic JSON (kept for the key)."""
        case_id = case.case_id
        request = case_workflows.signed(
            self.signing,
            case.case_id,
            case.process,
            TransitionRequest(trigger=body.trigger, data=data, role=role, request_id=request_id),
        )
        try:
            snapshot = await case_workflows.send(
                self.client, case.workflow_id, request, self.settings.update_timeout_seconds
            )
        except StepRefused as refused:
            refused = _for_caller(refused, machine, user)
            if key:  # only a repeatable request needs its first answer kept
                await case_requests.keep_refusal(self.db, request_id, refused)
            raise refused from None
        except operator_actions.WorkflowClosed as closed:  # terminated, cancelled or paused in the UI
            raise await operator_actions.refusal_for(self.db, case.case_id, closed) from None
        except DomainError as failed:  # Temporal left the outcome open: worker/catch_up.py looks again
            if failed.kind is Refusal.UNAVAILABLE:
                await case_requests.unconfirmed(self.db, request_id)
            raise
        # The workflow's answer is the case after this transition (the read model may lag by a commit),
        # with the columns its answer reads (a namespace: an ORM instance cost more than the rest of it).
        after = SimpleNamespace(
            case_id=case.case_id,
            process=case.process,
            person_id=case.person_id,
            workflow_id=case.workflow_id,
            created_at=case.created_at,
            regime=snapshot.regime or case.regime,  # as the read model will show it
            **read_model.of_snapshot(snapshot, case.links, datetime.now(UTC)),
        )
        # record_transition committed before the update answered: the tasks are those after the step.
        tasks = await self.db.run(lambda session: open_tasks(session, case_id), read_only=True) if user.staff else []
        public = views.case_public(after, person, machine, user.roles, self.reads.ui_url(case.workflow_id), tasks)
        answer = public.model_dump(mode="json")
        if key:
            await case_requests.keep(self.db, request_id, answer)
        return answer

    async def _retried_applied(
        self, case, person, machine: CaseMachine, body: TransitionCreate, earlier, user: User
    ) -> dict[str, Any]:
        """A repeat of a request that record_transition applied, its answer lost. The trail and the
        read model show its step, the workflow may not: the server can lose the workflow task that
        recorded it (activities/lost_tasks.py). So it goes to a running workflow again under its id,
        without the checks against the read model (they would find the step taken already):
        Temporal answers it again, or the workflow takes the step again and adopts its event. A
        closed workflow had taken it, as has one that knows the request already (it took the step
        from the trail before this repeat came): the case is the answer. Nothing is kept for the
        key here; a further repeat comes this way again."""
        status = await operator_actions.status_of(self.client, case.workflow_id)
        if status is None:
            raise unavailable(case_workflows.NOT_CONFIRMED)
        if status not in (RUNNING, PAUSED):
            return await self._retried_on_final(case, earlier, user)
        convert = registry.converter(case.process, body.trigger)
        data = await convert(self.db, case.case_id, body.data, user.user, machine.policy) if convert else body.data
        try:
            return await self._send(case, person, machine, body, data, user, earlier.role, earlier.request_id, None)
        except StepRefused as refused:
            if refused.detail != ALREADY_APPLIED:
                raise
        return (await self.reads.read(case.case_id, user)).model_dump(mode="json")

    async def _retried_on_final(self, case: m.Case, earlier: m.TransitionRequest, user: User) -> dict[str, Any]:
        """The case closed since the first attempt. If that attempt closed it (record_transition
        marked the request applied), the closed case is its answer; otherwise it came too late."""
        if earlier.status_code == case_requests.APPLIED:
            return (await self.reads.read(case.case_id, user)).model_dump(mode="json")
        label = PROCESSES[case.process].state(case.state).label
        raise StepRefused.of(
            not_allowed(f"Der Fall ist abgeschlossen ({label}).", state=case.state, allowed_triggers=[])
        )

    async def _new_child_case(self, case_id: str, seconds: float = 5.0) -> m.Case:
        """A case whose workflow runs but whose first activity has not written the read model
        yet (a child case addressed right after its parent's transition): wait for the row."""
        running = False
        for name in PROCESSES:
            try:
                await self.client.get_workflow_handle(workflow_id(name, case_id)).describe()
                running = True
                break
            except RPCError:
                continue
        for _ in range(int(seconds / 0.05) if running else 0):
            await asyncio.sleep(0.05)
            async with self.db.unit_of_work(read_only=True) as session:  # a new snapshot each time
                case = await session.get(m.Case, case_id)
            if case is not None:
                return case
        raise access.case_unknown(case_id)


def _check(
    machine: CaseMachine,
    body: TransitionCreate,
    user: User,
    state: str,
    final: bool,
    payload: bool = True,
    closed: str | None = None,
) -> str:
    """The checks before anything is written; the role the caller fires the trigger as."""
    process = machine.process
    if not process.has_trigger(body.trigger):
        raise invalid(
            "unknown-trigger",
            "Unbekannter Auslöser",
            f"{process.label} kennt den Auslöser {body.trigger} nicht.",
            triggers=[t.name for t in process.triggers if not t.timer_only],
        )
    declared = sorted(machine.roles_for(body.trigger))
    roles = sorted(user.roles & set(declared))
    if not roles:
        raise role_not_allowed(f"{body.trigger} dürfen nur: " + ", ".join(declared) + ".", roles=declared)
    try:
        if payload:  # a converted payload is checked by its converter
            appointments.check(machine.payload(body.trigger, body.data), datetime.now(UTC))
    except ValidationError as refused:
        raise invalid_payload(f"Die Daten passen nicht zu {body.trigger}.", errors=_errors(refused)) from None
    except ValueError as refused:
        raise invalid_payload(str(refused)) from None
    if final and closed:  # closed by an operator action on its workflow
        raise not_allowed(
            operator_actions.closed_detail(closed), state=state, allowed_triggers=[], closed_reason=closed
        )
    if final:
        label = process.state(state).label
        raise not_allowed(f"Der Fall ist abgeschlossen ({label}).", state=state, allowed_triggers=[])
    return roles[0]


def _for_caller(refused: StepRefused, machine: CaseMachine, user: User) -> StepRefused:
    """A 409 offers only the triggers the caller's role may fire, each with its German label (the
    workflow lists every role's)."""
    if refused.kind != Refusal.NOT_ALLOWED or "allowed_triggers" not in refused.extra:
        return refused
    process = machine.process
    mine = [
        views.named_trigger(process, name).model_dump()
        for name in refused.extra["allowed_triggers"]
        if process.has_trigger(name) and machine.roles_for(name) & user.roles
    ]
    return StepRefused.of(refused.with_extra(allowed_triggers=mine))


def _with_case_regime(process: Process, facts: dict[str, Any], regime: Regime) -> dict[str, Any]:
    """Start facts naming a regime (meldetermin: R64-R66) take the case's own unless they give one,
    so the facts and the case agree, also under a pinned regime (FAHRPLAN_REGIME)."""
    if "regime" in process.start.model_fields and not facts.get("regime"):
        return {**facts, "regime": regime.name}
    return facts


def _legal_start(body: CaseCreate, now: datetime) -> date:
    """The case's legal start (R61): given, or today in Germany; never in the future."""
    today = now.astimezone(BERLIN).date()
    start = body.rechtlicher_beginn or today
    if start > today:
        raise invalid(
            "invalid-facts",
            "Ungültiger rechtlicher Beginn",
            f"rechtlicher_beginn {start.isoformat()} liegt in der Zukunft; erlaubt ist heute oder früher.",
            errors=[{"loc": ["rechtlicher_beginn"], "msg": "liegt in der Zukunft", "type": "future_date"}],
        )
    return start


def _case_and_person(row) -> tuple[Any, Any]:
    """A CASE_WITH_PERSON row as the case and its person (None: none or erased), each with its
    columns by name (the person as a namespace: an ORM instance is not needed to answer)."""
    if not row.p_person_id:
        return row, None
    return row, SimpleNamespace(**{name: getattr(row, f"p_{name}") for name in PERSON_FIELDS})


def _same_person(stored: m.Person, p: PersonCreate) -> bool:
    """Whether a repeated start names the person the case was opened for (compared with the
    stored row, so no hash of personal data is kept beside it)."""
    a = p.anschrift
    given = {
        "vorname": p.vorname,
        "nachname": p.nachname,
        "geburtsdatum": p.geburtsdatum,
        "strasse": a.strasse if a else None,
        "plz": a.plz if a else None,
        "ort": a.ort if a else None,
    }
    return all(getattr(stored, name) == value for name, value in given.items())
