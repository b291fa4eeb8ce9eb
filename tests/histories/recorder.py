"""What every recording scenario needs: start a case with an obviously fake id, wait until
nothing is in flight, save the histories of all runs (continue-as-new) of the scenario's
workflows, then end them so later time skips leave them alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from persistence.db import Database
from runtime.temporal import workflow_id
from statemachines import Policy
from statemachines.regimes import Regime
from tests.conftest import _settle as settle
from tests.histories import HERE
from workflows.messages import CaseInput, CaseSnapshot

CONTINUED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
SHORT = {
    "neuantrag": "na",
    "rechtskreiswechsel": "rkw",
    "kooperationsplan": "kp",
    "schlichtung": "sl",
    "gruppencoaching": "gc",
    "meldetermin": "mt",
    "minderung": "mi",
}
Scenario = Callable[["Recorder", str], Awaitable[dict[str, WorkflowHandle]]]
SCENARIOS: list[tuple[str, str, Scenario]] = []  # (process dir, path, scenario), in recording order


def scenario(process_dir: str, path: str) -> Callable[[Scenario], Scenario]:
    """Register a path; the scenario returns the workflows to save ({"": main, suffix: other})."""

    def register(fn: Scenario) -> Scenario:
        SCENARIOS.append((process_dir, path, fn))
        return fn

    return register


@dataclass
class Recorder:
    env: WorkflowEnvironment
    worker: Worker
    db: Database
    out: Path = HERE
    saved: dict[str, str] = field(default_factory=dict)  # file (relative to out) -> workflow id
    _open: list[str] = field(default_factory=list)
    _case_ids: set[str] = field(default_factory=set)

    @property
    def client(self) -> Client:
        return self.env.client

    async def start(
        self,
        process: str,
        case: str,
        facts: dict[str, Any],
        *,
        policy: Policy | None = None,
        workflow: str | None = None,
        regime: Regime | None = None,
    ) -> WorkflowHandle:
        """Start a case whose id says what it is: `fake-<scenario>` (no personal data anywhere)."""
        case_id = f"fake-{SHORT[process]}-{case}"[:36]  # the column's length
        assert case_id not in self._case_ids, case_id
        self._case_ids.add(case_id)
        handle = await self.client.start_workflow(
            workflow or process,
            CaseInput(case_id=case_id, process=process, facts=facts, policy=policy or Policy(), regime=regime),
            id=workflow_id(process, case_id),
            task_queue=self.worker.task_queue,
            static_summary=f"Aufzeichnung · Fall {case_id}",
            result_type=CaseSnapshot,
        )
        self._open.append(handle.id)
        return handle

    def handle(self, wf_id: str) -> WorkflowHandle:
        if wf_id not in self._open:
            self._open.append(wf_id)
        return self.client.get_workflow_handle(wf_id, result_type=CaseSnapshot)

    async def save(self, process_dir: str, path: str, handles: dict[str, WorkflowHandle]) -> None:
        """Save the scenario's workflows as <process_dir>/<path>[.<suffix>].json (suffix "" is the
        main one); a workflow that continued as new gets one file per run (.run2, .run3, …)."""
        await settle(self.client, [h.id for h in handles.values()])
        for suffix, handle in handles.items():
            await self._save_runs(f"{process_dir}/{path}{'.' + suffix if suffix else ''}", handle.id)
        await self.end()

    async def _save_runs(self, stem: str, wf_id: str) -> None:
        latest = await self.client.get_workflow_handle(wf_id).fetch_history()
        run_id, run = latest.events[0].workflow_execution_started_event_attributes.first_execution_run_id, 1
        while run_id:
            history = await self.client.get_workflow_handle(wf_id, run_id=run_id).fetch_history()
            name = f"{stem}.json" if run == 1 else f"{stem}.run{run}.json"
            target = self.out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(history.to_json() + "\n")
            self.saved[name] = wf_id
            last = history.events[-1]
            run_id = (
                last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
                if last.event_type == CONTINUED
                else None
            )
            run += 1

    async def end(self) -> None:
        """Terminate what is still open (children last started first), after it has settled. The
        cases the scenario's cases opened go too: a child outlives its terminated parent, and its
        timers would fire through every later scenario's time skips."""
        await settle(self.client, self._open)
        self._open += await self._opened_by(self._open)
        for wf_id in reversed(self._open):
            try:
                await self.client.get_workflow_handle(wf_id).terminate("Aufzeichnung beendet")
            except RPCError:  # closed already
                pass
        self._open.clear()

    async def _opened_by(self, wf_ids: list[str]) -> list[str]:
        """The workflows of the cases these cases link to (a snapshot's links name a process and a
        case id), and of the cases those link to; not those listed already."""
        found: list[str] = []
        todo = list(wf_ids)
        while todo:
            try:
                snap = await self.client.get_workflow_handle(todo.pop()).query("snapshot", result_type=CaseSnapshot)
            except (RPCError, WorkflowQueryFailedError):  # not a case workflow (a coaching session)
                continue
            for process, case_id in snap.links.items():
                linked = workflow_id(process, case_id)
                if linked not in wf_ids and linked not in found:
                    found.append(linked)
                    todo.append(linked)
        return found
