"""The baseline for bench/transitions.py: the least a Temporal transition can cost.

A bare workflow whose one update runs one trivial activity and returns; no
state machine, no database, no search attributes, no HTTP. Driven by a
temporalio client in the bench process, exactly like the Fahrplan cases are
driven through the API: N workflows, M updates each, C at a time.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from workflows.runner import workflow_runner


@activity.defn(name="bare_record")
async def bare_record(sequence: int) -> int:
    return sequence


@workflow.defn(name="BareCase")
class BareCase:
    def __init__(self) -> None:
        self._sequence = 0
        self._done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self._done and workflow.all_handlers_finished())
        return self._sequence

    @workflow.update
    async def transition(self, sequence: int) -> int:
        self._sequence = await workflow.execute_activity(
            bare_record, sequence, start_to_close_timeout=timedelta(seconds=30)
        )
        return self._sequence

    @workflow.signal
    def finish(self) -> None:
        self._done = True


def bare_worker(client: Client, task_queue: str, sandboxed: bool) -> Worker:
    """Runs its workflow the way Fahrplan's worker in the same bench runs its own (workflows/runner.py),
    so the comparison measures what Fahrplan adds, not a different runner."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[BareCase],
        activities=[bare_record],
        workflow_runner=workflow_runner(sandboxed),
    )


async def start_case(client: Client, task_queue: str) -> WorkflowHandle:
    return await client.start_workflow(BareCase.run, id=f"bare-{uuid.uuid4()}", task_queue=task_queue)


async def fire(handle: WorkflowHandle, sequence: int) -> None:
    result = await handle.execute_update(BareCase.transition, sequence)
    if result != sequence:
        raise RuntimeError(f"{handle.id}: update {sequence} returned {result}")
