"""Workflows used only by tests (importable, not defined inside test files)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.messages import CaseInput, CaseSnapshot
from tests import lost_task
from workflows.processes import KooperationsplanWorkflow, NeuantragWorkflow


@workflow.defn(name="neuantrag_kurze_historie")
class ShortHistoryNeuantrag(NeuantragWorkflow):
    """Continues as new after a few dozen history events, to test the carry-over."""

    history_limit = 40

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="kooperationsplan_kurze_historie")
class ShortHistoryKooperationsplan(KooperationsplanWorkflow):
    """Continues as new after a few dozen history events: years of reviews in a small history."""

    history_limit = 60

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="neuantrag_verliert_task")
class LosesATaskNeuantrag(NeuantragWorkflow):
    """Fails the workflow task of an armed step once, after record_transition wrote the step:
    as a restarting Temporal server loses that task (activities/lost_tasks.py). Runs unsandboxed
    (the sandbox would give it its own copy of tests/lost_task.py)."""

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)

    def _publish(self) -> None:
        step = (self._input.case_id, self._case.sequence)
        if not workflow.unsafe.is_replaying() and step in lost_task.ARMED:
            lost_task.ARMED.discard(step)
            raise RuntimeError("workflow task lost (test)")
        super()._publish()
