"""One workflow type per process, each hosting its declared machine."""

from __future__ import annotations

from temporalio import workflow

from workflows.host import CaseWorkflow
from workflows.messages import CaseInput, CaseSnapshot


@workflow.defn(name="neuantrag")
class NeuantragWorkflow(CaseWorkflow):
    """A new applicant's path through JA-Clearing (R1–R13); timers of R5, R7 and R8."""

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


WORKFLOWS = {"neuantrag": NeuantragWorkflow}
