"""Which runner executes workflow code (workflows/runner.py): the sandbox in every test worker,
none in the production worker unless FAHRPLAN_WORKFLOW_SANDBOX=true."""

from __future__ import annotations

import pytest
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from runtime.settings import Settings
from tests.conftest import new_worker
from worker.main import build_worker


def _runner(worker):
    return worker.config()["workflow_runner"]


@pytest.mark.parametrize(("sandboxed", "kind"), [(False, UnsandboxedWorkflowRunner), (True, SandboxedWorkflowRunner)])
async def test_the_production_worker_runs_workflows_as_configured(client, sqlite_db, sandboxed, kind):
    assert isinstance(_runner(build_worker(client, sqlite_db, f"tq-runner-{sandboxed}", sandboxed=sandboxed)), kind)


def test_the_setting_defaults_to_no_sandbox_and_reads_the_environment(monkeypatch):
    assert Settings(_env_file=None).workflow_sandbox is False
    monkeypatch.setenv("FAHRPLAN_WORKFLOW_SANDBOX", "true")
    assert Settings(_env_file=None).workflow_sandbox is True


async def test_every_test_worker_runs_workflows_in_the_sandbox(client, sqlite_db):
    """So that a workflow change calling something nondeterministic fails the suite."""
    runner = _runner(new_worker(client, db=sqlite_db))
    assert isinstance(runner, SandboxedWorkflowRunner)
