"""One workflow type per process, each hosting its declared machine."""

from __future__ import annotations

from temporalio import workflow

from workflows.host import CaseWorkflow
from workflows.sessions import SitzungWorkflow

# Message models are passed through the sandbox: the host and its effects must
# see one and the same class, whichever module the sandbox imports first.
with workflow.unsafe.imports_passed_through():
    from workflows.messages import CaseInput, CaseSnapshot


@workflow.defn(name="neuantrag")
class NeuantragWorkflow(CaseWorkflow):
    """A new applicant's path through JA-Clearing (R1–R13); timers of R5, R7 and R8."""

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="gruppencoaching")
class GruppencoachingWorkflow(CaseWorkflow):
    """Bestands-eLb in group coaching (R24–R26); the Probezeit timer."""

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="kooperationsplan")
class KooperationsplanWorkflow(CaseWorkflow):
    """The plan's lifecycle over years (R40–R46): the R42 review timer, RFB, the Schlichtung
    child (schlichtung_beendet on its end); continues as new to keep its history small."""

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="schlichtung")
class SchlichtungWorkflow(CaseWorkflow):
    """Mediation on the plan (R50–R56), a child of kooperationsplan; the unpausable R54 limit."""

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="rechtskreiswechsel")
class RechtskreiswechselWorkflow(CaseWorkflow):
    """ALG I → SGB II (R30–R34): the R30 invitation timer, bookings through the prepare
    activity, the R32 counselling deadline (overdue) and the linked Neuantrag on the switch."""

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="meldetermin")
class MeldeterminWorkflow(CaseWorkflow):
    """An invitation with RFB (R64, R66): the timer after the appointment; a miss without good
    reason opens a minderung child."""

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


@workflow.defn(name="minderung")
class MinderungWorkflow(CaseWorkflow):
    """Hearing and decision on a Leistungsminderung (R64–R67), a child of meldetermin or
    kooperationsplan: the answer-period and § 31b timers; decisions only by `leistung`."""

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseSnapshot:
        return await self._run(inp)


WORKFLOWS = {"neuantrag": NeuantragWorkflow}
WORKFLOWS["gruppencoaching"] = GruppencoachingWorkflow
WORKFLOWS["gc_sitzung"] = SitzungWorkflow  # not a process: the R21 check of one group session
WORKFLOWS["kooperationsplan"] = KooperationsplanWorkflow
WORKFLOWS["schlichtung"] = SchlichtungWorkflow
WORKFLOWS["rechtskreiswechsel"] = RechtskreiswechselWorkflow
WORKFLOWS["meldetermin"] = MeldeterminWorkflow
WORKFLOWS["minderung"] = MinderungWorkflow
