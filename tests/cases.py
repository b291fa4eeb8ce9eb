"""Helpers for workflow and API tests: start a case, fire triggers, read the database."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle

from persistence import models as m
from persistence.db import Database
from runtime.temporal import workflow_id
from statemachines import Policy, get_process
from statemachines.regimes import Regime
from workflows.messages import CaseInput, CaseSnapshot, TransitionRequest


async def start_case(
    client: Client,
    task_queue: str,
    facts: dict[str, Any],
    *,
    process: str = "neuantrag",
    policy: Policy | None = None,
    workflow: str | None = None,
    regime: Regime | None = None,
    unpatched: tuple[str, ...] = (),
) -> WorkflowHandle:
    case_id = uuid.uuid4().hex[:12]
    inp = CaseInput(case_id=case_id, process=process, facts=facts, policy=policy or Policy(), regime=regime)
    return await client.start_workflow(
        workflow or process,
        inp.model_copy(update={"unpatched": list(unpatched)}),
        id=workflow_id(process, case_id),
        task_queue=task_queue,
        static_summary=f"Test · Fall {case_id}",
        result_type=CaseSnapshot,
    )


def role_for(process: str, trigger: str) -> str:
    return sorted(get_process(process).trigger(trigger).roles)[0]


def signed(handle: WorkflowHandle, request: TransitionRequest) -> TransitionRequest:
    """The request signed with the tests' key, as the API signs it (runtime/signing.py)."""
    from api.usecases.case_workflows import signed as api_signed
    from tests.conftest import TEST_SIGNING

    process, case_id = handle.id.split("-", 1)
    if request.request_id is None:
        request = request.model_copy(update={"request_id": str(uuid.uuid4())})
    return api_signed(TEST_SIGNING, case_id, process, request)


async def fire(handle: WorkflowHandle, trigger: str, data: dict | None = None, role: str | None = None) -> CaseSnapshot:
    process = handle.id.split("-", 1)[0]
    request = TransitionRequest(trigger=trigger, data=data or {}, role=role or role_for(process, trigger))
    return await handle.execute_update("transition", signed(handle, request), result_type=CaseSnapshot)


async def settled(handle: WorkflowHandle) -> CaseSnapshot:
    """The snapshot once the start is recorded (its head digest kept)."""
    for _ in range(200):
        found = await snapshot(handle)
        if found.head_hash is not None:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the start of the case was not recorded")


async def snapshot(handle: WorkflowHandle) -> CaseSnapshot:
    return await handle.query("snapshot", result_type=CaseSnapshot)


async def sleep(env, duration: timedelta, handle: WorkflowHandle) -> CaseSnapshot:
    """Skip time, then read the state (the query also lets pending timer work finish)."""
    await env.sleep(duration)
    return await snapshot(handle)


def case_id_of(handle: WorkflowHandle) -> str:
    return handle.id.split("-", 1)[1]


async def rows(db: Database, model, **where) -> list:
    async with db.unit_of_work() as session:
        stmt = select(model).filter_by(**where)
        order = getattr(model, "sequence", None) or getattr(model, "id", None)
        if order is not None:
            stmt = stmt.order_by(order)
        return list((await session.scalars(stmt)).all())


async def count(db: Database, model, **where) -> int:
    async with db.unit_of_work() as session:
        return await session.scalar(select(func.count()).select_from(model).filter_by(**where))


async def events(db: Database, case_id: str) -> list[tuple[str, str | None, str]]:
    return [(e.trigger, e.from_state, e.to_state) for e in await rows(db, m.CaseEvent, case_id=case_id)]


async def search_attributes(handle: WorkflowHandle) -> dict[str, Any]:
    """Search attributes as stored (raw JSON: the test server keeps unset values as null)."""
    raw = (await describe_raw(handle)).workflow_execution_info.search_attributes
    return {name: json.loads(p.data) if p.data else None for name, p in raw.indexed_fields.items()}


async def describe_raw(handle: WorkflowHandle):
    """The raw description (the SDK's typed decoding trips over the test server's null datetimes)."""
    request = DescribeWorkflowExecutionRequest(
        namespace=handle._client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
    )
    return await handle._client.workflow_service.describe_workflow_execution(request)


async def current_details(handle: WorkflowHandle) -> str:
    """What the Temporal UI shows as the workflow's current details."""
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return metadata.current_details
