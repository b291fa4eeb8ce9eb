"""The worker: hosts every case workflow and the activities that do their I/O."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities import all_activities
from persistence.db import Database
from runtime.settings import Settings
from runtime.temporal import connect
from workflows.processes import WORKFLOWS
from workflows.runner import workflow_runner

log = logging.getLogger("fahrplan.worker")
# On shutdown the worker stops polling and lets activities in flight finish before it cancels them:
# record_transition is one short transaction (SQLite busy timeout 5 s, PostgreSQL connect 3 s), and
# one that finishes is reported done instead of timing out and running again after 30 s.
SHUTDOWN_GRACE = timedelta(seconds=10)


def build_worker(
    client: Client, db: Database, task_queue: str, max_cached_workflows: int = 1000, sandboxed: bool = False
) -> Worker:
    """The production worker; `sandboxed` is FAHRPLAN_WORKFLOW_SANDBOX (workflows/runner.py)."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS.values()),
        activities=all_activities(db),
        max_cached_workflows=max_cached_workflows,
        workflow_runner=workflow_runner(sandboxed),
        graceful_shutdown_timeout=SHUTDOWN_GRACE,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    client = await connect(settings)
    db = Database(settings.db_url)
    worker = build_worker(client, db, settings.task_queue, settings.worker_max_cached_workflows, settings.workflow_sandbox)
    log.info(
        "worker on task queue %s, up to %d cached workflows, %s", settings.task_queue,
        settings.worker_max_cached_workflows, "sandboxed" if settings.workflow_sandbox else "without the workflow sandbox",
    )
    try:
        if stop is None:
            await worker.run()
        else:
            async with worker:
                await stop.wait()
    finally:
        await db.dispose()
