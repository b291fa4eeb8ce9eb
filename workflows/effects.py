"""What a transition causes outside the machine: the activities that write it,
linked child cases, the search attributes and the details the Temporal UI shows.

A mixin of `CaseWorkflow`: it reads the workflow's state, never decides a step.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from statemachines import get_process
    from statemachines.spec import SYSTEM, ChildEnded, Spawn
    from workflows import search_attributes as sa
    from workflows.details import current_details
    from workflows.messages import CaseInput, PrepareRequest, PrepareResult, RecordResult, TaskInfo, TransitionRecord

RECORD_AS_ACTIVITY = "record-transition-as-activity"  # workflow.patched id
# workflow.patched id: upsert only the search attributes and memo that a transition changed
# (a rebooked appointment changes none); before it, every transition upserted all of them.
PUBLISH_CHANGES_ONLY = "publish-changes-only"
RECORD_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))


class CaseEffects:

    async def _report_end(self) -> None:
        if self._input.parent_workflow_id:
            ended = ChildEnded(
                case_id=self._input.case_id,
                process=self._process.name,
                state=self._state,
                facts=self._facts.model_dump(mode="json"),
            )
            try:
                await workflow.get_external_workflow_handle(self._input.parent_workflow_id).signal("child_ended", ended)
            except Exception as lost:  # the parent has closed meanwhile: nobody is left to tell  # noqa: BLE001
                workflow.logger.warning("case %s: parent not reachable: %s", self._input.case_id, type(lost).__name__)


    async def _prepare(self, activity: str, trigger: str, data: dict[str, Any], now) -> dict[str, Any]:
        request = PrepareRequest(
            case_id=self._input.case_id,
            process=self._process.name,
            trigger=trigger,
            sequence=self._sequence + 1,
            facts=self._facts.model_dump(mode="json"),
            data=data,
            now=now,
            policy=self._machine.policy,
        )
        result = await workflow.execute_activity(
            activity, request, result_type=PrepareResult, start_to_close_timeout=timedelta(seconds=30), retry_policy=RECORD_RETRY
        )
        return result.data

    async def _spawn(self, spawn: Spawn, case_id: str, facts, payload) -> None:
        """Open the linked case; it outlives this one (ABANDON) and, if asked, reports its end."""
        process = get_process(spawn.process)
        await workflow.start_child_workflow(
            spawn.process,
            CaseInput(
                case_id=case_id,
                process=spawn.process,
                person_id=self._input.person_id,
                facts=spawn.facts(facts, payload),
                policy=self._input.policy,
                links={self._process.name: self._input.case_id},
                parent_workflow_id=workflow.info().workflow_id if spawn.report else None,
            ),
            id=f"{spawn.process}-{case_id}",
            task_queue=workflow.info().task_queue,
            parent_close_policy=ParentClosePolicy.ABANDON,
            static_summary=f"{process.label} · Fall {case_id} (aus {self._process.label} {self._input.case_id})",
        )

    def _task(self, spec, now, facts) -> TaskInfo:
        due = now + getattr(self._machine.policy, spec.due_in) if spec.due_in else now
        first = spec.precedence is not None and spec.precedence.test(facts, self._machine.policy)
        return TaskInfo(kind=spec.kind, role=spec.role, title=spec.title, priority=spec.priority, due=due, vorrang=first)

    async def _record_start(self) -> None:
        await self._record(
            TransitionRecord(
                case_id=self._input.case_id,
                process=self._process.name,
                person_id=self._input.person_id,
                sequence=0,
                trigger="fall_angelegt",
                source=None,
                dest=self._state,
                entered=True,
                role=SYSTEM,
                facts=self._facts.model_dump(mode="json"),
                occurred_at=self._entered_at,
                deadlines=self._pending(),
                links=self._links,
            )
        )

    async def _record(self, record: TransitionRecord) -> None:
        # A regular activity: its scheduling is in the history before the database is
        # written. As a local activity it wrote inside a workflow task that a restarting
        # server could lose; the workflow then decided afresh (a timer first) and the
        # event of the lost decision stayed in the audit trail (tests/faults/
        # test_server_restart.py). Cases that recorded before this change replay their
        # local activities; their histories are kept under tests/histories/*/vor-*/.
        options: dict[str, Any] = dict(
            result_type=RecordResult,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RECORD_RETRY,
            summary=f"{record.trigger} → {record.dest}",
        )
        if workflow.patched(RECORD_AS_ACTIVITY):
            await workflow.execute_activity("record_transition", record, **options)
        else:
            await workflow.execute_local_activity("record_transition", record, **options)

    def _publish(self) -> None:
        """Search attributes, memo and UI details after a transition. Each upsert is an event
        in the history and a write of the server's visibility store, so an unchanged value
        is not sent again; the details are only answered to queries and always set."""
        pending = self._pending()
        updates = [
            sa.PROCESS.value_set(self._process.name),
            sa.STATE.value_set(self._state),
            sa.CASE_ID.value_set(self._input.case_id),
            sa.DEADLINE.value_set(pending[0].due) if pending else sa.DEADLINE.value_unset(),
            sa.OVERDUE.value_set(self._overdue),
        ]
        changes_only = workflow.patched(PUBLISH_CHANGES_ONLY)
        if changes_only:
            current = workflow.info().typed_search_attributes
            updates = [u for u in updates if current.get(u.key) != u.value]
        if updates:
            workflow.upsert_search_attributes(updates)
        workflow.set_current_details(current_details(self._process, self._state, pending, self._overdue, self._allowed()))
        if self._links and not (changes_only and self._links == self._published_links):
            workflow.upsert_memo({"verknuepfte_faelle": self._links})
            self._published_links = dict(self._links)
