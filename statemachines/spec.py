"""The declaration format shared by every process.

A process is plain data: states (with German labels and declared deadlines),
triggers (label, roles, payload model, effect on the facts) and transitions
(sources, destination, guards and what they put into the outbox and inbox).
The engine turns it into a `transitions.Machine`; the diagram renderer draws it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from statemachines.policy import Policy
from statemachines.rules import RULES

SYSTEM = "system"  # the role of a durable timer firing a declared deadline
# The trigger of every case's first event (sequence 0, no source state): the start is not a transition.
START_TRIGGER = "fall_angelegt"
START_LABEL = "Fall angelegt"
# The audit event an operator's reset of a workflow leaves (persistence/resets.py): the events after
# the reset point are discarded by the workflow, the trail keeps them and says where it went back to.
RESET_TRIGGER = "zurueckgesetzt"
RESET_LABEL = "In Temporal zurückgesetzt"
# The event a running case records when an operator moves it to another legal regime (R61, R62):
# no transition of the process, the state stays.
REGIME_TRIGGER = "regime_gewechselt"
REGIME_LABEL = "Rechtsstand gewechselt"

Facts = BaseModel
Effect = Callable[[Any, Any, datetime], Any]  # (facts, payload or None, now) -> new facts
DueAt = Callable[[Any, Policy, datetime], "datetime | None"]  # (facts, policy, entered_at)
# (facts, policy, now) -> when the task's work is due; None: the policy's handling time
TaskDue = Callable[[Any, Policy, datetime], "datetime | None"]


# A payload field the system fills in (a prepare activity), never the member of staff: JSON
# Schema's readOnly, so the process schema says so and the pages' forms leave it out.
SET_BY_SYSTEM: dict[str, Any] = {"readOnly": True}


@dataclass(frozen=True)
class Guard:
    """A named condition on the facts (after the trigger's effect)."""

    name: str
    label: str
    test: Callable[[Any, Policy], bool]


@dataclass(frozen=True)
class Deadline:
    """Entering the state starts a durable timer; expiry fires `trigger`.

    `delay` names a timedelta field of the Policy (due = entered + delay);
    `due` computes the instant from the facts instead (None: no timer).
    """

    trigger: str
    label: str
    delay: str | None = None
    due: DueAt | None = None
    marks_overdue: bool = False
    # Fires once per entry of the state, unless it repeats: then its trigger's effect must move
    # `due` on (or to None), and every later instant fires it again (e.g. R47's step due dates).
    repeats: bool = False

    def due_at(self, facts: Any, policy: Policy, entered_at: datetime) -> datetime | None:
        if self.due is not None:
            return self.due(facts, policy, entered_at)
        assert self.delay is not None, f"deadline {self.trigger} needs delay or due"
        return entered_at + getattr(policy, self.delay)


@dataclass(frozen=True)
class TaskSpec:
    """A task for the staff inbox, opened by a transition.

    Priority follows R27 (1 group session … 4 employer service; 5 everything
    else). A task closes by itself when the case leaves the state it was
    opened in, so the transition that resolves it is the one that closes it.
    R18: it is due when its work is due: `due` computes that instant from the
    facts (an appointment, a deadline); without it (or when it gives None) the
    policy's handling time for the task's kind counts from its opening.
    """

    kind: str
    role: str
    title: str
    priority: int = 5
    due: TaskDue | None = None
    # When this guard holds on the case's facts the task goes first in its queue (R25 Jobturbo).
    precedence: Guard | None = None
    # (guard, priority): the first guard that holds on the facts gives the task its R27
    # priority instead of `priority` (e.g. 3 only for clearing from a warm handover).
    priority_when: tuple[tuple[Guard, int], ...] = ()
    # The task is opened only when this guard holds on the (updated) facts (e.g. IFK or IFK-Reha).
    when: Guard | None = None

    def priority_for(self, facts: Any, policy: Policy) -> int:
        return next((prio for guard, prio in self.priority_when if guard.test(facts, policy)), self.priority)

    def opens(self, facts: Any, policy: Policy) -> bool:
        return self.when is None or self.when.test(facts, policy)

    def due_at(self, facts: Any, policy: Policy, now: datetime) -> datetime:
        due = self.due(facts, policy, now) if self.due is not None else None
        return due if due is not None else now + policy.bearbeitungszeit(self.kind)


class ChildEnded(BaseModel):
    """Payload of the trigger a parent fires when a spawned child case ends."""

    model_config = ConfigDict(extra="forbid")
    case_id: str
    process: str
    state: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class Spawn:
    """A transition opens a case of another process for the same person.

    `facts` builds the new case's start facts from the (updated) facts and the
    payload. With `report=True` the new case reports its end back: the parent
    fires its `Process.on_child_end[process]` trigger with a `ChildEnded` payload.
    """

    process: str
    facts: Callable[[Any, Any], dict[str, Any]]
    report: bool = False
    # A `workflow.patched` id: the child is opened only where the patch is taken, so histories
    # recorded before this spawn existed replay without it (the host checks it).
    patch: str | None = None

    @property
    def link(self) -> str:
        return self.process


@dataclass(frozen=True)
class State:
    name: str
    label: str
    final: bool = False
    deadlines: tuple[Deadline, ...] = ()
    # trigger -> why it is refused here (e.g. R55): the refusal names the rule instead of
    # the generic "not possible in this state"; such a trigger has no transition from here.
    refusals: dict[str, str] = field(default_factory=dict, compare=False)
    # For people (training pages, case pages): what the state means, in one or two German
    # sentences, and the rules of DOMAIN.md behind it (ids from statemachines.rules); set
    # with `described` from statemachines/descriptions/<process>.py.
    description: str = field(default="", compare=False)
    rules: tuple[str, ...] = field(default=(), compare=False)
    # A process variant (R61): the state exists only under regimes that include it
    # (statemachines/regimes.py); None: under every regime.
    variante: str | None = None


@dataclass(frozen=True)
class Text:
    """What a state or trigger means for people (German), and the rules behind it."""

    description: str
    rules: tuple[str, ...] = ()


def described(items: tuple[Any, ...], texts: Mapping[str, Text]) -> tuple[Any, ...]:
    """`items` (states or triggers) with the description and rules `texts` give by name.

    The texts live beside the process (statemachines/descriptions/): the declaration stays
    short, and a missing text fails tests/test_training.py, not the running process.
    """
    return tuple(
        replace(i, description=texts[i.name].description, rules=texts[i.name].rules) if i.name in texts else i
        for i in items
    )


@dataclass(frozen=True)
class Trigger:
    name: str
    label: str
    roles: frozenset[str]
    payload: type[BaseModel] | None = None
    effect: Effect | None = None
    # Name of an activity that computes the payload before the step (e.g. booking a
    # free place); it gets a PrepareRequest and returns a PrepareResult.
    prepare: str | None = None
    # What the API accepts when it differs from `payload` (the API converts it, e.g. a plan's
    # text is stored and only its draft id goes to the workflow); shown in the process schema.
    api_payload: type[BaseModel] | None = None
    # For people: what the step means and causes, in German, and the rules behind it.
    description: str = field(default="", compare=False)
    rules: tuple[str, ...] = field(default=(), compare=False)
    variante: str | None = None  # as State.variante: only under regimes including this variant

    @property
    def timer_only(self) -> bool:
        return self.roles == frozenset({SYSTEM})


@dataclass(frozen=True)
class Transition:
    """One edge. `dest=None` is internal: the state is not left or re-entered."""

    trigger: str
    source: tuple[str, ...]
    dest: str | None
    guards: tuple[Guard, ...] = ()
    unless: tuple[Guard, ...] = ()
    letters: tuple[str, ...] = ()
    tasks: tuple[TaskSpec, ...] = ()
    spawns: tuple[Spawn, ...] = ()
    # Kinds of the case's open tasks an internal transition resolves (a left state closes its own).
    closes: tuple[str, ...] = ()
    # R18: the step itself finds a deadline people had to meet passed with the work open.
    marks_overdue: bool = False


@dataclass(frozen=True)
class PolicyPatch:
    """A changed rule that running cases must not see (replay safety).

    The workflow host asks `workflow.patched(id)` once when a case starts; a case
    that began before the change replays without the marker and keeps the policy
    values in `before`, which reproduce the old behaviour.
    """

    id: str
    before: Mapping[str, Any]


@dataclass(frozen=True)
class Process:
    name: str
    label: str
    initial: str
    facts: type[BaseModel]
    start: type[BaseModel]
    states: tuple[State, ...]
    triggers: tuple[Trigger, ...]
    transitions: tuple[Transition, ...]
    start_roles: frozenset[str] = frozenset()  # who may open a case of this process
    # R17: the tasks the start of a case opens (who acts first), like a transition's tasks.
    start_tasks: tuple[TaskSpec, ...] = ()
    on_child_end: dict[str, str] = field(default_factory=dict, compare=False)  # child process -> trigger here
    # Letters the start of a case puts into the outbox (e.g. the invitation of a meldetermin).
    start_letters: tuple[str, ...] = ()
    # Values computed from state and facts for readers (API), never stored: e.g. rfb_pflicht.
    derived: Callable[[str, Any], dict[str, Any]] | None = field(default=None, compare=False)
    # Rule changes that cases started before them do not take (see PolicyPatch).
    patches: tuple[PolicyPatch, ...] = field(default=(), compare=False)
    _index: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index["states"] = {s.name: s for s in self.states}
        self._index["triggers"] = {t.name: t for t in self.triggers}
        _validate(self)

    def state(self, name: str) -> State:
        return self._index["states"][name]

    def trigger(self, name: str) -> Trigger:
        return self._index["triggers"][name]

    def has_trigger(self, name: str) -> bool:
        return name in self._index["triggers"]

    @property
    def final_states(self) -> frozenset[str]:
        return frozenset(s.name for s in self.states if s.final)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r for t in self.triggers for r in t.roles)

    def initial_facts(self, start: BaseModel) -> BaseModel:
        return self.facts.model_validate(start.model_dump())


