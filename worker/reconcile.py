"""Compare every case's read model with its workflow; report each difference, fix what can be fixed.

What an operator may have done in the Temporal UI, and what `--fix` does about it:
- terminated / cancelled (or a run that failed or timed out): the case is closed in the read model
  with the reason, its open tasks close (persistence/closure.py);
- reset to an earlier event: the workflow is behind the audit trail; a `zurueckgesetzt` event is
  appended and the read model set to the workflow's case (persistence/resets.py);
- a step a lost workflow task of the workflow's own run recorded (activities/lost_tasks.py) that
  nothing brought back: the workflow is one event behind; it gets the `catch_up` signal and takes
  the step as recorded;
- paused: reported (transitions answer 409 until it is unpaused); nothing to fix;
- a running workflow whose state differs from the read model at the same event: the read model
  is set to the workflow's case; a read model one event behind is reported only (the workflow's
  record_transition activity is still due and will write it).
Only counts, ids and state names are printed: no personal data.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from temporalio.client import Client
from temporalio.service import RPCError

from activities import lost_tasks, read_model
from persistence import audit, resets
from persistence import models as m
from persistence.closure import COMPLETED, PAUSED, REASONS, RUNNING, close_case
from persistence.db import Database
from runtime.temporal import current_run_id, raw_status
from workflows.host import CaseWorkflow
from workflows.messages import CaseSnapshot, LostStep

_cases = m.Case.__table__
CASES = select(
    _cases.c.case_id,
    _cases.c.process,
    _cases.c.state,
    _cases.c.final,
    _cases.c.version,
    _cases.c.facts,
    _cases.c.overdue,
    _cases.c.links,
    _cases.c.regime,
    _cases.c.workflow_id,
    _cases.c.closed_reason,
    _cases.c.sequence_offset,
).order_by(_cases.c.case_id)


@dataclass
class Difference:
    case_id: str
    kind: str  # terminiert | abgebrochen | … | zurueckgesetzt | verlorener-schritt | angehalten | abweichend | …
    detail: str
    fixed: bool = False

    def line(self) -> str:
        return f"{self.case_id} {self.kind}: {self.detail}" + (" [behoben]" if self.fixed else "")


async def reconcile(client: Client, db: Database, *, fix: bool = False, case_ids: list[str] | None = None):
    """The differences between read model and workflows (fixed where possible when `fix`)."""
    async with db.unit_of_work(read_only=True) as session:
        stmt = CASES.where(_cases.c.case_id.in_(case_ids)) if case_ids else CASES
        rows = (await session.execute(stmt)).all()
    found: list[Difference] = []
    for row in rows:
        difference = await _compare(client, db, row, fix)
        if difference is not None:
            found.append(difference)
    return found


async def _compare(client: Client, db: Database, row: Any, fix: bool) -> Difference | None:
    status = await raw_status(client, row.workflow_id)
    if status is None:
        return None if row.final else Difference(row.case_id, "ohne-workflow", f"{row.workflow_id} gibt es nicht")
    if status in REASONS:
        if row.final:
            return None
        reason = REASONS[status]
        difference = Difference(row.case_id, reason, f"Workflow {reason}, Read Model offen ({row.state})")
        if fix:
            difference.fixed = await db.run(lambda s: close_case(s, row.case_id, reason, datetime.now(UTC)))
        return difference
    if status == PAUSED:
        return Difference(row.case_id, "angehalten", "Workflow pausiert: Schritte antworten 409 bis zum Fortsetzen")
    if status not in (RUNNING, COMPLETED):
        return None  # continued as new: its next run is described under the same id
    snapshot = await _snapshot(client, row.workflow_id)
    if snapshot is None:
        return Difference(row.case_id, "unbekannt", "Workflow antwortet nicht auf die Abfrage")
    return await _compare_snapshot(client, db, row, snapshot, fix)


async def _snapshot(client: Client, wid: str) -> CaseSnapshot | None:
    try:
        return await asyncio.wait_for(client.get_workflow_handle(wid).query(CaseWorkflow.snapshot), 10)
    except (RPCError, TimeoutError, ValueError):
        return None


async def _compare_snapshot(client: Client, db: Database, row: Any, snap: CaseSnapshot, fix: bool) -> Difference | None:
    offset = row.sequence_offset or 0
    expected = snap.sequence + offset  # the workflow's last event, numbered as in the audit trail
    same = (row.state, row.facts, row.overdue, row.final) == (snap.state, snap.facts, snap.overdue, snap.final)
    same = same and (snap.regime is None or row.regime == snap.regime)  # a reset may go back before a regime switch
    if expected == row.version and same:
        return None
    if expected > row.version:
        return Difference(row.case_id, "nachlaufend", f"Read Model auf {row.version}, Workflow auf {expected}")
    if expected + 1 == row.version and (lost := await _lost_step(client, db, row, snap)) is not None:
        difference = Difference(
            row.case_id,
            "verlorener-schritt",
            f"Workflow auf Ereignis {snap.sequence}, der Verlauf hat {lost.trigger} aus einem verlorenen Workflow-Task",
        )
        if fix:
            await client.get_workflow_handle(row.workflow_id).signal("catch_up")
            difference.fixed = True
        return difference
    if expected < row.version:  # the workflow went back: an operator reset it
        difference = Difference(
            row.case_id,
            "zurueckgesetzt",
            f"Workflow auf Ereignis {snap.sequence} ({snap.state}), Read Model auf {row.version} ({row.state})",
        )
        if fix:
            await db.run(lambda s: _rebase(s, row, snap))
            difference.fixed = True
        return difference
    difference = Difference(row.case_id, "abweichend", f"Read Model {row.state}, Workflow {snap.state}")
    if fix:
        await db.run(lambda s: _overwrite(s, row, snap, row.version))
        difference.fixed = True
    return difference


async def _lost_step(client: Client, db: Database, row: Any, snap: CaseSnapshot) -> LostStep | None:
    """The trail's last event, if a lost workflow task of the workflow's current run wrote it."""
    try:
        run_id = await current_run_id(client, row.workflow_id)
    except RPCError:
        return None
    if run_id is None:
        return None
    return await db.run(lambda s: lost_tasks.find(s, row.case_id, snap.sequence + 1, run_id), read_only=True)


def _rebase(session, row: Any, snap: CaseSnapshot) -> None:
    """After a reset: the trail says so, the read model shows the workflow's case."""
    prev = audit.head(session, row.case_id)
    now = datetime.now(UTC)
    marked = resets.mark_reset(
        session,
        prev,
        case_id=row.case_id,
        state_before=row.state,
        state_after=snap.state,
        workflow_sequence=snap.sequence,
        at=now,
    )
    _overwrite(session, row, snap, marked.sequence)


def _overwrite(session, row: Any, snap: CaseSnapshot, version: int) -> None:
    values = read_model.of_snapshot(snap, row.links, datetime.now(UTC)) | {"version": version}
    if snap.regime is not None:  # R61: the regime the workflow runs under (cases from before 0010 have none)
        values["regime"] = snap.regime
    session.execute(update(_cases).where(_cases.c.case_id == row.case_id).values(values))
