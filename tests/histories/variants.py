"""Changed versions of the neuantrag workflow, registered under its name, for the replay tests:
one changed carelessly (an extra timer on every path), one guarded with `workflow.patched`."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.messages import CaseInput, CaseSnapshot
from workflows.processes import KooperationsplanWorkflow, NeuantragWorkflow, RechtskreiswechselWorkflow

PATCH = "erinnerung-vor-start"


@workflow.defn(name="neuantrag")
class NeuantragWithExtraTimer(NeuantragWorkflow):
    """A new timer before the start is recorded: running cases never scheduled it."""

    async def _record_start(self) -> None:
        await workflow.sleep(timedelta(minutes=1), summary="neu")
        await super()._record_start()

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="neuantrag")
class NeuantragWithPatchedTimer(NeuantragWorkflow):
    """The same change behind `workflow.patched`: old histories take the old path."""

    async def _record_start(self) -> None:
        if workflow.patched(PATCH):
            await workflow.sleep(timedelta(minutes=1), summary="neu")
        await super()._record_start()

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="rechtskreiswechsel")
class RechtskreiswechselIgnoringPatches(RechtskreiswechselWorkflow):
    """Issue 19's R30/R32 changes without their PolicyPatch: running cases would take the new rules."""

    def _patched_policy(self, inp: CaseInput) -> CaseInput:
        return inp

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="neuantrag")
class NeuantragIgnoringPatches(NeuantragWorkflow):
    """Issue 19's R8/R11 changes without their PolicyPatch."""

    def _patched_policy(self, inp: CaseInput) -> CaseInput:
        return inp

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="kooperationsplan")
class KooperationsplanIgnoringPatches(KooperationsplanWorkflow):
    """Issue 19 part B's R42 review period without its PolicyPatch: running reviews would get a timer."""

    def _patched_policy(self, inp: CaseInput) -> CaseInput:
        return inp

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)
