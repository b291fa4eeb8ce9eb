"""One reusable host for "a Temporal workflow that runs a declared machine".

Update  `transition(TransitionRequest) -> CaseSnapshot`: fire a trigger (validated first)
Query   `snapshot() -> CaseSnapshot`: the current state, facts and deadlines
Signal  `child_ended(ChildEnded)`: a case this one spawned has ended (fires on_child_end)

Declared deadlines become durable timers: entering a state starts them, leaving
it cancels them, expiry fires the declared trigger as role "system". Each
transition runs exactly one activity (`record_transition`), then upserts the
search attributes and the UI details. Process workflows subclass `CaseWorkflow`.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from statemachines import CaseMachine, NotAllowed, get_process
    from statemachines.spec import SYSTEM, ChildEnded
    from workflows.effects import CaseEffects
    from workflows.messages import (
        CaseInput,
        CaseSnapshot,
        DeadlineInfo,
        TransitionRecord,
        TransitionRequest,
    )

HISTORY_LIMIT = 5_000  # continue-as-new well before Temporal's own warnings


def refuse(message: str, kind: str, **details: Any) -> ApplicationError:
    """An error the API maps to HTTP: kind is TriggerNotAllowed, RoleNotAllowed or InvalidPayload."""
    return ApplicationError(message, details or {}, type=kind, non_retryable=True)


class CaseWorkflow(CaseEffects):
    history_limit = HISTORY_LIMIT

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self._process = get_process(inp.process)
        self._machine = CaseMachine(self._process, inp.policy)
        self._input = inp
        self._state = inp.state or self._process.initial
        self._facts = self._process.facts.model_validate(inp.facts)
        self._sequence = inp.sequence
        self._entered_at = inp.entered_at
        self._fired: set[str] = set(inp.fired)
        self._overdue = inp.overdue
        self._links = dict(inp.links)
        self._published_links: dict[str, str] = {}  # the memo as last upserted (effects._publish)
        self._lock = asyncio.Lock()
        self._changes = 0
        self._started = inp.state is not None  # a continued run was recorded before
        self._inbox: list[ChildEnded] = []
        self._updated_at: datetime | None = None  # for the update result only; never drives a decision

    # --- platform concerns -----------------------------------------------------------------

    async def _run(self, inp: CaseInput) -> CaseSnapshot:
        if self._entered_at is None:
            self._entered_at = workflow.now()
        if not self._started:
            async with self._lock:
                await self._record_start()
            self._started = True
        self._publish()
        while not self._final:
            if workflow.info().get_current_history_length() > self.history_limit:
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() and not self._lock.locked() and not self._inbox
                )
                workflow.continue_as_new(self._carry_over())
            await self._wait_for_change_or_deadline()
            await self._handle_inbox()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._report_end()
        return self.snapshot()

    async def _wait_for_change_or_deadline(self) -> None:
        seen = self._changes
        pending = self._pending()
        woken = lambda: self._changes != seen or bool(self._inbox)
        if not pending:
            await workflow.wait_condition(woken)
            return
        first = pending[0]
        timeout = max(first.due - workflow.now(), timedelta(0))
        try:
            await workflow.wait_condition(woken, timeout=timeout, timeout_summary=f"Frist: {first.label}")
        except TimeoutError:
            async with self._lock:
                if self._changes == seen:  # still in the state whose deadline expired
                    await self._fire_deadline(first)

    async def _fire_deadline(self, deadline: DeadlineInfo) -> None:
        try:
            await self._apply(deadline.trigger, None, SYSTEM, None, deadline)
        except (NotAllowed, ValidationError, ValueError) as refused:
            # A guard blocks the timer's transition: note it so the timer does not spin.
            workflow.logger.warning("deadline %s refused: %s", deadline.trigger, refused)
            self._fired.add(deadline.trigger)
            self._changes += 1

    async def _handle_inbox(self) -> None:
        while self._inbox and not self._final:
            ended = self._inbox.pop(0)
            trigger = self._process.on_child_end.get(ended.process)
            if trigger is None:
                workflow.logger.warning("case %s: no trigger for the end of a %s case", self._input.case_id, ended.process)
                continue
            async with self._lock:
                try:
                    await self._apply(trigger, ended.model_dump(mode="json"), SYSTEM, None)
                except (NotAllowed, ValidationError, ValueError) as refused:
                    workflow.logger.warning("case %s: %s refused: %s", self._input.case_id, trigger, refused)

    def _carry_over(self) -> CaseInput:
        return self._input.model_copy(
            update={
                "state": self._state,
                "facts": self._facts.model_dump(mode="json"),
                "sequence": self._sequence,
                "entered_at": self._entered_at,
                "fired": sorted(self._fired),
                "overdue": self._overdue,
                "links": self._links,
            }
        )

    # --- messages --------------------------------------------------------------------------

    @workflow.query
    def snapshot(self) -> CaseSnapshot:
        return CaseSnapshot(
            case_id=self._input.case_id,
            process=self._process.name,
            state=self._state,
            sequence=self._sequence,
            facts=self._facts.model_dump(mode="json"),
            deadlines=self._pending(),
            overdue=self._overdue,
            final=self._final,
            links=self._links,
            updated_at=self._updated_at,
        )

    @workflow.signal
    def child_ended(self, ended: ChildEnded) -> None:
        self._inbox.append(ended)

    @workflow.update
    async def transition(self, req: TransitionRequest) -> CaseSnapshot:
        # An update can arrive before `run` has recorded the start of the case.
        await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            try:
                await self._apply(req.trigger, req.data, req.role, req.request_id)
            except NotAllowed as refused:  # the state moved on between validation and handling
                raise self._not_allowed(refused) from None
            except (ValidationError, ValueError) as invalid:  # a prepared payload that does not fit
                raise refuse(f"Ungültige Daten für {req.trigger}: {invalid}", "InvalidPayload") from None
            return self.snapshot()

    @transition.validator
    def _validate(self, req: TransitionRequest) -> None:
        """Only checks, never changes: a refusal is not written to history."""
        if not self._process.has_trigger(req.trigger):
            raise refuse(f"Unbekannter Auslöser {req.trigger}", "InvalidPayload", allowed=self._allowed())
        trigger = self._process.trigger(req.trigger)
        if req.role == SYSTEM or req.role not in trigger.roles:
            raise refuse(
                f"Die Rolle {req.role} darf {req.trigger} nicht auslösen",
                "RoleNotAllowed",
                roles=sorted(self._machine.roles_for(req.trigger)),
            )
        if trigger.prepare and req.trigger in self._allowed():
            return  # its payload is completed by the prepare activity, then checked in full
        try:
            payload = self._machine.payload(req.trigger, req.data)
            self._machine.step(self._state, self._facts, req.trigger, payload, workflow.now())
        except ValidationError as invalid:
            raise refuse(
                f"Ungültige Daten für {req.trigger}",
                "InvalidPayload",
                errors=json.loads(invalid.json(include_url=False, include_context=False)),
            ) from None
        except ValueError as invalid:
            raise refuse(str(invalid), "InvalidPayload") from None
        except NotAllowed as refused:
            raise self._not_allowed(refused) from None

    def _not_allowed(self, refused: NotAllowed) -> ApplicationError:
        return refuse(refused.reason, "TriggerNotAllowed", state=refused.state, allowed=refused.allowed)

    # --- business logic --------------------------------------------------------------------

    @property
    def _final(self) -> bool:
        return self._state in self._process.final_states

    def _allowed(self) -> list[str]:
        return self._machine.allowed(self._state, self._facts)

    def _pending(self) -> list[DeadlineInfo]:
        return self._deadlines_of(self._state, self._facts, self._entered_at, self._fired)

    def _deadlines_of(self, state, facts, entered_at, fired) -> list[DeadlineInfo]:
        return [
            DeadlineInfo(trigger=p.deadline.trigger, label=p.deadline.label, due=p.due, marks_overdue=p.deadline.marks_overdue)
            for p in self._machine.deadlines(state, facts, entered_at)
            if p.deadline.trigger not in fired
        ]

    async def _apply(
        self, trigger: str, data: dict[str, Any] | None, role: str, request_id: str | None, deadline: DeadlineInfo | None = None
    ) -> None:
        now = workflow.now()
        prepare = self._process.trigger(trigger).prepare
        if prepare:
            data = await self._prepare(prepare, trigger, data or {}, now)
        payload = self._machine.payload(trigger, data)
        step = self._machine.step(self._state, self._facts, trigger, payload, now)
        entered_at = now if step.entered else self._entered_at
        fired = set() if step.entered else self._fired | ({trigger} if deadline else set())
        overdue = False if step.entered else self._overdue or bool(deadline and deadline.marks_overdue)
        deadlines = self._deadlines_of(step.dest, step.facts, entered_at, fired)
        spawned = {spawn.link: str(workflow.uuid4()) for spawn in step.transition.spawns}
        links = {**self._links, **spawned}
        record = TransitionRecord(
            case_id=self._input.case_id,
            process=self._process.name,
            person_id=self._input.person_id,
            sequence=self._sequence + 1,
            trigger=trigger,
            source=step.source,
            dest=step.dest,
            entered=step.entered,
            role=role,
            request_id=request_id,
            data=payload.model_dump(mode="json") if payload else {},
            facts=step.facts.model_dump(mode="json"),
            occurred_at=now,
            deadlines=deadlines,
            overdue=overdue,
            final=step.dest in self._process.final_states,
            letters=list(step.transition.letters),
            tasks=[self._task(t, now, step.facts) for t in step.transition.tasks],
            links=links,
        )
        await self._record(record)
        for spawn in step.transition.spawns:
            await self._spawn(spawn, spawned[spawn.link], step.facts, payload)
        # Commit in memory only after the activity succeeded: a crash before this
        # point replays to the same decision, so nothing is lost or written twice.
        self._state, self._facts, self._sequence = step.dest, step.facts, record.sequence
        self._entered_at, self._fired, self._overdue = entered_at, fired, overdue
        self._links = links
        self._updated_at = now
        self._changes += 1
        workflow.logger.info("case %s: %s %s -> %s", self._input.case_id, trigger, step.source, step.dest)
        self._publish()

