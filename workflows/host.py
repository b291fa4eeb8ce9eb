"""One reusable host for "a Temporal workflow that runs a declared machine".

Update  `transition(TransitionRequest) -> CaseSnapshot`: fire a trigger (validated first)
Query   `snapshot() -> CaseSnapshot`: the current state, facts and deadlines
Signal  `child_ended(ChildEnded)`: a case this one spawned has ended (fires on_child_end)
Signal  `catch_up()`: take a step a lost workflow task recorded, if any (worker/catch_up.py)
Update  `regime_wechseln(RegimeWechsel) -> CaseSnapshot`: move the case to another legal regime
        (R61, R62; sent by `fahrplan regime switch`); a case under it already changes nothing

Declared deadlines become durable timers: entering a state starts them, leaving
it cancels them, expiry fires the declared trigger as role "system". Each
transition runs exactly one activity (`record_transition`), then upserts the
search attributes and the UI details. Process workflows subclass `CaseWorkflow`.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, ValidationError

    from runtime import signing
    from statemachines import CaseMachine, NotAllowed, get_process
    from statemachines.engine import Step
    from statemachines.refusals import Refusal
    from statemachines.regimes import LEGACY, Regime, for_regime
    from statemachines.spec import REGIME_TRIGGER, SYSTEM, ChildEnded
    from workflows.effects import CaseEffects
    from workflows.messages import (
        CaseInput,
        CaseSnapshot,
        CaseState,
        DeadlineInfo,
        LostStep,
        RegimeWechsel,
        TransitionRecord,
        TransitionRequest,
    )
    from workflows.patches import Patches

HISTORY_LIMIT = 5_000  # continue-as-new well before Temporal's own warnings
# workflow.patched id: every declared overdue deadline marks the case, until it enters another state.
OVERDUE_UNTIL_DONE = "overdue-until-done"
# workflow.patched id: every child a case opened reports its end, not only the latest per process.
EVERY_CHILD_REPORTS = "every-child-reports"
LEGACY_OVERDUE = frozenset({"beratungsfrist_versaeumt"})  # the only overdue deadline before that patch
# R62, rule "beenden": the trigger a Schlichtung ends with at the change of law.
ENDED_BY_LAW = "durch_rechtsaenderung_beendet"
ALREADY_APPLIED = "Diese Anfrage wurde bereits ausgeführt"  # the refusal of a request id seen before


def refuse(kind: Refusal, message: str, **details: Any) -> ApplicationError:
    """A refusal the API maps to a DomainError: the error's type is the kind's value."""
    return ApplicationError(message, details or {}, type=kind.value, non_retryable=True)


def _with_regime(process, inp: CaseInput) -> dict[str, Any]:
    """Start facts; a process whose facts name the regime (meldetermin, minderung: R64–R66) gets
    the case's own when they leave it open (R61; a child runs under its parent's)."""
    if "regime" in process.facts.model_fields and not inp.facts.get("regime") and inp.regime is not None:
        return {**inp.facts, "regime": inp.regime.name}
    return inp.facts


class CaseWorkflow:
    history_limit = HISTORY_LIMIT

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self._patched = Patches()  # first: the baseline marker, before any patch is asked
        self._regime: Regime = inp.regime or LEGACY
        # The process as it exists under the case's regime (R61): its variant states and triggers.
        self._process = for_regime(get_process(inp.process), self._regime)
        inp = self._patched_policy(inp)
        self._machine = CaseMachine.shared(self._process, inp.policy)
        self._effects = CaseEffects(self._process, inp, self._patched)
        self._input = inp
        self._started = inp.continued is not None  # a continued run was recorded before
        self._case: CaseState = inp.continued or CaseState.of(
            self._process.facts.model_validate(_with_regime(self._process, inp)),
            state=self._process.initial,
            entered_at=inp.entered_at or workflow.now(),
            links=inp.links,
        )
        self._lock = asyncio.Lock()
        self._changes = 0
        self._inbox: list[ChildEnded] = []
        self._catching_up = False  # the catch_up signal came: look for a lost task's step
        # Request ids applied in this case (carried over by continue-as-new): a replayed request is refused.
        self._requests: set[str] = set(inp.applied_requests)

    # --- platform concerns -----------------------------------------------------------------

    def _patched_policy(self, inp: CaseInput) -> CaseInput:
        """A case started before a rule change keeps the policy values of the old rule (PolicyPatch)."""
        before: dict[str, Any] = {}
        unpatched = list(inp.unpatched)  # carried by continue-as-new (see CaseInput.unpatched)
        for patch in self._process.patches:
            if patch.id in unpatched or not self._patched(patch.id):
                before.update(patch.before)
                unpatched += [] if patch.id in unpatched else [patch.id]
        self._policy_before = before  # kept across a regime change too (_switch)
        if not before:
            return inp
        return inp.model_copy(update={"policy": inp.policy.model_copy(update=before), "unpatched": unpatched})

    async def _run(self, inp: CaseInput) -> CaseSnapshot:
        if not self._started:
            async with self._lock:
                await self._record_start()
            self._started = True
        self._publish()
        while not self._final:
            if workflow.info().get_current_history_length() > self.history_limit:
                await workflow.wait_condition(
                    lambda: (
                        workflow.all_handlers_finished()
                        and not self._lock.locked()
                        and not self._inbox
                        and not self._catching_up
                    )
                )
                workflow.continue_as_new(self._carry_over())
            await self._wait_for_change_or_deadline()
            await self._handle_inbox()
            await self._catch_up()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._effects.report_end(self._case)
        return self.snapshot()

    async def _wait_for_change_or_deadline(self) -> None:
        seen = self._changes
        pending = self._pending()

        def woken() -> bool:
            return self._changes != seen or bool(self._inbox) or self._catching_up

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
            fired = tuple(sorted({*self._case.fired, deadline.trigger}))
            self._case = self._case.model_copy(update={"fired": fired})
            self._changes += 1

    async def _handle_inbox(self) -> None:
        while self._inbox and not self._final:
            ended = self._inbox.pop(0)
            trigger = self._process.on_child_end.get(ended.process)
            if trigger is None:
                workflow.logger.warning(
                    "case %s: no trigger for the end of a %s case", self._input.case_id, ended.process
                )
                continue
            recorded = await self._effects.recorded_end(ended)
            if recorded is None:
                workflow.logger.warning(
                    "case %s: unrecorded end of a %s case ignored", self._input.case_id, ended.process
                )
                continue
            ended = recorded
            async with self._lock:
                try:
                    await self._apply(trigger, ended.model_dump(mode="json"), SYSTEM, None)
                except (NotAllowed, ValidationError, ValueError) as refused:
                    workflow.logger.warning("case %s: %s refused: %s", self._input.case_id, trigger, refused)

    async def _catch_up(self) -> None:
        """After the catch_up signal: take the step a lost workflow task recorded next, if there is
        one (worker/catch_up.py sends it for requests whose outcome the API never learned)."""
        if not self._catching_up:
            return
        self._catching_up = False
        async with self._lock:
            lost = await self._effects.find_lost(self._case.sequence + 1)
            if lost is not None and not await self._take_lost(lost):
                workflow.logger.warning("case %s: lost %s not taken", self._input.case_id, lost.trigger)

    async def _record_start(self) -> None:
        # Keeping the head changes no command: recorded histories replay unchanged.
        recorded = await self._effects.record_start(self._case, self._pending())
        self._case = self._case.model_copy(update={"head_hash": _head(recorded)})

    def _carry_over(self) -> CaseInput:
        """The next run's input: the start fields stay, the case's state goes in `continued`."""
        return self._input.model_copy(
            update={
                "facts": {},
                "links": {},
                "entered_at": None,
                "continued": self._case,
                "applied_requests": sorted(self._requests),
            }
        )

    # --- messages --------------------------------------------------------------------------

    @workflow.query
    def snapshot(self) -> CaseSnapshot:
        case = self._case
        return CaseSnapshot(
            case_id=self._input.case_id,
            process=self._process.name,
            state=case.state,
            sequence=case.sequence,
            facts=case.facts,
            deadlines=self._pending(),
            overdue=case.overdue,
            final=self._final,
            links=case.links,
            updated_at=case.updated_at,
            head_hash=case.head_hash,
            regime=self._regime.name,
        )

    @workflow.signal
    def child_ended(self, ended: ChildEnded) -> None:
        # Only a case this one opened, of the process it opened it as, can report its end: a
        # signal sent from the Temporal port for any other case is dropped (signals have no
        # validator; this check reads only the workflow's own state, so it replays the same).
        # An earlier child than the latest of its process (two Minderungen at once) is heard since
        # the patch; histories from before it dropped that end, and replay drops it again.
        opened = ended.case_id == self._case.links.get(ended.process) or (
            ended.case_id in self._case.children.get(ended.process, ()) and self._patched(EVERY_CHILD_REPORTS)
        )
        if not opened:
            workflow.logger.warning("case %s: end of a case it did not open ignored", self._input.case_id)
            return
        self._inbox.append(ended)

    @workflow.signal
    def catch_up(self) -> None:
        # Carries nothing and decides nothing: the workflow only asks its trail (activities/
        # lost_tasks.py), so a signal sent from the Temporal port changes what the trail already says.
        self._catching_up = True

    @workflow.update
    async def transition(self, req: TransitionRequest) -> CaseSnapshot:
        # An update can arrive before `run` has recorded the start of the case.
        await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            if req.request_id is not None:
                self._requests.add(req.request_id)
            try:
                await self._apply(req.trigger, req.data, req.role, req.request_id)
            except NotAllowed as refused:  # the state moved on between validation and handling
                raise self._not_allowed(refused) from None
            except (ValidationError, ValueError) as invalid:  # a prepared payload that does not fit
                raise refuse(Refusal.INVALID, f"Ungültige Daten für {req.trigger}: {invalid}") from None
            return self.snapshot()

    @transition.validator
    def _validate(self, req: TransitionRequest) -> None:
        """Only checks, never changes: a refusal is not written to history. Never runs on replay."""
        self._check_signature(req)
        if not self._process.has_trigger(req.trigger):
            raise refuse(Refusal.INVALID, f"Unbekannter Auslöser {req.trigger}", allowed=self._allowed())
        trigger = self._process.trigger(req.trigger)
        if req.role == SYSTEM or req.role not in trigger.roles:
            raise refuse(
                Refusal.FORBIDDEN,
                f"Die Rolle {req.role} darf {req.trigger} nicht auslösen",
                roles=sorted(self._machine.roles_for(req.trigger)),
            )
        if trigger.prepare and req.trigger in self._allowed():
            return  # its payload is completed by the prepare activity, then checked in full
        try:
            payload = self._machine.payload(req.trigger, req.data)
            self._machine.step(self._case.state, self._facts(), req.trigger, payload, workflow.now())
        except ValidationError as invalid:
            raise refuse(
                Refusal.INVALID,
                f"Ungültige Daten für {req.trigger}",
                errors=json.loads(invalid.json(include_url=False, include_input=False)),
            ) from None
        except ValueError as invalid:
            raise refuse(Refusal.INVALID, str(invalid)) from None
        except NotAllowed as refused:
            raise self._not_allowed(refused) from None

    def _check_signature(self, req: TransitionRequest) -> None:
        """The workflow trusts no caller: only a request the API signed for this case, process,
        trigger, data, role and request id passes (runtime/signing.py), and only once."""
        keys = signing.installed()
        message = signing.canonical(
            case_id=self._input.case_id,
            process=self._process.name,
            trigger=req.trigger,
            data=req.data,
            role=req.role,
            request_id=req.request_id,
            issued_at=req.issued_at,
        )
        if keys is None or req.request_id is None or not keys.verify(message, req.signature):
            raise refuse(Refusal.FORBIDDEN, "Die Anfrage ist nicht vom Fahrplan-API für diesen Fall signiert", roles=[])
        if req.request_id in self._requests:
            raise refuse(Refusal.NOT_ALLOWED, ALREADY_APPLIED, state=self._case.state)

    @workflow.update
    async def regime_wechseln(self, req: RegimeWechsel) -> CaseSnapshot:
        """R62: the change of law for a running case; recorded as one audit event with its rule.
        Repeating it (a second run of the command) finds the case moved or ended: nothing changes."""
        await workflow.wait_condition(lambda: self._started)
        async with self._lock:
            if self._final or self._regime.name == req.regime.name:
                return self.snapshot()
            note = {"von": self._regime.name, "nach": req.regime.name, "regel": req.regel}
            note["stichtag"] = req.stichtag.isoformat()
            if req.regel == "beenden":
                await self._apply(ENDED_BY_LAW, None, SYSTEM, req.request_id, note=note)
            else:
                await self._switch(req, note)
            return self.snapshot()

    @regime_wechseln.validator
    def _validate_regime(self, req: RegimeWechsel) -> None:
        keys = signing.installed()
        message = signing.regime_message(workflow.info().workflow_id, req.signed_content(), req.issued_at)
        if keys is None or not keys.verify(message, req.signature):
            raise refuse(Refusal.FORBIDDEN, "Der Regimewechsel ist nicht für diesen Fall signiert", roles=[])
        if req.regel == "beenden" and not self._process.has_trigger(ENDED_BY_LAW):
            raise refuse(
                Refusal.INVALID, f"Die Regel beenden gilt nur für Schlichtungen, nicht für {self._process.name}"
            )
        if req.regel == "wechsel" and self._case.state not in {s.name for s in self._variant(req.regime).states}:
            raise refuse(Refusal.NOT_ALLOWED, f"Zustand {self._case.state} gibt es unter {req.regime.name} nicht")

    def _variant(self, regime: Regime):
        return for_regime(get_process(self._input.process), regime)

    async def _switch(self, req: RegimeWechsel, note: dict[str, Any]) -> None:
        """Record the change (the state stays, its deadlines follow the new policy), then decide
        with the new regime's process and policy from here on, also after continue-as-new."""
        case, now = self._case, workflow.now()
        process = self._variant(req.regime)
        if self._policy_before:  # a case under an old rule keeps it under the new regime too (PolicyPatch)
            req = req.model_copy(update={"policy": req.policy.model_copy(update=self._policy_before)})
        machine = CaseMachine.shared(process, req.policy)
        facts = self._facts()
        deadlines = [
            DeadlineInfo.of(p)
            for p in machine.deadlines(case.state, facts, case.entered_at)
            if p.deadline.trigger not in case.fired
        ]
        after = case.model_copy(update={"sequence": case.sequence + 1, "updated_at": now})
        after._typed = facts
        record = TransitionRecord(
            case_id=self._input.case_id,
            process=process.name,
            person_id=self._input.person_id,
            sequence=after.sequence,
            trigger=REGIME_TRIGGER,
            source=case.state,
            dest=case.state,
            entered=False,
            role=SYSTEM,
            request_id=req.request_id,
            data=note,
            facts=case.facts,
            occurred_at=now,
            deadlines=deadlines,
            overdue=case.overdue,
            final=False,
            links=case.links,
            policy=req.policy,
            regime=req.regime.name,
        )
        recorded = await self._effects.record(record)
        lost = getattr(recorded, "lost", None)
        if lost is not None:
            if await self._take_lost(lost):
                return await self._switch(req, note)
            recorded = await self._effects.record(record, adopt=False)  # the trail says reset
        adopted_at = getattr(recorded, "adopted_at", None)
        if adopted_at is not None:  # recorded by a workflow task the server lost (activities/lost_tasks.py)
            after = after.model_copy(update={"updated_at": adopted_at})
        self._input = self._input.model_copy(update={"regime": req.regime, "policy": req.policy})
        self._regime, self._process, self._machine = req.regime, process, machine
        self._effects.moved(process, self._input)
        self._case = after
        self._changes += 1
        workflow.logger.info("case %s: regime %s -> %s", self._input.case_id, note["von"], note["nach"])
        self._publish()

    def _not_allowed(self, refused: NotAllowed) -> ApplicationError:
        return refuse(Refusal.NOT_ALLOWED, refused.reason, state=refused.state, allowed=refused.allowed)

    # --- business logic --------------------------------------------------------------------

    @property
    def _final(self) -> bool:
        return self._case.state in self._process.final_states

    def _facts(self) -> BaseModel:
        return self._case.typed_facts(self._process.facts)

    def _allowed(self) -> list[str]:
        return self._machine.allowed(self._case.state, self._facts())

    def _pending(self) -> list[DeadlineInfo]:
        case = self._case
        return self._deadlines_of(case.state, self._facts(), case.entered_at, case.fired)

    def _deadlines_of(self, state, facts, entered_at, fired) -> list[DeadlineInfo]:
        return [
            DeadlineInfo.of(p)
            for p in self._machine.deadlines(state, facts, entered_at)
            if p.deadline.trigger not in fired
        ]

    def _repeats(self, state: str, trigger: str) -> bool:
        """A repeating deadline (Deadline.repeats) is not noted as fired: its next instant fires it again."""
        return any(d.trigger == trigger and d.repeats for d in self._process.state(state).deadlines)

    def _publish(self) -> None:
        self._effects.publish(self._case, self._pending(), self._allowed())

    def _overdue(self, step: Step, deadline: DeadlineInfo | None) -> bool:
        """R18: a deadline people had to meet has passed with the work open. The mark stays
        until the case enters another state (the work is done), also when the deadline's own
        step entered one (the plan review falls due: the case is overdue in review)."""
        case = self._case
        marked = bool(deadline and deadline.marks_overdue)
        if self._patched(OVERDUE_UNTIL_DONE):
            return marked or step.transition.marks_overdue or (case.overdue and not step.entered)
        # Before: only the R32 counselling deadline marked, and only by an internal step.
        marked = marked and deadline is not None and deadline.trigger in LEGACY_OVERDUE
        return False if step.entered else case.overdue or marked

    async def _apply(
        self,
        trigger: str,
        data: dict[str, Any] | None,
        role: str,
        request_id: str | None,
        deadline: DeadlineInfo | None = None,
        note: dict[str, Any] | None = None,
    ) -> None:
        case, now, asked = self._case, workflow.now(), data
        prepare = self._process.trigger(trigger).prepare
        if prepare:
            data = await self._effects.prepare(prepare, trigger, data or {}, now, case)
        payload = self._machine.payload(trigger, data)
        step = self._machine.step(case.state, self._facts(), trigger, payload, now)
        overdue = self._overdue(step, deadline)
        # A spawn added to a transition later opens its child only where its patch is taken:
        # histories recorded before it replay without the child (and without its uuid).
        spawns = [s for s in step.transition.spawns if s.patch is None or self._patched(s.patch)]
        spawned = {spawn.link: str(workflow.uuid4()) for spawn in spawns}
        step_at = partial(self._decided, trigger, payload, role, request_id, deadline, note, overdue, spawns, spawned)
        after, record = step_at(step, now)
        recorded = await self._effects.record(record)
        lost = getattr(recorded, "lost", None)
        if lost is not None:
            if await self._take_lost(lost):
                if lost.request_id == request_id:  # its own step, decided otherwise this time
                    return
                if deadline is not None and all(d.trigger != deadline.trigger for d in self._pending()):
                    return  # the lost step left the state whose deadline woke the workflow
                return await self._apply(trigger, asked, role, request_id, deadline, note)
            recorded = await self._effects.record(record, adopt=False)  # the trail says reset
        adopted_at = getattr(recorded, "adopted_at", None)
        if adopted_at is not None:
            # The trail holds this step from a workflow task the server lost (activities/
            # lost_tasks.py): take it at the time it was recorded at, with the children it opened.
            opened = getattr(recorded, "links", None) or {}
            spawned = {link: opened.get(link, drawn) for link, drawn in spawned.items()}
            step_at = partial(
                self._decided, trigger, payload, role, request_id, deadline, note, overdue, spawns, spawned
            )
            again = self._machine.step(case.state, self._facts(), trigger, payload, adopted_at)
            if again.dest == step.dest:
                step = again
                after, _ = step_at(again, adopted_at)
            else:  # never seen: the state decides the step, and it is the one before the step
                workflow.logger.warning("case %s: adopted %s decided otherwise", self._input.case_id, trigger)
                after, _ = step_at(step, now)
        after = after.model_copy(update={"head_hash": _head(recorded)})
        for spawn in spawns:
            await self._effects.spawn(spawn, spawned[spawn.link], step.facts, payload)
        # Commit in memory only after the activity succeeded, in one assignment: a crash before
        # this point replays to the same decision, so nothing is lost or written twice.
        self._case = after
        self._changes += 1
        workflow.logger.info("case %s: %s %s -> %s", self._input.case_id, trigger, step.source, step.dest)
        self._publish()

    async def _take_lost(self, lost: LostStep) -> bool:
        """Take the step a lost workflow task of this run recorded (activities/lost_tasks.py) as the
        trail has it: its data, role, request, time and the children it opened. False when it does
        not follow from the case's state as recorded; the trail then says reset."""
        case = self._case
        try:
            payload = self._machine.payload(lost.trigger, lost.data)
            step = self._machine.step(case.state, self._facts(), lost.trigger, payload, lost.occurred_at)
        except (NotAllowed, ValidationError, ValueError):
            return False
        spawns = [s for s in step.transition.spawns if s.patch is None or self._patched(s.patch)]
        if step.dest != lost.to_state or any(s.link not in lost.links for s in spawns):
            return False
        spawned = {s.link: lost.links[s.link] for s in spawns}
        overdue = self._overdue(step, None)
        after, record = self._decided(
            lost.trigger, payload, lost.role, lost.request_id, None, None, overdue, spawns, spawned, step,
            lost.occurred_at,
        )  # fmt: skip
        recorded = await self._effects.record(record)  # finds the event: nothing is written
        after = after.model_copy(update={"head_hash": _head(recorded)})
        for spawn in spawns:
            await self._effects.spawn(spawn, spawned[spawn.link], step.facts, payload)
        self._requests.add(lost.request_id)
        self._case = after
        self._changes += 1
        workflow.logger.info("case %s: lost %s -> %s taken", self._input.case_id, lost.trigger, step.dest)
        self._publish()
        return True

    def _decided(
        self,
        trigger: str,
        payload: BaseModel | None,
        role: str,
        request_id: str | None,
        deadline: DeadlineInfo | None,
        note: dict[str, Any] | None,
        overdue: bool,
        spawns: list,
        spawned: dict[str, str],
        step: Step,
        now: datetime,
    ) -> tuple[CaseState, TransitionRecord]:
        """The case after `step` taken at `now`, and the record of it (nothing is changed here)."""
        case = self._case
        entered_at = now if step.entered else case.entered_at
        once = deadline is not None and not self._repeats(case.state, trigger)
        fired = () if step.entered else tuple(sorted({*case.fired, *([trigger] if once else [])}))
        after = CaseState.of(
            step.facts,
            state=step.dest,
            sequence=case.sequence + 1,
            entered_at=entered_at,
            fired=fired,
            overdue=overdue,
            links={**case.links, **spawned},
            children=_children(case.children, [(s.link, spawned[s.link]) for s in spawns if s.report]),
            updated_at=now,
        )
        record = TransitionRecord(
            case_id=self._input.case_id,
            process=self._process.name,
            person_id=self._input.person_id,
            sequence=after.sequence,
            trigger=trigger,
            source=step.source,
            dest=step.dest,
            entered=step.entered,
            role=role,
            request_id=request_id,
            data={**(payload.model_dump(mode="json") if payload else {}), **(note or {})},
            facts=after.facts,
            occurred_at=now,
            deadlines=self._deadlines_of(step.dest, step.facts, entered_at, fired),
            overdue=overdue,
            final=step.dest in self._process.final_states,
            letters=list(step.transition.letters),
            tasks=self._effects.tasks(step.transition.tasks, now, step.facts),
            closes=list(step.transition.closes),
            links=after.links,
            regime=self._regime.name,
        )
        return after, record


def _head(recorded: Any) -> str | None:
    """The audit chain's head digest from record_transition's result (None before it returned one)."""
    return getattr(recorded, "hash", None)


def _children(before: dict[str, tuple[str, ...]], opened: list[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """The reporting children after a step that opened `opened` (link, case id)."""
    children = dict(before)
    for link, case_id in opened:
        children[link] = (*children.get(link, ()), case_id)
    return children
