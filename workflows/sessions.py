"""One small workflow per group session: the R21 check "in time" as a durable timer.

`gc_sitzung` sleeps until the session's check time (beginn − Vorlauf from the
policy, stored with the session), then runs `pruefe_sitzung` once: with fewer
bookings than the minimum the activity opens the coaches' decision task (R21).
It carries a session id and an instant only, no personal data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.effects import RECORD_RETRY


class SitzungInput(BaseModel):
    sitzung_id: int
    pruefung_um: datetime


class SitzungPruefung(BaseModel):
    """Input of `pruefe_sitzung`."""

    sitzung_id: int


class SitzungErgebnis(BaseModel):
    sitzung_id: int
    gebucht: int
    minimum: int
    entscheidung_noetig: bool


def sitzung_workflow_id(sitzung_id: int) -> str:
    return f"gc_sitzung-{sitzung_id}"


@workflow.defn(name="gc_sitzung")
class SitzungWorkflow:
    """Run: sleep until the R21 check time, check the bookings once, return the result."""

    @workflow.run
    async def run(self, inp: SitzungInput) -> SitzungErgebnis:
        wait = inp.pruefung_um - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait, summary="Mindestzahl prüfen (R21)")
        return await workflow.execute_activity(
            "pruefe_sitzung",
            SitzungPruefung(sitzung_id=inp.sitzung_id),
            result_type=SitzungErgebnis,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RECORD_RETRY,
            summary=f"Sitzung {inp.sitzung_id} prüfen",
        )
