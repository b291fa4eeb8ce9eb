"""R17: no case waits on nobody. Walks every reachable non-final state of every declared process
and every way into it (the start of a case, each transition): each gives a staff role a task that
role can act on there, or the state runs a declared timer, or a linked case it waits on does."""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from statemachines.policy import Policy
from statemachines.registry import PROCESSES
from statemachines.spec import SYSTEM, Process, TaskSpec, Transition

START = "Fallstart"


def reachable(p: Process) -> set[str]:
    seen, queue = {p.initial}, deque([p.initial])
    while queue:
        state = queue.popleft()
        for t in p.transitions:
            dest = t.dest or state
            if state in t.source and dest not in seen:
                seen.add(dest)
                queue.append(dest)
    return seen


def ways_in(p: Process, state: str, states: set[str]) -> list[tuple[str, tuple[TaskSpec, ...], Transition | None]]:
    """(name, tasks opened, transition) for the start and every transition entering `state` from a reachable state."""
    ways = [(START, p.start_tasks, None)] if state == p.initial else []
    for t in p.transitions:
        if t.dest == state and any(s in states for s in t.source):
            ways.append((t.trigger, t.tasks, t))
    return ways


def acting_roles(p: Process, state: str) -> set[str]:
    """The staff roles that can fire a step from `state`."""
    return {r for t in p.transitions if state in t.source for r in p.trigger(t.trigger).roles - {SYSTEM}}


def waits_on_child(t: Transition | None) -> bool:
    """The way in opens a linked case that reports its end (its own states are walked too)."""
    return t is not None and any(s.report for s in t.spawns)


# Start facts of each process, in every variant that changes who acts first: the start is checked
# on them with the tasks' `when` guards and the deadlines' computed due dates, not only structurally.
STARTS: dict[str, list[dict]] = {
    "neuantrag": [
        {"antragsweg": "persoenlich"},
        {"antragsweg": "online"},
        {"antragsweg": "online", "rechtskreiswechsel": True, "alg1_ende": "2027-06-30"},
    ],
    "kooperationsplan": [{}, {"rehabilitand": True}],
    "schlichtung": [{"initiiert_von": "elb", "beginn": "2027-01-04T09:00:00+00:00"}],
    "rechtskreiswechsel": [{"alg1_ende": "2027-06-30", "standort": "Gevelsberg"}],
    "gruppencoaching": [{}, {"jobturbo": True}],
    "meldetermin": [
        {"termin": "2027-01-11T09:30:00+01:00", "ort": "Jobcenter Gevelsberg, Raum 1.12"},
        {"termin": "2027-01-11T09:30:00+01:00", "ort": "Raum 1.12", "regime": "grundsicherung_2026"},
    ],
    "minderung": [
        {"anlass": "meldeversaeumnis", "ereignis_am": "2027-01-04T09:00:00+00:00"},
        {"anlass": "pflichtverletzung", "ereignis_am": "2027-01-04T09:00:00+00:00", "regime": "buergergeld_2023"},
        {
            "anlass": "nicht_erreichbar",
            "ereignis_am": "2027-01-04T09:00:00+00:00",
            "regime": "grundsicherung_2026",
            "versaeumnisse_in_folge": 3,
        },
    ],
}
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def start_gaps(p: Process, starts: list[dict]) -> list[str]:
    found, policy, roles = [], Policy(), acting_roles(p, p.initial)
    for start in starts:
        facts = p.facts.model_validate(start)
        opened = [task for task in p.start_tasks if task.opens(facts, policy)]
        timer = any(d.due_at(facts, policy, NOW) is not None for d in p.state(p.initial).deadlines)
        if not timer and not any(task.role in roles for task in opened):
            found.append(f"{p.name}: a case started with {start} gives no acting role a task and runs no timer")
    return found


def gaps(p: Process, starts: list[dict] | None = None) -> list[str]:
    states = reachable(p)
    found = start_gaps(p, starts) if starts else []
    for name in sorted(states - p.final_states):
        declared = p.state(name)
        roles = acting_roles(p, name)
        for way, tasks, t in ways_in(p, name, states):
            if way == START and starts:
                continue  # checked on real start facts above
            if declared.deadlines:
                continue  # a running timer moves the case on by itself (its own step raises a task where needed)
            if waits_on_child(t):
                continue
            if not any(task.role in roles for task in tasks):
                found.append(f"{p.name}: {name} entered by {way} gives no acting role a task")
    return found


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_every_reachable_non_final_state_has_someone_acting_next(process):
    p = PROCESSES[process]
    assert not gaps(p, STARTS[process]), "\n".join(gaps(p, STARTS[process]))


def test_start_variants_cover_every_process():
    assert set(STARTS) == set(PROCESSES)


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_walk_reaches_every_declared_state(process):
    p = PROCESSES[process]
    assert reachable(p) == {s.name for s in p.states}


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_every_task_goes_to_a_role_that_can_act_where_it_is_opened(process):
    p = PROCESSES[process]
    opened = [(p.initial, task) for task in p.start_tasks]
    for t in p.transitions:
        opened += [(t.dest or source, task) for source in t.source for task in t.tasks]
    # A task opened by reaching a final state is a hand-off: its role takes over elsewhere (R13).
    wrong = [
        f"{state}: {task.kind} for {task.role}"
        for state, task in opened
        if state not in p.final_states and task.role not in acting_roles(p, state)
    ]
    assert not wrong, wrong


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_an_internal_step_that_closes_a_task_opens_the_next_one(process):
    p = PROCESSES[process]
    for t in p.transitions:
        if t.closes:
            assert t.dest is None, f"{t.trigger}: a step that leaves its state closes its tasks anyway"
            # Either the step raises the next task, or each state it stays in runs a timer that brings
            # the case back (R47: a step's status closes its follow-up; the next due date or the
            # review fires again in `aktiv`).
            timed = all(p.state(s).deadlines for s in t.source)
            assert t.tasks or timed, f"{t.trigger} closes {t.closes} and leaves nobody acting"


def test_the_walk_finds_a_state_nobody_acts_on():
    """The check can fail: a process whose second state neither raises a task nor runs a timer."""
    from pydantic import BaseModel

    from statemachines.spec import State, Trigger

    class F(BaseModel):
        pass

    p = Process(
        name="probe",
        label="Probe",
        initial="a",
        facts=F,
        start=F,
        states=(State("a", "A"), State("b", "B"), State("c", "C", final=True)),
        triggers=(Trigger("weiter", "Weiter", frozenset({"egs"})), Trigger("fertig", "Fertig", frozenset({"ifk"}))),
        transitions=(Transition("weiter", ("a",), "b"), Transition("fertig", ("b",), "c")),
        start_tasks=(TaskSpec("los", "egs", "Los"),),
    )
    assert gaps(p) == ["probe: b entered by weiter gives no acting role a task"]
    assert start_gaps(replace(p, start_tasks=()), [{}]) == [
        "probe: a case started with {} gives no acting role a task and runs no timer"
    ]
