"""Requests whose outcome the API never learned, looked at again.

The API marks a request when Temporal leaves its outcome open (a 503: `unconfirmed_at`,
api/usecases/case_requests.py). Usually the client repeats it and learns the outcome. When the
trail shows such a request applied, its workflow may still lack the step: the Temporal server can
lose the workflow task that recorded it (activities/lost_tasks.py), and if no repeat, deadline or
other request wakes the workflow, nothing brings the step back, and the deadlines of the state the
case entered do not run. So every sweep (worker/sweeps.py) the worker sends the `catch_up` signal to the
workflow of each marked request that the trail shows applied. A workflow behind its trail takes
the step as recorded; one that is not changes nothing. Then the mark goes. A request that was
never applied needs nothing: the trail and the workflow agree that it did not happen.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select, update
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from persistence import models as m
from persistence.db import Database

log = logging.getLogger("fahrplan.catch_up")
GRACE = timedelta(seconds=30)  # a client's repeat usually comes sooner
_requests, _cases = m.TransitionRequest.__table__, m.Case.__table__
MARKED = (
    select(_requests.c.request_id, _requests.c.status_code, _cases.c.case_id, _cases.c.workflow_id)
    .join(_cases, _cases.c.case_id == _requests.c.case_id)
    .where(_requests.c.unconfirmed_at < bindparam("before"))
    .order_by(_requests.c.unconfirmed_at)
    .limit(500)
)
UNMARK = (
    update(_requests).where(_requests.c.request_id.in_(bindparam("ids", expanding=True))).values(unconfirmed_at=None)
)


async def sweep(client: Client, db: Database, now: datetime | None = None) -> int:
    """One look at the marked requests; returns how many were settled (their mark removed)."""
    before = (now or datetime.now(UTC)) - GRACE
    marked = await db.run(lambda session: session.execute(MARKED, {"before": before}).all(), read_only=True)
    settled: list[str] = []
    for row in marked:
        if row.status_code == m.APPLIED and not await _signalled(client, row.workflow_id, row.case_id):
            continue  # Temporal did not answer: the next sweep tries again
        settled.append(row.request_id)
    if settled:
        await db.run(lambda session: session.execute(UNMARK, {"ids": settled}))
    return len(settled)


async def _signalled(client: Client, workflow_id: str, case_id: str) -> bool:
    """True once the workflow has the signal, or has closed (it took the step, or ended otherwise)."""
    try:
        await client.get_workflow_handle(workflow_id).signal("catch_up")
    except RPCError as failed:
        if failed.status == RPCStatusCode.NOT_FOUND:  # closed: nothing left to catch up
            return True
        log.warning("case %s: catch_up not sent (%s)", case_id, failed.status.name, extra={"case_id": case_id})
        return False
    log.info("case %s: catch_up sent", case_id, extra={"case_id": case_id})
    return True
