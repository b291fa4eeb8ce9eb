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
  record_transition activity is still due and will write it);
- an open workflow of the task queue whose case the read model does not have (e.g. the database
  restored from a backup older than the case): reported, nothing to fix here (README, "Operator
  actions"). A case named on the command line that is neither in the read model nor an open
  workflow is reported too, so a mistyped id never looks like a case without differences.
A fix is written only if the case is where it was when compared: a transition in between has had
its record_transition write what the workflow did, and the fix would undo it. The worker's
operator sweep (worker/operator_sweep.py) runs the same comparison for the cases whose runs an
operator closed.
Cases are read page by page (keyset on the case id) and compared `parallel` at a time: each
comparison waits for the Temporal server and, for a running case, for a worker to answer the
query. Only counts, ids and state names are printed: no personal data.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from temporalio.client import Client
from temporalio.converter import decode_typed_search_attributes
from temporalio.service import RPCError, RPCStatusCode

from activities import lost_tasks, read_model
from persistence import audit, resets
from persistence import models as m
from persistence.closure import COMPLETED, PAUSED, REASONS, RUNNING, close_case
from persistence.db import Database
from runtime.temporal import current_run_id, open_workflows, raw_status, workflow_id
from statemachines.registry import PROCESSES
from workflows import search_attributes as sa
from workflows.host import CaseWorkflow
from workflows.messages import CaseSnapshot, LostStep

PARALLEL = 8  # comparisons in flight: each is a describe and, for a running case, a query a worker answers
PAGE = 500  # read-model rows per page

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
KNOWN = select(_cases.c.case_id)


@dataclass
class Difference:
    case_id: str
    kind: str  # terminiert | abgebrochen | … | zurueckgesetzt | verlorener-schritt | angehalten | abweichend | …
    detail: str
    fixed: bool = False

    def line(self) -> str:
        return f"{self.case_id} {self.kind}: {self.detail}" + (" [behoben]" if self.fixed else "")


async def reconcile(
    client: Client,
    db: Database,
    *,
    task_queue: str,
    fix: bool = False,
    case_ids: list[str] | None = None,
    parallel: int = PARALLEL,
) -> list[Difference]:
    """The differences between read model and workflows (fixed where possible when `fix`): those of
    each case (or of `case_ids`), in case id order, then the open workflows on `task_queue` whose
    case the read model does not have."""
    found: list[Difference] = []
    compared: set[str] = set()
    async for rows in _pages(db, case_ids):
        compared.update(row.case_id for row in rows)
        found += await _each(rows, lambda row: _compare(client, db, row, fix), parallel)
    if case_ids is None:
        found += await _without_case(client, db, task_queue, compared)
    else:
        missing = [case_id for case_id in dict.fromkeys(case_ids) if case_id not in compared]
        found += await _each(missing, lambda case_id: _named_without_case(client, case_id), parallel)
    return found


async def reconcile_open(
    client: Client, db: Database, case_ids: Iterable[str], *, parallel: int = PARALLEL
) -> list[Difference]:
    """Compare the cases among `case_ids` that the read model has open with their workflows and
    fix what can be fixed, as `--fix` does (the worker's operator sweep, worker/operator_sweep.py);
    the differences in case id order."""
    ids, found = sorted(set(case_ids)), []
    for start in range(0, len(ids), PAGE):
        stmt = CASES.where(_cases.c.case_id.in_(ids[start : start + PAGE]), _cases.c.final.is_(False))
        async with db.unit_of_work(read_only=True) as session:
            rows = (await session.execute(stmt)).all()
        found += await _each(rows, lambda row: _compare(client, db, row, True), parallel)
    return found


async def _pages(db: Database, case_ids: list[str] | None) -> AsyncIterator[list[Any]]:
    after = None
    while True:
        stmt = CASES.where(_cases.c.case_id.in_(case_ids)) if case_ids else CASES
        if after is not None:
            stmt = stmt.where(_cases.c.case_id > after)
        async with db.unit_of_work(read_only=True) as session:
            rows = (await session.execute(stmt.limit(PAGE))).all()
        if rows:
            yield rows
        if len(rows) < PAGE:
            return
        after = rows[-1].case_id


async def _each(
    items: Iterable[Any], compare: Callable[[Any], Awaitable[Difference | None]], parallel: int
) -> list[Difference]:
    """`compare` for each item, at most `parallel` at a time; the differences in the items' order."""
    gate = asyncio.Semaphore(max(parallel, 1))

    async def one(item: Any) -> Difference | None:
        async with gate:
            return await compare(item)

    return [d for d in await asyncio.gather(*(one(item) for item in items)) if d is not None]


async def _without_case(client: Client, db: Database, task_queue: str, compared: set[str]) -> list[Difference]:
    """Open workflows on the task queue whose case was not among the rows compared and is not in
    the read model now either (a case opened during the run has its row before its workflow)."""
    query = cases_on(task_queue)
    candidates: dict[str, tuple[str, int]] = {}
    async for wid, status, attributes in open_workflows(client, query):
        case_id = decode_typed_search_attributes(attributes).get(sa.CASE_ID)
        if case_id and case_id not in compared:
            candidates[case_id] = (wid, status)
    known: set[str] = set()
    ids = sorted(candidates)
    for start in range(0, len(ids), PAGE):
        async with db.unit_of_work(read_only=True) as session:
            chunk = ids[start : start + PAGE]
            known.update((await session.execute(KNOWN.where(_cases.c.case_id.in_(chunk)))).scalars())
    return [_orphan(case_id, *candidates[case_id]) for case_id in ids if case_id not in known]


async def _named_without_case(client: Client, case_id: str) -> Difference:
    """A case id named on the command line that the read model does not have."""
    for process in sorted(PROCESSES):
        wid = workflow_id(process, case_id)
        status = await raw_status(client, wid)
        if status in (RUNNING, PAUSED):
            return _orphan(case_id, wid, status)
    return Difference(case_id, "kein-fall", "weder im Read Model noch als offener Workflow")


def _orphan(case_id: str, wid: str, status: int) -> Difference:
    running = "pausiert" if status == PAUSED else "läuft"
    return Difference(case_id, "ohne-fall", f"Workflow {wid} {running}, der Fall fehlt im Read Model")


def cases_on(task_queue: str) -> str:
    """The visibility query for the case workflows on `task_queue`."""
    return f"TaskQueue = '{_quoted(task_queue)}' AND {sa.CASE_ID.name} IS NOT NULL"


def _quoted(value: str) -> str:
    """A value inside a single-quoted visibility query string."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


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
            difference.fixed = await _caught_up(client, row.workflow_id)
        return difference
    if expected < row.version:  # the workflow went back: an operator reset it
        difference = Difference(
            row.case_id,
            "zurueckgesetzt",
            f"Workflow auf Ereignis {snap.sequence} ({snap.state}), Read Model auf {row.version} ({row.state})",
        )
        if fix:
            difference.fixed = await _unless_moved(db, lambda s: _rebase(s, row, snap))
        return difference
    difference = Difference(row.case_id, "abweichend", f"Read Model {row.state}, Workflow {snap.state}")
    if fix:
        difference.fixed = await _unless_moved(db, lambda s: _overwrite(s, row, snap, row.version))
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


async def _caught_up(client: Client, wid: str) -> bool:
    """The `catch_up` signal sent; False when the workflow closed meanwhile (then it had taken the
    step, or the comparison was older than a step of its own: the next one sees the case as it is)."""
    try:
        await client.get_workflow_handle(wid).signal("catch_up")
    except RPCError as failed:
        if failed.status != RPCStatusCode.NOT_FOUND:
            raise
        return False
    return True


class _Moved(Exception):
    """The case took a step between its comparison and its fix: the fix would undo that step."""


async def _unless_moved(db: Database, fix: Callable[[Any], None]) -> bool:
    """Run `fix` as one transaction; False (nothing written) when the case moved on meanwhile: its
    record_transition (which notices a reset itself) has written what the workflow did since, and
    the next comparison sees the case as it is now."""
    try:
        await db.run(fix)
    except _Moved:
        return False
    return True


def _rebase(session, row: Any, snap: CaseSnapshot) -> None:
    """After a reset: the trail says so, the read model shows the workflow's case."""
    prev = audit.head(session, row.case_id)
    if prev is None or prev.sequence != row.version:
        raise _Moved
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
    """The read model set to the workflow's case, if it is still at the version compared."""
    values = read_model.of_snapshot(snap, row.links, datetime.now(UTC)) | {"version": version}
    if snap.regime is not None:  # R61: the regime the workflow runs under (cases from before 0010 have none)
        values["regime"] = snap.regime
    guarded = (_cases.c.case_id == row.case_id, _cases.c.version == row.version)
    if not session.execute(update(_cases).where(*guarded).values(values)).rowcount:
        raise _Moved  # rolls back the reset event _rebase appended with it
