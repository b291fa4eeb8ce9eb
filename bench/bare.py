"""The baseline for bench/transitions.py: the least a Temporal transition can cost.

A bare workflow whose one update runs one trivial activity and returns; no
state machine, no database, no search attributes, no HTTP. Driven by a
temporalio client in the bench process, exactly like the Fahrplan cases are
driven through the API: N workflows, M updates each, C at a time.

`Variant` adds one thing a Fahrplan transition does at a time (`--bare-variant`), to see what the
Temporal server pays for it (README, Performance): larger payloads, a case's search attributes,
state changes that upsert a search attribute and start or cancel a deadline's timer.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.runner import workflow_runner

DEADLINE = timedelta(days=7)  # the timer a state change starts (never fires during a bench)


@dataclass(frozen=True)
class Variant:
    pad: int = 0  # bytes added to each update's argument, three times that to the activity's, twice to the result
    search_attributes: bool = False  # start like a Fahrplan case: its five search attributes and a summary
    state_changes: int = 0  # the first k updates of a case change its state (see BareCase._change_state)

    @classmethod
    def parse(cls, text: str) -> Variant:
        """`pad=4800,search-attributes,state-changes=2` (empty: the plain baseline)."""
        fields: dict[str, object] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, value = part.partition("=")
            name = name.replace("-", "_")
            if name == "search_attributes" and not value:
                fields[name] = True
            elif name in ("pad", "state_changes") and value.isdigit():
                fields[name] = int(value)
            else:
                raise ValueError(f"unknown bare variant {part!r} (pad=N, search-attributes, state-changes=K)")
        return cls(**fields)

    def __str__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in asdict(self).items() if v) or "plain"


PLAIN = Variant()


@activity.defn(name="bare_record")
async def bare_record(sequence: int, pad: str = "") -> int:
    return sequence


@workflow.defn(name="BareCase")
class BareCase:
    @workflow.init
    def __init__(self, state_changes: int = 0) -> None:
        self._sequence = 0
        self._done = False
        self._state_changes = state_changes
        self._timer: asyncio.Task | None = None

    @workflow.run
    async def run(self, state_changes: int = 0) -> int:
        await workflow.wait_condition(lambda: self._done and workflow.all_handlers_finished())
        return self._sequence

    @workflow.update
    async def transition(self, sequence: int) -> int:
        self._sequence = await workflow.execute_activity(
            bare_record, sequence, start_to_close_timeout=timedelta(seconds=30)
        )
        self._change_state(sequence)
        return self._sequence

    @workflow.update
    async def padded(self, sequence: int, pad: str) -> list:
        """`transition` with larger payloads (Variant.pad): its argument, the activity's, the result."""
        self._sequence = await workflow.execute_activity(
            bare_record, args=[sequence, pad * 3], start_to_close_timeout=timedelta(seconds=30)
        )
        self._change_state(sequence)
        return [self._sequence, pad * 2]

    def _change_state(self, sequence: int) -> None:
        """Like a Fahrplan step into another state (Variant.state_changes): the state's name in
        visibility; the first change starts a deadline's timer, the second cancels it."""
        if sequence >= self._state_changes:
            return
        workflow.upsert_search_attributes([sa.STATE.value_set(f"zustand-{sequence}")])
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.ensure_future(workflow.sleep(DEADLINE)) if sequence == 0 else None

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


async def start_case(client: Client, task_queue: str, variant: Variant = PLAIN) -> WorkflowHandle:
    case_id = str(uuid.uuid4())
    options: dict = {}
    if variant.search_attributes:
        options["static_summary"] = f"Neuantrag · Fall {case_id} · buergergeld_2023"
        options["search_attributes"] = TypedSearchAttributes(
            [
                SearchAttributePair(sa.PROCESS, "neuantrag"),
                SearchAttributePair(sa.STATE, "antrag_eingegangen"),
                SearchAttributePair(sa.CASE_ID, case_id),
                SearchAttributePair(sa.OVERDUE, False),
                SearchAttributePair(sa.REGIME, "buergergeld_2023"),
            ]
        )
    args = [variant.state_changes] if variant.state_changes else []
    return await client.start_workflow(BareCase.run, args=args, id=f"bare-{case_id}", task_queue=task_queue, **options)


async def fire(handle: WorkflowHandle, sequence: int) -> None:
    result = await handle.execute_update(BareCase.transition, sequence)
    if result != sequence:
        raise RuntimeError(f"{handle.id}: update {sequence} returned {result}")


async def fire_padded(handle: WorkflowHandle, sequence: int, pad: str) -> None:
    result = await handle.execute_update(BareCase.padded, args=[sequence, pad])
    if result[0] != sequence:
        raise RuntimeError(f"{handle.id}: update {sequence} returned {result[0]}")
