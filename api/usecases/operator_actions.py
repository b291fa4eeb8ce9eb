"""What the API makes of operator actions on a case's workflow (terminate, cancel, pause in the
Temporal UI; a failed or timed-out run): the read model tells the truth, commands get a clear 409.

- A workflow closed without reaching a final state closes its case in the read model with the
  reason (persistence/closure.py) as soon as the API notices: on reading the case, or when a
  transition finds the workflow closed. Transitions on it are refused (409, NOT_ALLOWED).
- A paused workflow refuses updates: its case answers transitions with 409 (CONFLICT, "Fall
  angehalten") until it is unpaused; reading it says `angehalten: true`.
The worker's operator sweep (worker/operator_sweep.py) closes such cases within 30 s without anyone
reading them; `fahrplan reconcile` (worker/commands/reconcile.py) finds the same for every case at once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from temporalio.client import Client
from temporalio.service import RPCError

from persistence.closure import PAUSED, REASONS, close_case
from persistence.db import Database
from runtime.temporal import raw_status
from statemachines.refusals import DomainError, conflict, not_allowed

log = logging.getLogger("fahrplan.api")
STATUS_TIMEOUT_SECONDS = 2.0


class WorkflowClosed(Exception):
    """The case's workflow is closed (or paused) outside the process: `status` is Temporal's raw one."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def closed_detail(reason: str) -> str:
    return f"Der Fall wurde in Temporal beendet ({reason}); Schritte sind nicht mehr möglich."


def paused() -> DomainError:
    return conflict(
        "case-paused",
        "Fall angehalten",
        "Der Fall ist in Temporal angehalten (pausiert). Schritte sind erst wieder möglich, wenn er fortgesetzt wird.",
        angehalten=True,
    )


async def status_of(client: Client, wid: str) -> int | None:
    """The workflow's raw status, None when Temporal does not say (not found, not answering)."""
    try:
        return await asyncio.wait_for(raw_status(client, wid, STATUS_TIMEOUT_SECONDS), STATUS_TIMEOUT_SECONDS + 1)
    except (RPCError, TimeoutError):
        return None


async def record_closed(db: Database, case_id: str, status: int) -> str:
    """Close the case for the workflow's `status` (one of REASONS); returns the reason."""
    reason = REASONS[status]
    if await db.run(lambda session: close_case(session, case_id, reason, datetime.now(UTC))):
        log.warning("case %s closed: its workflow is %s", case_id, reason, extra={"case_id": case_id})
    return reason


async def refusal_for(db: Database, case_id: str, closed: WorkflowClosed) -> DomainError:
    """The refusal of a transition whose workflow turned out closed or paused."""
    if closed.status == PAUSED:
        return paused()
    reason = await record_closed(db, case_id, closed.status)
    return not_allowed(closed_detail(reason), allowed_triggers=[], closed_reason=reason)


async def observe(db: Database, client: Client, case_id: str, wid: str) -> tuple[bool, bool]:
    """For reading an open case: (closed now, paused). Closes the case when its workflow is."""
    status = await status_of(client, wid)
    if status in REASONS:
        await record_closed(db, case_id, status)
        return True, False
    return False, status == PAUSED
