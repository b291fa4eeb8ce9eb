"""Case use cases behind the routes: start a case, read it, fire a trigger.

Routes stay thin; this module owns the order of checks (404, 422, 403, 409),
the Idempotency-Key bookkeeping and the mapping of workflow refusals to HTTP.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api import access, case_list
from api import schemas as s
from api import views
from api.auth import User
from api.errors import Problem, not_found
from persistence import audit
from persistence import models as m
from persistence.db import Database
from runtime.settings import Settings
from runtime.temporal import workflow_id
from statemachines import PROCESSES, CaseMachine
from workflows import search_attributes as sa
from workflows.messages import CaseInput, CaseSnapshot, DeadlineInfo, TransitionRequest

IDEMPOTENT_CASES = uuid.UUID("6f1c1a9e-3b0e-4f5e-9d61-2f8a4c7d0b11")
# A transition's reads and writes are prebuilt Core statements (no ORM identity map, no
# statement built per request): the case with its person in one query, the request row.
_cases, _people, _requests = m.Case.__table__, m.Person.__table__, m.TransitionRequest.__table__
PERSON_FIELDS = ("person_id", "vorname", "nachname", "geburtsdatum", "strasse", "plz", "ort")
CASE_WITH_PERSON = (
    select(
        *(_cases.c[name] for name in ("case_id", "process", "state", "final", "person_id", "workflow_id", "created_at", "links")),
        *(_people.c[name].label(f"p_{name}") for name in PERSON_FIELDS),
    )
    .select_from(_cases.outerjoin(_people, _people.c.person_id == _cases.c.person_id))
    .where(_cases.c.case_id == bindparam("b_case_id"))
)
REMEMBER = insert(_requests)
KEEP_ANSWER = (
    update(_requests).where(_requests.c.request_id == bindparam("b_request_id"))
    .values(status_code=bindparam("status_code"), response=bindparam("response"))
)
# Turns a trigger's request data into what the workflow receives, e.g. stores a plan's text
# (Sozialdaten) and sends only its draft id and hash. Raises Problem(422) for bad content.
PayloadConverter = Callable[[Database, str, dict[str, Any], "User"], Awaitable[dict[str, Any]]]


def _errors(invalid: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in invalid.errors()]


def _unavailable(what: str) -> Problem:
    return Problem(503, "unavailable", "Vorübergehend nicht verfügbar", f"{what} Bitte erneut versuchen.", {"Retry-After": "5"})


class CaseService:
    def __init__(
        self, db: Database, client: Client, settings: Settings,
        converters: Mapping[tuple[str, str], PayloadConverter] | None = None,
    ):
        self.db, self.client, self.settings = db, client, settings
        self.converters = dict(converters or {})  # (process, trigger) -> PayloadConverter
        self.machines = {name: CaseMachine(p, settings.policy) for name, p in PROCESSES.items()}

    def ui_url(self, wid: str) -> str:
        return f"{self.settings.temporal_ui_url}/namespaces/{self.settings.temporal_namespace}/workflows/{wid}"

    # --- reading ---------------------------------------------------------------------------

    async def read(self, case_id: str, user: User) -> s.CasePublic:
        async with self.db.unit_of_work(read_only=True) as session:
            case = await access.readable_case(session, user, case_id)
            person = await session.get(m.Person, case.person_id) if case.person_id else None
            return views.case_public(case, person, self.machines[case.process], user.roles, self.ui_url(case.workflow_id))

    async def list(self, user: User, *, process, state, overdue, deadline_before, limit: int, offset: int) -> bytes:
        """The JSON body of s.Page[s.CaseSummary] (api/case_list.py)."""
        filters = {"process": process or None, "state": state or None, "overdue": overdue, "deadline_before": deadline_before or None}
        return await case_list.page_json(self.db, user, filters, limit, offset)

    async def events(self, case_id: str, user: User) -> list[s.EventPublic]:
        async with self.db.unit_of_work(read_only=True) as session:
            case = await access.readable_case(session, user, case_id)
            rows = await session.scalars(
                select(m.CaseEvent).where(m.CaseEvent.case_id == case_id).order_by(m.CaseEvent.sequence)
            )
            process = PROCESSES[case.process]
            return [views.event_public(process, e) for e in rows]

    # --- starting a case -------------------------------------------------------------------

    async def create(self, body: s.CaseCreate, user: User, key: str | None) -> s.CasePublic:
        process = PROCESSES.get(body.process)
        if process is None:
            raise Problem(422, "unknown-process", "Unbekannter Prozess", f"Prozess {body.process} gibt es nicht.", processes=sorted(PROCESSES))
        roles = sorted(user.roles & process.start_roles)
        if not roles:
            raise Problem(403, "role-not-allowed", "Rolle nicht berechtigt", f"Einen Fall {process.label} eröffnen darf: " + ", ".join(sorted(process.start_roles)) + ".", roles=sorted(process.start_roles))
        try:
            # Start facts may check themselves against the policy (e.g. R31: configured locations).
            start = process.start.model_validate(body.facts, context={"policy": self.settings.policy})
        except ValidationError as invalid:
            raise Problem(422, "invalid-facts", "Ungültige Fakten", f"Die Fakten passen nicht zum Prozess {process.name}.", errors=_errors(invalid)) from None
        case_id = str(uuid.uuid5(IDEMPOTENT_CASES, f"{user.user}\n{key}")) if key else str(uuid.uuid4())
        wid = workflow_id(process.name, case_id)
        now = datetime.now(timezone.utc)
        facts = process.initial_facts(start)
        async with self.db.unit_of_work() as session:
            case = await session.get(m.Case, case_id)
            if case is None:
                person_id = str(uuid.uuid4())
                session.add(_person(person_id, body.person, now))
                await session.flush()  # no ORM relationship orders the inserts for us
                deadlines = self.machines[process.name].deadlines(process.initial, facts, now)
                session.add(
                    m.Case(
                        case_id=case_id, process=process.name, state=process.initial, person_id=person_id,
                        facts=facts.model_dump(mode="json"),
                        deadlines={"items": [_deadline(d).model_dump(mode="json") for d in deadlines]},
                        deadline=deadlines[0].due if deadlines else None, overdue=False, final=False, version=0,
                        workflow_id=wid, links={}, created_at=now, updated_at=now,
                    )
                )
                await session.flush()
                await session.run_sync(  # the first link of the case's hash chain
                    audit.append_event, prev=None, case_id=case_id, sequence=0, trigger="fall_angelegt", from_state=None,
                    to_state=process.initial, actor=user.user, role=roles[0], comment=None, data={}, occurred_at=now,
                )
            else:
                person_id, now = case.person_id, case.created_at
        await self._start(process.name, case_id, person_id, facts.model_dump(mode="json"), now)
        return await self.read(case_id, user)

    async def _start(self, process: str, case_id: str, person_id: str | None, facts: dict, created_at: datetime) -> None:
        label = PROCESSES[process].label
        try:
            await self.client.start_workflow(
                process,
                CaseInput(case_id=case_id, process=process, person_id=person_id, facts=facts, policy=self.settings.policy, entered_at=created_at),
                id=workflow_id(process, case_id),
                task_queue=self.settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                static_summary=f"{label} · Fall {case_id}",
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(sa.PROCESS, process),
                        SearchAttributePair(sa.STATE, PROCESSES[process].initial),
                        SearchAttributePair(sa.CASE_ID, case_id),
                        SearchAttributePair(sa.OVERDUE, False),
                    ]
                ),
            )
        except RPCError:
            raise _unavailable("Der Fall ist angelegt, aber Temporal antwortet nicht; mit demselben Idempotency-Key") from None

    # --- firing a trigger ------------------------------------------------------------------

    async def transition(self, case_id: str, body: s.TransitionCreate, user: User, key: str | None) -> tuple[int, dict]:
        fingerprint = hashlib.sha256(json.dumps([case_id, body.model_dump(mode="json")], sort_keys=True).encode()).hexdigest()

        def read(session: Session) -> tuple:
            return session.execute(CASE_WITH_PERSON, {"b_case_id": case_id}).first(), _earlier(session, user, key)

        # A read, not a write: the case row and its person do not change under a transition
        # except through the workflow, whose answer below replaces what is read here.
        found, earlier = await self.db.run(read, read_only=True)
        if found is not None:
            case, person = _case_and_person(found)
        else:
            case = await self._new_case(case_id)
            person = await self.db.run(lambda session: session.get(m.Person, case.person_id), read_only=True) if case.person_id else None
        if not (user.staff or access.can_read(user, case)):  # participants: their own case only
            raise not_found(f"Fall {case_id} ist unbekannt.")
        _same_request(earlier, fingerprint)
        if earlier is not None and earlier.response is not None:
            return earlier.status_code, earlier.response
        machine = self.machines[case.process]
        convert = self.converters.get((case.process, body.trigger))
        if earlier is not None and case.final:  # a retry whose first answer was lost: did it take effect?
            return await self._retried_on_final(case, earlier, user)
        role = self._check(machine, body, user, case.state, case.final, convert is None)
        data = await convert(self.db, case_id, body.data, user) if convert else body.data
        request_id = earlier.request_id if earlier is not None else await self._remember(case_id, body, user, role, key, fingerprint)
        status, response = await self._send(case, person, body, data, role, request_id, user)
        if key:  # only a repeatable request needs its first answer kept
            keep = {"b_request_id": request_id, "status_code": status, "response": response}
            await self.db.run(lambda session: session.execute(KEEP_ANSWER, keep))
        return status, response

    async def _retried_on_final(self, case: m.Case, earlier: m.TransitionRequest, user: User) -> tuple[int, dict]:
        """The case closed since the first attempt. If that attempt closed it (record_transition
        marked the request applied), the closed case is its answer; otherwise it came too late."""
        if earlier.status_code == 200:
            return 200, (await self.read(case.case_id, user)).model_dump(mode="json")
        label = self.machines[case.process].process.state(case.state).label
        return 409, _body(409, "trigger-not-allowed", "Auslöser nicht möglich", f"Der Fall ist abgeschlossen ({label}).",
                          state=case.state, allowed_triggers=[])

    async def _new_case(self, case_id: str, seconds: float = 5.0) -> m.Case:
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
        raise not_found(f"Fall {case_id} ist unbekannt.")

    def _check(self, machine: CaseMachine, body: s.TransitionCreate, user: User, state: str, final: bool, payload: bool = True) -> str:
        process = machine.process
        if not process.has_trigger(body.trigger):
            raise Problem(422, "unknown-trigger", "Unbekannter Auslöser", f"{process.label} kennt den Auslöser {body.trigger} nicht.", triggers=[t.name for t in process.triggers if not t.timer_only])
        roles = sorted(user.roles & machine.roles_for(body.trigger))
        if not roles:
            raise Problem(403, "role-not-allowed", "Rolle nicht berechtigt", f"{body.trigger} dürfen nur: " + ", ".join(sorted(machine.roles_for(body.trigger))) + ".", roles=sorted(machine.roles_for(body.trigger)))
        try:
            if payload:  # a converted payload is checked by its converter
                machine.payload(body.trigger, body.data)
        except ValidationError as invalid:
            raise Problem(422, "invalid-payload", "Ungültige Daten", f"Die Daten passen nicht zu {body.trigger}.", errors=_errors(invalid)) from None
        except ValueError as invalid:
            raise Problem(422, "invalid-payload", "Ungültige Daten", str(invalid)) from None
        if final:
            label = process.state(state).label
            raise Problem(409, "trigger-not-allowed", "Auslöser nicht möglich", f"Der Fall ist abgeschlossen ({label}).", state=state, allowed_triggers=[])
        return roles[0]

    async def _remember(self, case_id, body: s.TransitionCreate, user: User, role: str, key, fingerprint) -> str:
        request_id = str(uuid.uuid4())
        row = {
            "request_id": request_id, "case_id": case_id, "actor": user.user, "role": role, "trigger": body.trigger,
            "comment": body.comment, "idempotency_key": key, "fingerprint": fingerprint,
            "status_code": None, "response": None, "created_at": datetime.now(timezone.utc),
        }
        try:
            await self.db.run(lambda session: session.execute(REMEMBER, row))
        except IntegrityError:  # the same key raced in concurrently: join the first request
            earlier = await self.db.run(lambda session: _earlier(session, user, key), read_only=True)
            if earlier is None:  # not the key's constraint
                raise
            _same_request(earlier, fingerprint)
            return earlier.request_id
        return request_id

    async def _send(self, case: m.Case, person, body: s.TransitionCreate, data: dict, role, request_id, user: User) -> tuple[int, dict]:
        handle = self.client.get_workflow_handle(case.workflow_id)
        request = TransitionRequest(trigger=body.trigger, data=data, role=role, request_id=request_id)
        try:
            snapshot = await asyncio.wait_for(
                handle.execute_update("transition", request, id=request_id, result_type=CaseSnapshot),
                timeout=self.settings.update_timeout_seconds,
            )
        except WorkflowUpdateFailedError as failed:
            return self._refusal(failed.cause)
        except (RPCError, asyncio.TimeoutError):  # an update timing out in the RPC: api/errors.py answers 503
            raise _unavailable("Temporal hat den Schritt nicht bestätigt; mit demselben Idempotency-Key") from None
        # The workflow's answer is the case after this transition (the read model may lag by a commit).
        after = _as_row(case, snapshot)
        public = views.case_public(after, person, self.machines[case.process], user.roles, self.ui_url(case.workflow_id))
        return 200, public.model_dump(mode="json")

    def _refusal(self, cause: BaseException | None) -> tuple[int, dict]:
        details = cause.details[0] if isinstance(cause, ApplicationError) and cause.details else {}
        kind = cause.type if isinstance(cause, ApplicationError) else None
        message = cause.message if isinstance(cause, ApplicationError) else "Der Schritt wurde abgelehnt."
        if kind == "RoleNotAllowed":
            return 403, _body(403, "role-not-allowed", "Rolle nicht berechtigt", message, roles=details.get("roles", []))
        if kind == "InvalidPayload":
            return 422, _body(422, "invalid-payload", "Ungültige Daten", message, errors=details.get("errors", []))
        allowed = details.get("allowed", [])
        return 409, _body(409, "trigger-not-allowed", "Auslöser nicht möglich", message, state=details.get("state"), allowed_triggers=allowed)


def _earlier(session: Session, user: User, key: str | None) -> m.TransitionRequest | None:
    """The caller's earlier request with this Idempotency-Key, if any."""
    if not key:
        return None
    return session.scalar(
        select(m.TransitionRequest).where(m.TransitionRequest.actor == user.user, m.TransitionRequest.idempotency_key == key)
    )


