"""Which declared transitions and timers the recorded histories take, checked against the
declarations in statemachines/.

Each history is replayed with an interceptor that notes every `record_transition` input
(trigger, source, destination, facts after the effect). The transition row is the first
one in declaration order whose trigger, source and guards fit, as the engine chooses it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    Replayer,
    StartActivityInput,
    StartLocalActivityInput,
    UnsandboxedWorkflowRunner,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from statemachines import PROCESSES
from statemachines.spec import REGIME_TRIGGER, SYSTEM, Process, Transition
from tests.histories import HERE, converter, history_files, load, replay_workflows
from workflows import patches
from workflows.messages import CaseInput, TransitionRecord

_SEEN: dict[str, Any] = {}  # what the running replay notes: its input and its records


class _Outbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput):
        if input.activity == "record_transition":
            _SEEN["records"].append(input.args[0])
        return super().start_activity(input)

    def start_local_activity(self, input: StartLocalActivityInput):  # histories from before the patch
        if input.activity == "record_transition":
            _SEEN["records"].append(input.args[0])
        return super().start_local_activity(input)


class _Inbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        _SEEN["input"] = input.args[0] if input.args else None
        return await super().execute_workflow(input)


class _Listen(Interceptor):
    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return _Inbound


@dataclass
class Coverage:
    rows: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # process -> row indexes taken
    triggers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    timers: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))  # (state, trigger)
    children: set[str] = field(default_factory=set)  # processes seen started as a child
    types: set[str] = field(default_factory=set)  # workflow types with a history
    sitzung_timer: bool = False
    unmatched: list[str] = field(default_factory=list)

    def gaps(self) -> list[str]:
        missing = [f"no history of workflow type {t}" for t in ("gc_sitzung", *PROCESSES) if t not in self.types]
        for name, process in PROCESSES.items():
            missing += [
                f"{name}: trigger {t.name} never fired" for t in process.triggers if t.name not in self.triggers[name]
            ]
            missing += [
                f"{name}: row {i} never taken: {label(t)}"
                for i, t in enumerate(process.transitions)
                if i not in self.rows[name]
            ]
            missing += [
                f"{name}: timer {d} in {s} never fired" for s, d in declared_timers(process) - self.timers[name]
            ]
            missing += [
                f"{name}: no recorded {s.process} child of {t.trigger}"
                for t in process.transitions
                for s in t.spawns
                if s.process not in self.children
            ]
        if not self.sitzung_timer:
            missing.append("gc_sitzung: the R21 check timer never fired")
        return missing + self.unmatched


def label(t: Transition) -> str:
    guards = [g.name for g in t.guards] + [f"nicht {g.name}" for g in t.unless]
    return f"{t.trigger}: {'|'.join(t.source)} → {t.dest or '(intern)'}" + (f" [{', '.join(guards)}]" if guards else "")


def declared_timers(process: Process) -> set[tuple[str, str]]:
    return {(s.name, d.trigger) for s in process.states for d in s.deadlines}


def row_of(process: Process, record: TransitionRecord, policy) -> int | None:
    """The row the engine takes: the first whose trigger, source and guards (on the facts after
    the effect) fit; None when no row explains the record."""
    facts = process.facts.model_validate(record.facts)
    for index, t in enumerate(process.transitions):
        if t.trigger != record.trigger or record.source not in t.source:
            continue
        if all(g.test(facts, policy) for g in t.guards) and not any(g.test(facts, policy) for g in t.unless):
            dest = t.dest or record.source
            return index if (dest, t.dest is not None) == (record.dest, record.entered) else None
    return None


@dataclass(frozen=True)
class _FileNotes:
    kind: str  # the workflow type
    inp: CaseInput | None  # None for gc_sitzung
    child: bool
    timer_fired: bool
    records: tuple[TransitionRecord, ...]
    commands: str  # how many of each command the history holds: a fingerprint for reviews
    patches: frozenset[str] = frozenset()  # PolicyPatch ids whose markers the history holds


_BY_FILE: dict[Path, _FileNotes] = {}  # replaying is the slow part: once per file and process


async def _notes_of(replayer: Replayer, path: Path) -> _FileNotes:
    if path not in _BY_FILE:
        history = load(path)
        _SEEN.clear()
        _SEEN["records"] = []
        await replayer.replay_workflow(history)
        started = history.events[0].workflow_execution_started_event_attributes
        inp = _SEEN.get("input")
        _BY_FILE[path] = _FileNotes(
            kind=started.workflow_type.name,
            inp=inp if isinstance(inp, CaseInput) else None,
            child=started.HasField("parent_workflow_execution"),
            timer_fired=any(e.event_type == EventType.EVENT_TYPE_TIMER_FIRED for e in history.events),
            records=tuple(_SEEN["records"]),
            patches=_patch_markers(history.events),
            commands=", ".join(f"{n} {kind}" for kind, n in _commands(history.events).items() if n),
        )
    return _BY_FILE[path]


async def measure(files: list[Path] | None = None) -> Coverage:
    replayer = Replayer(
        workflows=replay_workflows(),
        data_converter=converter(),
        interceptors=[_Listen()],
        workflow_runner=UnsandboxedWorkflowRunner(),
        debug_mode=True,  # no 2 s deadlock detector: a loaded machine is no deadlock (as in test_replay)
    )
    found = Coverage()
    for path in history_files() if files is None else files:
        notes = await _notes_of(replayer, path)
        if notes.inp is None:
            found.types.add(notes.kind)
            found.sitzung_timer |= notes.kind == "gc_sitzung" and notes.timer_fired
            continue
        found.types.add(notes.inp.process)
        if notes.child:
            found.children.add(notes.inp.process)
        _note(found, PROCESSES[notes.inp.process], notes.inp, notes.records, path, notes.patches)
    return found


def _note(
    found: Coverage, process: Process, inp: CaseInput, records, path: Path, patches: frozenset[str] = frozenset()
) -> None:
    timers = declared_timers(process)
    policy = effective_policy(process, inp.policy, patches)
    for record in records:
        if record.source is None or record.trigger == REGIME_TRIGGER:  # the start; a change of regime (R62)
            continue
        row = row_of(process, record, policy)
        if row is None:
            found.unmatched.append(
                f"{path.relative_to(HERE)}: no row explains {record.trigger} {record.source} → {record.dest}"
            )
            continue
        found.rows[process.name].add(row)
        found.triggers[process.name].add(record.trigger)
        if record.role == SYSTEM and (record.source, record.trigger) in timers:
            found.timers[process.name].add((record.source, record.trigger))


def _patch_markers(events) -> frozenset[str]:
    """The patch ids whose markers a history holds (the ids are plain text in the marker details);
    a run begun under the baseline (workflows/patches.py) took every patch it covers without one."""
    found = set()
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            found.add(e.marker_recorded_event_attributes.SerializeToString())
    covered: frozenset[str] = frozenset()
    if any(patches.BASELINE_2.encode() in m for m in found):
        covered = patches.COVERED_2
    elif any(patches.BASELINE.encode() in m for m in found):
        covered = patches.COVERED
    return frozenset(
        p.id
        for proc in PROCESSES.values()
        for p in proc.patches
        if any(p.id.encode() in m for m in found) or p.id in covered
    )


def effective_policy(process: Process, policy, patches: frozenset[str]):
    """The policy the workflow host used: a history without a PolicyPatch's marker keeps the old values."""
    before: dict[str, Any] = {}
    for patch in process.patches:
        if patch.id not in patches:
            before.update(patch.before)
    return policy.model_copy(update=before) if before else policy


