"""Workflows used only by tests (importable, not defined inside test files)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.messages import CaseInput, CaseSnapshot
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