def _same_request(earlier: m.TransitionRequest | None, fingerprint: str) -> None:
    if earlier is not None and earlier.fingerprint != fingerprint:
        raise Problem(422, "idempotency-key-reused", "Idempotency-Key wiederverwendet", "Dieser Idempotency-Key gehört zu einer anderen Anfrage.")


def _case_and_person(row) -> tuple[Any, m.Person | None]:
    """A CASE_WITH_PERSON row as the case (its columns by name) and its person (None: none or erased)."""
    person = m.Person(**{name: getattr(row, f"p_{name}") for name in PERSON_FIELDS}) if row.p_person_id else None
    return row, person


def _deadline(pending) -> DeadlineInfo:
    """The same JSON shape record_transition writes for the workflow's deadlines."""
    d = pending.deadline
    return DeadlineInfo(trigger=d.trigger, label=d.label, due=pending.due, marks_overdue=d.marks_overdue)


def _as_row(case: m.Case, snap: CaseSnapshot) -> m.Case:
    """The case as the workflow reports it, in the read model's shape (not attached to a session)."""
    return m.Case(
        case_id=case.case_id, process=case.process, person_id=case.person_id, workflow_id=case.workflow_id,
        created_at=case.created_at, state=snap.state, facts=snap.facts,
        deadlines={"items": [d.model_dump(mode="json") for d in snap.deadlines]},
        deadline=min((d.due for d in snap.deadlines), default=None), overdue=snap.overdue, final=snap.final,
        version=snap.sequence, links={**(case.links or {}), **snap.links},
        updated_at=snap.updated_at or datetime.now(timezone.utc),
    )


def _body(status: int, slug: str, title: str, detail: str, **extra) -> dict:
    return {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail, **extra}


def _person(person_id: str, p: s.PersonCreate, now: datetime) -> m.Person:
    a = p.anschrift
    return m.Person(
        person_id=person_id, vorname=p.vorname, nachname=p.nachname, geburtsdatum=p.geburtsdatum,
        strasse=a.strasse if a else None, plz=a.plz if a else None, ort=a.ort if a else None, created_at=now,
    )
