"""Runs a declared process on a core `transitions.Machine`.

Core machine only: no Timeout or Locked extensions (they start threads, which
the Temporal workflow sandbox must not). The machine is built once per host;
each step sets a spare model to the case's state and facts first, so that a refused trigger
changes nothing and no step sees another's leftovers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from transitions import Machine, MachineError

from statemachines.policy import Policy
from statemachines.spec import SYSTEM, Deadline, Process, Transition


class NotAllowed(Exception):
    """The trigger cannot fire now; nothing changed."""

    def __init__(self, trigger: str, state: str, reason: str, allowed: list[str]):
        super().__init__(reason)
        self.trigger, self.state, self.reason, self.allowed = trigger, state, reason, allowed


@dataclass(frozen=True)
class Step:
    trigger: str
    source: str
    dest: str
    entered: bool  # False for an internal transition: the state is neither left nor re-entered
    facts: Any
    transition: Transition


@dataclass(frozen=True)
class PendingDeadline:
    deadline: Deadline
    due: datetime


class _Model:
    def __init__(self) -> None:
        self.facts: Any = None
        self.taken: Transition | None = None


SHARED_LIMIT = 256  # machines kept by CaseMachine.shared (processes x regimes x policies in use)
_SHARED: dict[tuple[int, Policy], CaseMachine] = {}


class CaseMachine:
    def __init__(self, process: Process, policy: Policy | None = None):
        self.process = process
        self.policy = policy or Policy()
        self._machine = Machine(
            model=None,
            states=[s.name for s in process.states],
            initial=process.initial,
            transitions=[self._config(t) for t in process.transitions],
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        # Adding a model binds every trigger to it (most of a step's cost), so models are kept
        # and reused. A step takes one for itself (list.pop and append are atomic: API threads
        # sharing a machine never share a model) and resets its state and facts.
        self._spare: list[_Model] = []
        self._offers: dict[str, tuple] = {}  # per state, see _offered

    @classmethod
    def shared(cls, process: Process, policy: Policy | None = None) -> CaseMachine:
        """The machine for `process` (a regime's variant) and `policy`, one for every case that
        decides with them: building one costs about half a millisecond (every transition bound
        into the library's Machine), on each workflow start and replay, while a machine holds
        nothing of a case (a step takes a spare model for itself, see above)."""
        policy = policy or Policy()
        key = (id(process), policy)
        found = _SHARED.get(key)
        if found is None or found.process is not process:  # an id can be reused once a process is gone
            if len(_SHARED) >= SHARED_LIMIT:
                _SHARED.clear()
            found = _SHARED[key] = cls(process, policy)
        return found

    def _config(self, t: Transition) -> dict[str, Any]:
        policy = self.policy

        def record(event: Any) -> None:
            event.model.taken = t

        return {
            "trigger": t.trigger,
            "source": list(t.source),
            "dest": t.dest,
            "conditions": [lambda ev, g=g: g.test(ev.model.facts, policy) for g in t.guards],
            "unless": [lambda ev, g=g: g.test(ev.model.facts, policy) for g in t.unless],
            "after": [record],
        }

    def payload(self, trigger: str, data: dict[str, Any] | None) -> BaseModel | None:
        """Validate a trigger's payload; raises pydantic.ValidationError."""
        model = self.process.trigger(trigger).payload
        if model is None:
            if data:
                raise ValueError(f"Auslöser {trigger} erwartet keine Daten")
            return None
        return model.model_validate(data or {})

    def step(self, state: str, facts: Any, trigger: str, payload: BaseModel | None, now: datetime) -> Step:
        if not self.process.has_trigger(trigger):
            raise NotAllowed(trigger, state, f"Unbekannter Auslöser {trigger}", self.allowed(state, facts))
        refusal = self.process.state(state).refusals.get(trigger)
        if refusal is not None:
            raise NotAllowed(trigger, state, refusal, self.allowed(state, facts))
        if not self._candidates(state, trigger):  # before the effect: a wrong state is a 409, not a bad payload
            label = self.process.state(state).label
            raise NotAllowed(
                trigger, state, f"{trigger} ist im Zustand „{label}“ nicht möglich", self.allowed(state, facts)
            )
        effect = self.process.trigger(trigger).effect
        new_facts = effect(facts, payload, now) if effect else facts
        model = self._model(state, new_facts)
        try:
            try:
                moved = model.trigger(trigger)
            except MachineError:
                label = self.process.state(state).label
                raise NotAllowed(
                    trigger, state, f"{trigger} ist im Zustand „{label}“ nicht möglich", self.allowed(state, facts)
                ) from None
            if not moved or model.taken is None:
                raise NotAllowed(trigger, state, self._why_not(state, new_facts, trigger), self.allowed(state, facts))
            taken = model.taken
            return Step(trigger, state, model.state, taken.dest is not None, new_facts, taken)
        finally:
            model.facts = model.taken = None
            self._spare.append(model)

    def _model(self, state: str, facts: Any) -> _Model:
        try:
            model = self._spare.pop()
        except IndexError:
            model = _Model()
            self._machine.add_model(model, initial=state)
        self._machine.set_state(state, model)
        model.facts, model.taken = facts, None
        return model

    def _why_not(self, state: str, facts: Any, trigger: str) -> str:
        failed = []
        for t in self._candidates(state, trigger):
            failed += [g.label for g in t.guards if not g.test(facts, self.policy)]
            failed += [f"nicht: {g.label}" for g in t.unless if g.test(facts, self.policy)]
        return f"{trigger}: Bedingung nicht erfüllt: " + "; ".join(dict.fromkeys(failed))

    def _candidates(self, state: str, trigger: str) -> list[Transition]:
        return [t for t in self.process.transitions if t.trigger == trigger and state in t.source]

    def allowed(self, state: str, facts: Any, roles: set[str] | frozenset[str] | None = None) -> list[str]:
        """Triggers a person could fire now (guards on the current facts), in declaration order."""
        names: list[str] = []
        wanted = None if roles is None else set(roles)
        for trigger, trigger_roles, t in self._offered(state):
            if trigger in names or (wanted is not None and not trigger_roles & wanted):
                continue
            if all(g.test(facts, self.policy) for g in t.guards) and not any(
                g.test(facts, self.policy) for g in t.unless
            ):
                names.append(trigger)
        return names

    def _offered(self, state: str) -> tuple:
        """The transitions out of `state` a person may fire (no timer-only ones), in declaration
        order with their triggers' roles: looked up once per state, as every answer asks."""
        found = self._offers.get(state)
        if found is None:
            process = self.process
            found = tuple(
                (t.trigger, process.trigger(t.trigger).roles, t)
                for t in process.transitions
                if state in t.source and not process.trigger(t.trigger).timer_only
            )
            self._offers[state] = found
        return found

    def deadlines(self, state: str, facts: Any, entered_at: datetime) -> list[PendingDeadline]:
        """The declared deadlines of a state, earliest first."""
        pending = []
        for d in self.process.state(state).deadlines:
            due = d.due_at(facts, self.policy, entered_at)
            if due is not None:
                pending.append(PendingDeadline(d, due))
        return sorted(pending, key=lambda p: p.due)

    def roles_for(self, trigger: str) -> frozenset[str]:
        return self.process.trigger(trigger).roles - {SYSTEM}