COMMANDS = {
    EventType.EVENT_TYPE_MARKER_RECORDED: "markers (patches, local activities)",
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activities",
    EventType.EVENT_TYPE_TIMER_STARTED: "timers",
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: "children",
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: "signals",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "updates",
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: "search attribute upserts",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "continue-as-new",
}


def _commands(events) -> dict[str, int]:
    counts = dict.fromkeys(COMMANDS.values(), 0)
    for event in events:
        if event.event_type in COMMANDS:
            counts[COMMANDS[event.event_type]] += 1
    return counts


async def trails(files: list[Path] | None = None) -> str:
    """Per history: its commands and the transitions it takes, one line each (tests/histories/trails.txt).
    Payloads are encrypted, so this is what a review of re-recorded histories reads."""
    files = history_files() if files is None else files
    await measure(files)
    lines = []
    for path in files:
        notes = _BY_FILE[path]
        lines.append(f"{path.relative_to(HERE).as_posix()} ({notes.kind}): {notes.commands}")
        lines += [
            f"  {r.sequence:>2} {r.trigger}: {r.source or '-'} → {r.dest}" + (" (system)" if r.role == SYSTEM else "")
            for r in notes.records
        ]
    return "\n".join(lines) + "\n"


def report(found: Coverage) -> str:
    lines = []
    for name, process in PROCESSES.items():
        rows, timers = len(process.transitions), len(declared_timers(process))
        lines.append(
            f"{name}: {len(found.rows[name])}/{rows} rows, "
            f"{len(found.triggers[name])}/{len(process.triggers)} triggers, "
            f"{len(found.timers[name])}/{timers} timers"
        )
    lines.append(f"gc_sitzung: R21 timer {'fired' if found.sitzung_timer else 'NOT fired'}")
    gaps = found.gaps()
    lines += [f"GAP {g}" for g in gaps] or ["no gaps"]
    return "\n".join(lines)


__all__ = ["Coverage", "measure", "report"]