def _validate(p: Process) -> None:
    states, triggers = p._index["states"], p._index["triggers"]
    problems: list[str] = []
    if p.initial not in states:
        problems.append(f"initial state {p.initial} undeclared")
    for t in p.transitions:
        if t.trigger not in triggers:
            problems.append(f"transition uses undeclared trigger {t.trigger}")
        for s in t.source:
            if s not in states:
                problems.append(f"{t.trigger}: undeclared source {s}")
            elif states[s].final:
                problems.append(f"{t.trigger}: leaves final state {s}")
        if t.dest is not None and t.dest not in states:
            problems.append(f"{t.trigger}: undeclared destination {t.dest}")
    for s in p.states:
        for d in s.deadlines:
            if d.trigger not in triggers:
                problems.append(f"{s.name}: deadline fires undeclared trigger {d.trigger}")
            elif not any(d.trigger == t.trigger and s.name in t.source for t in p.transitions):
                problems.append(f"{s.name}: deadline trigger {d.trigger} has no transition from it")
        for refused in s.refusals:
            if refused not in triggers:
                problems.append(f"{s.name}: refuses undeclared trigger {refused}")
            elif any(refused == t.trigger and s.name in t.source for t in p.transitions):
                problems.append(f"{s.name}: refuses {refused} but declares a transition for it")
    for item in (*p.states, *p.triggers):
        unknown = [r for r in item.rules if r not in RULES]
        if unknown:
            problems.append(f"{item.name}: unknown rule {', '.join(unknown)}")
    for child, trigger in p.on_child_end.items():
        if trigger not in triggers:
            problems.append(f"on_child_end[{child}] fires undeclared trigger {trigger}")
    if problems:
        raise ValueError(f"process {p.name}: " + "; ".join(problems))
