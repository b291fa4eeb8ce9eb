"""Workflows an operator ended or reset in the Temporal UI, noticed by the worker itself.

Before, the read model learned of a terminated or cancelled workflow only when someone read its
case or fired a trigger (api/usecases/operator_actions.py), or an operator ran `fahrplan
reconcile --fix`: until then the inbox and the case list showed the case and its tasks as open,
and a reset case showed the state the workflow had left. So every sweep (worker/sweeps.py) lists,
through Temporal's visibility, the runs of the task queue's case workflows that closed as
terminated, cancelled, failed or timed out since the sweep before. A reset ends the run it
replaces as terminated, so reset cases are among them. Each of their cases that the read model
still has open is compared with its workflow and fixed as `fahrplan reconcile --fix` does
(worker/reconcile.py): a closed workflow closes its case with the reason and its open tasks; a
reset one gets its `zurueckgesetzt` event and the workflow's case. A fix never undoes a step the
case took meanwhile.

A quiet system costs one visibility list per sweep; only a case whose run an operator closed is
compared, which for a reset case is a query. Several workers may each sweep: a fix found done
already changes nothing. Each fix counts in `fahrplan_operator_actions_total{kind}` (runtime/metrics.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.converter import decode_typed_search_attributes

from persistence.closure import REASONS
from persistence.db import Database
from runtime.metrics import OPERATOR_ACTIONS
from runtime.temporal import listed_workflows
from worker.reconcile import Difference, cases_on, reconcile_open
from workflows import search_attributes as sa

log = logging.getLogger("fahrplan.operator_sweep")
ENDED = ("Terminated", "Canceled", "Failed", "TimedOut")  # Temporal's names in a visibility query
LOOKBACK = timedelta(days=7)  # the first sweep: what closed while no worker ran
OVERLAP = timedelta(minutes=5)  # a run's close reaches visibility a little after it happened
for _kind in (*REASONS.values(), "zurueckgesetzt"):
    OPERATOR_ACTIONS.labels(_kind)  # exported at 0 from the start: the first one is an increase too


class OperatorSweep:
    """The sweeps of one worker process: each looks back to shortly before the one before."""

    def __init__(self, task_queue: str):
        self.task_queue = task_queue
        self.since: datetime | None = None

    def query(self, since: datetime) -> str:
        statuses = ", ".join(f"'{status}'" for status in ENDED)
        closed = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return f"{cases_on(self.task_queue)} AND ExecutionStatus IN ({statuses}) AND CloseTime >= '{closed}'"

    async def sweep(self, client: Client, db: Database, now: datetime | None = None) -> list[Difference]:
        """One look; the differences found (and fixed where they can be). A failure raises, and the
        next sweep looks back as far as this one did."""
        now = now or datetime.now(UTC)
        since = self.since or now - LOOKBACK
        case_ids: set[str] = set()
        async for _, _, attributes in listed_workflows(client, self.query(since)):
            case_id = decode_typed_search_attributes(attributes).get(sa.CASE_ID)
            if case_id:
                case_ids.add(case_id)
        found = await reconcile_open(client, db, case_ids) if case_ids else []
        for difference in found:
            if difference.fixed:
                OPERATOR_ACTIONS.labels(difference.kind).inc()
            log.warning(
                "case %s: %s%s",
                difference.case_id,
                difference.kind,
                " (fixed)" if difference.fixed else "",
                extra={"case_id": difference.case_id},
            )
        self.since = now - OVERLAP
        return found
