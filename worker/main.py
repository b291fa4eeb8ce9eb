"""The worker: hosts every case workflow and the activities that do their I/O."""

from __future__ import annotations

import asyncio
import logging

from temporalio.client import Client
from temporalio.worker import Worker

from activities import all_activities
from persistence.db import Database
from runtime.settings import Settings
from runtime.temporal import connect
from workflows.processes import WORKFLOWS

log = logging.getLogger("fahrplan.worker")


def build_worker(client: Client, db: Database, task_queue: str) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS.values()),
        activities=all_activities(db),
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    client = await connect(settings)
    db = Database(settings.db_url)
    worker = build_worker(client, db, settings.task_queue)
    log.info("worker on task queue %s", settings.task_queue)
    try:
        if stop is None:
            await worker.run()
        else:
            async with worker:
                await stop.wait()
    finally:
        await db.dispose()
