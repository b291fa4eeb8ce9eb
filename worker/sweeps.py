"""What each worker process looks at every SWEEP_SECONDS, beside its workflows and activities:
the requests whose outcome Temporal left open (worker/catch_up.py) and the workflows an operator
ended or reset in the Temporal UI (worker/operator_sweep.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from temporalio.client import Client

from persistence.db import Database
from worker import catch_up
from worker.operator_sweep import OperatorSweep

log = logging.getLogger("fahrplan.sweeps")
SWEEP_SECONDS = 30.0


async def run_sweeps(client: Client, db: Database, task_queue: str, stop: asyncio.Event) -> None:
    """Sweep until `stop` is set; a failed sweep is logged and the next one comes."""
    operator = OperatorSweep(task_queue)
    sweeps = {"catch-up": lambda: catch_up.sweep(client, db), "operator": lambda: operator.sweep(client, db)}
    while not stop.is_set():
        for name, sweep in sweeps.items():
            try:
                await sweep()
            except Exception as failed:  # noqa: BLE001 - e.g. the database is down: try again later
                log.warning("%s sweep failed: %s", name, type(failed).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SWEEP_SECONDS)
