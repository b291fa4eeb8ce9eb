"""The training view of a process: what each state means, who acts there, its deadlines and
rules; what each trigger may be fired by and what it causes. Built from the declarations.

Pure (no I/O), so the `/schulung/<process>` pages stay a template over this model and every
fact on them comes from the definitions that run. Words that live outside the domain core
(the German role names, the letters' subjects) are passed in as mappings; without them the
page shows the ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from statemachines.diagram_plan import conditions, deadline_text
from statemachines.policy import Policy
from statemachines.registry import PROCESSES
from statemachines.rules import RULES, cited, ordered
from statemachines.spec import SYSTEM, Deadline, Process, State, TaskSpec, Transition


@dataclass(frozen=True)
class RuleRef:
    id: str  # "R5"
    title: str  # "Aktive Kontaktaufnahme, solange kein Clearingtermin besteht"


@dataclass(frozen=True)
class Named:
    name: str  # id: a role, letter, trigger, state or process
    label: str  # German


@dataclass(frozen=True)
class TaskView:
    role: Named
    title: str
    priority: int  # R27: 1 group session … 4 employer service, 5 everything else
    opened_by: Named  # the trigger whose step opens it


@dataclass(frozen=True)
class DeadlineView:
    trigger: Named  # fired by the timer
    when: str  # "nach 7 Tagen" (from the policy) or the deadline's own words
    marks_overdue: bool  # missing it makes the case overdue (FahrplanOverdue)


@dataclass(frozen=True)
class Actor:
    role: Named
    triggers: tuple[Named, ...]  # what the role may fire from the state


@dataclass(frozen=True)
class StateView:
    name: str
    label: str
    description: str
    initial: bool
    final: bool
    actors: tuple[Actor, ...]  # roles with a trigger from here (timers not counted)
    tasks: tuple[TaskView, ...]  # opened by the steps into or within the state
    deadlines: tuple[DeadlineView, ...]
    refusals: tuple[tuple[Named, str], ...]  # trigger, the rule's reason it is refused here
    rules: tuple[RuleRef, ...]  # declared, plus those its deadlines, tasks and refusals cite


@dataclass(frozen=True)
class Outcome:
    """One declared transition of a trigger: from where, under which condition, to where, and
    what it causes."""

    sources: tuple[Named, ...]
    dest: Named | None  # None: internal, the state stays
    conditions: str  # "" or e.g. "Leistung bewilligt (R12)"; "sonst" for the fallback
    letters: tuple[Named, ...]
    tasks: tuple[TaskView, ...]
    timers: tuple[DeadlineView, ...]  # started by entering `dest`
    children: tuple[Named, ...]  # cases of other processes it opens


@dataclass(frozen=True)
class TriggerView:
    name: str
    label: str
    description: str
    roles: tuple[Named, ...]  # people who may fire it (no `system`)
    by_timer: tuple[tuple[Named, DeadlineView], ...]  # (state, deadline) where a timer fires it
    by_child_end: tuple[Named, ...]  # child processes whose end fires it
    outcomes: tuple[Outcome, ...]
    rules: tuple[RuleRef, ...]  # declared, plus those its guards, tasks and deadlines cite


@dataclass(frozen=True)
class TrainingView:
    name: str
    label: str
    initial: str
    start_roles: tuple[Named, ...]
    started_by: tuple[tuple[Named, Named], ...]  # (process, trigger) of other processes that open it
    states: tuple[StateView, ...]
    triggers: tuple[TriggerView, ...]
    rules: tuple[RuleRef, ...]  # every rule the view cites, by number


def training_view(
    process: Process,
    policy: Policy,
    role_labels: Mapping[str, str] | None = None,
    letter_titles: Mapping[str, str] | None = None,
    processes: Mapping[str, Process] = PROCESSES,
) -> TrainingView:
    """The training view model of `process`, with durations from `policy`."""
    words = _Words(process, policy, role_labels or {}, letter_titles or {}, processes)
    states = tuple(_state(words, s) for s in process.states)
    triggers = tuple(_trigger(words, t.name) for t in process.triggers)
    every = [r.id for s in states for r in s.rules] + [r.id for t in triggers for r in t.rules]
    return TrainingView(
        name=process.name,
        label=process.label,
        initial=process.initial,
        start_roles=tuple(words.role(r) for r in sorted(process.start_roles)),
        started_by=tuple(
            (Named(p.name, p.label), words.trigger_in(p, t.trigger))
            for p in processes.values()
            for t in p.transitions
            if any(s.process == process.name for s in t.spawns)
        ),
        states=states,
        triggers=triggers,
        rules=_refs(every),
    )


@dataclass(frozen=True)
class _Words:
    process: Process
    policy: Policy
    role_labels: Mapping[str, str]
    letter_titles: Mapping[str, str]
    processes: Mapping[str, Process]

    def role(self, name: str) -> Named:
        return Named(name, self.role_labels.get(name, name))

    def state(self, name: str) -> Named:
        return Named(name, self.process.state(name).label)

    def trigger(self, name: str) -> Named:
        return self.trigger_in(self.process, name)

    @staticmethod
    def trigger_in(process: Process, name: str) -> Named:
        return Named(name, process.trigger(name).label)

    def letter(self, name: str) -> Named:
        return Named(name, self.letter_titles.get(name, name))

    def child(self, name: str) -> Named:
        child = self.processes.get(name)
        return Named(name, child.label if child is not None else name)

    def deadline(self, state: str, d: Deadline) -> DeadlineView:
        when = deadline_text(self.process, self.policy, d.trigger, state)
        return DeadlineView(self.trigger(d.trigger), when, d.marks_overdue)

    def task(self, spec: TaskSpec, t: Transition) -> TaskView:
        return TaskView(self.role(spec.role), spec.title, spec.priority, self.trigger(t.trigger))


def _refs(ids) -> tuple[RuleRef, ...]:
    return tuple(RuleRef(r, RULES[r]) for r in ordered(ids))


def _state(words: _Words, s: State) -> StateView:
    process = words.process
    leaving = [t for t in process.transitions if s.name in t.source]
    roles: dict[str, list[str]] = {}
    for t in leaving:
        for role in sorted(process.trigger(t.trigger).roles - {SYSTEM}):
            if t.trigger not in roles.setdefault(role, []):
                roles[role].append(t.trigger)
    actors = tuple(
        Actor(words.role(role), tuple(words.trigger(t) for t in triggers)) for role, triggers in sorted(roles.items())
    )
    arriving = [t for t in process.transitions if t.dest == s.name or (t.dest is None and s.name in t.source)]
    tasks = tuple(dict.fromkeys(words.task(spec, t) for t in arriving for spec in t.tasks))
    deadlines = tuple(words.deadline(s.name, d) for d in s.deadlines)
    refusals = tuple((words.trigger(trigger), reason) for trigger, reason in s.refusals.items())
    texts = [d.label for d in s.deadlines] + [task.title for task in tasks] + [reason for _, reason in refusals]
    return StateView(
        name=s.name,
        label=s.label,
        description=s.description,
        initial=s.name == process.initial,
        final=s.final,
        actors=actors,
        tasks=tasks,
        deadlines=deadlines,
        refusals=refusals,
        rules=_refs([*s.rules, *(r for text in texts for r in cited(text))]),
    )


def _trigger(words: _Words, name: str) -> TriggerView:
    process = words.process
    trig = process.trigger(name)
    declared = [(i, t) for i, t in enumerate(process.transitions) if t.trigger == name]
    outcomes = tuple(_outcome(words, i, t) for i, t in declared)
    by_timer = tuple(
        (words.state(s.name), words.deadline(s.name, d))
        for s in process.states
        for d in s.deadlines
        if d.trigger == name
    )
    by_child = tuple(words.child(child) for child, t in process.on_child_end.items() if t == name)
    texts = [g.label for _, t in declared for g in (*t.guards, *t.unless)]
    texts += [task.title for _, t in declared for task in t.tasks]
    texts += [d.label for s in process.states for d in s.deadlines if d.trigger == name]
    return TriggerView(
        name=name,
        label=trig.label,
        description=trig.description,
        roles=tuple(words.role(r) for r in sorted(trig.roles - {SYSTEM})),
        by_timer=by_timer,
        by_child_end=by_child,
        outcomes=outcomes,
        rules=_refs([*trig.rules, *(r for text in texts for r in cited(text))]),
    )


def _outcome(words: _Words, index: int, t: Transition) -> Outcome:
    process = words.process
    # The "sonst" reading can differ per source; the first source's reading names the branch.
    condition = conditions(process, index, t, t.source[0])
    entered = t.dest is not None
    return Outcome(
        sources=tuple(words.state(s) for s in t.source),
        dest=words.state(t.dest) if entered else None,
        conditions=condition,
        letters=tuple(words.letter(name) for name in t.letters),
        tasks=tuple(words.task(spec, t) for spec in t.tasks),
        timers=tuple(words.deadline(t.dest, d) for d in process.state(t.dest).deadlines) if entered else (),
        children=tuple(words.child(s.process) for s in t.spawns),
    )
