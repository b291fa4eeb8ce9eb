"""The worker: hosts every case workflow and the activities that do their I/O."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Interceptor, Worker

from activities import all_activities
from persistence.db import Database
from persistence.figures import read_model_figures
from persistence.open import open_database
from runtime import metrics, signing
from runtime.settings import Briefkopf, Settings
from runtime.temporal import connect
from runtime.tracing import flush_spans, temporal_interceptors, tracer_from_settings
from worker import payload_walk, sweeps
from workflows.processes import WORKFLOWS
from workflows.runner import workflow_runner

log = logging.getLogger("fahrplan.worker")
# On shutdown the worker stops polling and lets activities in flight finish before it cancels them:
# record_transition is one short transaction (SQLite busy timeout 5 s, PostgreSQL connect 3 s), and
# one that finishes is reported done instead of timing out and running again after 30 s.
SHUTDOWN_GRACE = timedelta(seconds=10)


def build_worker(
    client: Client,
    db: Database,
    task_queue: str,
    max_cached_workflows: int = 1000,
    sandboxed: bool = False,
    signing_keys: signing.SigningKeys | None = None,
    briefkopf: Briefkopf | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    """The production worker; `sandboxed` is FAHRPLAN_WORKFLOW_SANDBOX (workflows/runner.py).
    `signing_keys` (FAHRPLAN_SIGNING_KEYS) verify the transition requests: without them every
    transition is refused (runtime/signing.py); `briefkopf` is the sender of the letters (FAHRPLAN_BRIEFKOPF).
    Activity failures and retries are counted (runtime/metrics.py); `interceptors` come first.
    Workflow tasks' payloads are walked once (worker/payload_walk.py)."""
    if signing_keys is not None:
        signing.install(signing_keys)
    payload_walk.install()  # one walk over a workflow task's payloads instead of the SDK's three
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS.values()),
        activities=all_activities(db, briefkopf),
        max_cached_workflows=max_cached_workflows,
        workflow_runner=workflow_runner(sandboxed),
        graceful_shutdown_timeout=SHUTDOWN_GRACE,
        interceptors=[*interceptors, metrics.ActivityMetrics()],
    )


def start_metrics(settings: Settings, db: Database) -> Any:
    """Fahrplan's metrics of this worker on FAHRPLAN_WORKER_METRICS_PORT (None when 0)."""
    if not settings.worker_metrics_port:
        return None
    made = metrics.registry(lambda: db.read_here(read_model_figures))
    try:
        server = metrics.serve(made, settings.metrics_host, settings.worker_metrics_port)
    except OSError as taken:  # the worker runs without its metrics rather than not at all
        log.error("metrics port %d not available (%s): no Fahrplan metrics", settings.worker_metrics_port, taken)
        return None
    log.info("metrics on http://%s:%d/metrics", settings.metrics_host, settings.worker_metrics_port)
    return server


def temporal_runtime(settings: Settings) -> Runtime:
    """The SDK's core runtime: its metrics on FAHRPLAN_TEMPORAL_METRICS_PORT (none when 0), its logs
    through Python logging."""
    try:
        return metrics.sdk_runtime(settings.metrics_host, settings.temporal_metrics_port)
    except Exception as taken:  # noqa: BLE001 - the core reports a taken port as a plain RuntimeError
        log.error("Temporal metrics port %d not available (%s)", settings.temporal_metrics_port, taken)
        return metrics.sdk_runtime()


def worker_from_settings(client: Client, db: Database, settings: Settings) -> Worker:
    """The production worker as the settings configure it (`fahrplan worker` and `fahrplan up`)."""
    return build_worker(
        client,
        db,
        settings.task_queue,
        settings.worker_max_cached_workflows,
        settings.workflow_sandbox,
        signing.keys_from_settings(settings),
        settings.briefkopf,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """`fahrplan worker` until `stop` is set, by default on SIGINT or SIGTERM (a process manager's
    stop). Then it stops polling, lets the tasks in flight finish (SHUTDOWN_GRACE) and exports the
    spans it still holds. A fatal error of the worker ends it too, with that error."""
    tracer = tracer_from_settings(settings, "fahrplan-worker")
    client = await connect(settings, runtime=temporal_runtime(settings), interceptors=temporal_interceptors(tracer))
    db = open_database(settings)
    server = start_metrics(settings, db)
    worker = worker_from_settings(client, db, settings)
    log.info(
        "worker on task queue %s, up to %d cached workflows, %s",
        settings.task_queue,
        settings.worker_max_cached_workflows,
        "sandboxed" if settings.workflow_sandbox else "without the workflow sandbox",
    )
    if stop is None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    sweeping = asyncio.create_task(sweeps.run_sweeps(client, db, settings.task_queue, stop))
    running, stopping = asyncio.create_task(worker.run()), asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not running.done():
            log.info("worker stopping: no new tasks, those in flight finish (up to %s)", SHUTDOWN_GRACE)
            await worker.shutdown()
        await running  # a fatal error of the worker, raised here
        log.info("worker stopped")
    finally:
        stop.set()
        stopping.cancel()
        await sweeping
        if server is not None:
            server.shutdown()
        await db.dispose()
        flush_spans()
