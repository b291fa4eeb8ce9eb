"""What a transition causes outside the machine: the activities that write it,
linked child cases, the search attributes and the details the Temporal UI shows.

The workflow (host.py) owns one `CaseEffects` and passes it the case's state with each
call; the effects never decide a step and hold nothing of the case but what they last
published.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from statemachines import get_process
    from statemachines.regimes import LEGACY
    from statemachines.spec import START_TRIGGER, SYSTEM, ChildEnded, Process, Spawn, TaskSpec
    from workflows import search_attributes as sa
    from workflows.details import current_details
    from workflows.messages import (
        CaseInput,
        CaseState,
        DeadlineInfo,
        LostStep,
        LostStepQuery,
        PrepareRequest,
        PrepareResult,
        RecordResult,
        TaskInfo,
        TransitionRecord,
    )
    from workflows.patches import Patches

RECORD_AS_ACTIVITY = "record-transition-as-activity"  # workflow.patched id
# workflow.patched id: a local activity again, which adopts the event of a lost workflow task
# (activities/lost_tasks.py); between the two patches cases recorded with a regular activity.
RECORD_LOCAL_ADOPTING = "record-transition-local-adopting"
# workflow.patched id: upsert only the search attributes and memo that a transition changed
# (a rebooked appointment changes none); before it, every transition upserted all of them.
PUBLISH_CHANGES_ONLY = "publish-changes-only"
# workflow.patched id: the FahrplanRegime search attribute (R61); cases recorded before it upserted none.
PUBLISH_REGIME = "publish-regime"
# workflow.patched id: a child's reported end is checked against its record before the parent acts
# (activities/child_ends.py); before it, the signal's state and facts were taken as they came.
CHECK_CHILD_END = "check-child-end"
RECORD_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))


class CaseEffects:
    def __init__(self, process: Process, inp: CaseInput, patched: Patches):
        self._process, self._input = process, inp
        self._patched = patched  # the run's workflow.patched (workflows/patches.py)
        self._published_links: dict[str, str] = {}  # the memo as last upserted

    def moved(self, process: Process, inp: CaseInput) -> None:
        """After a change of regime: the process variant and the input (policy, regime) from now on."""
        self._process, self._input = process, inp

    @property
    def regime(self) -> str:
        return (self._input.regime or LEGACY).name

    async def report_end(self, case: CaseState) -> None:
        if not self._input.parent_workflow_id:
            return
        ended = ChildEnded(case_id=self._input.case_id, process=self._process.name, state=case.state, facts=case.facts)
        try:
            await workflow.get_external_workflow_handle(self._input.parent_workflow_id).signal("child_ended", ended)
        except Exception as lost:  # the parent has closed meanwhile: nobody is left to tell  # noqa: BLE001
            workflow.logger.warning("case %s: parent not reachable: %s", self._input.case_id, type(lost).__name__)

    async def recorded_end(self, reported: ChildEnded) -> ChildEnded | None:
        """The child's end as its own workflow recorded it; None: not recorded (a forged signal)."""
        if not self._patched(CHECK_CHILD_END):
            return reported
        return await workflow.execute_activity(
            "check_child_end",
            reported,
            result_type=ChildEnded | None,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RECORD_RETRY,
            summary=f"Ende von {reported.process} prüfen",
        )

    async def prepare(
        self, activity: str, trigger: str, data: dict[str, Any], now: datetime, case: CaseState
    ) -> dict[str, Any]:
        request = PrepareRequest(
            case_id=self._input.case_id,
            process=self._process.name,
            trigger=trigger,
            sequence=case.sequence + 1,
            facts=case.facts,
            data=data,
            now=now,
            policy=self._input.policy,
        )
        result = await workflow.execute_activity(
            activity,
            request,
            result_type=PrepareResult,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RECORD_RETRY,
        )
        return result.data

    async def spawn(self, spawn: Spawn, case_id: str, facts: BaseModel, payload: BaseModel | None) -> None:
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
                regime=self._input.regime,  # a child runs under its parent's regime (e.g. the Schlichtung, R62)
                links={self._process.name: self._input.case_id},
                parent_workflow_id=workflow.info().workflow_id if spawn.report else None,
            ),
            id=f"{spawn.process}-{case_id}",
            task_queue=workflow.info().task_queue,
            parent_close_policy=ParentClosePolicy.ABANDON,
            static_summary=f"{process.label} · Fall {case_id} (aus {self._process.label} {self._input.case_id})",
        )

    def tasks(self, specs: tuple[TaskSpec, ...], now: datetime, facts: BaseModel) -> list[TaskInfo]:
        """The tasks a step opens (R17), each due when its work is due (R18)."""
        policy = self._input.policy
        return [
            TaskInfo(
                kind=spec.kind,
                role=spec.role,
                title=spec.title,
                priority=spec.priority_for(facts, policy),
                due=spec.due_at(facts, policy, now),
                vorrang=spec.precedence is not None and spec.precedence.test(facts, policy),
            )
            for spec in specs
            if spec.opens(facts, policy)
        ]

    async def record_start(self, case: CaseState, deadlines: list[DeadlineInfo]) -> RecordResult:
        facts = case.typed_facts(self._process.facts)
        return await self.record(
            TransitionRecord(
                case_id=self._input.case_id,
                process=self._process.name,
                person_id=self._input.person_id,
                sequence=0,
                trigger=START_TRIGGER,
                source=None,
                dest=case.state,
                entered=True,
                role=SYSTEM,
                facts=case.facts,
                occurred_at=case.entered_at,
                deadlines=deadlines,
                tasks=self.tasks(self._process.start_tasks, case.entered_at, facts),
                links=case.links,
                policy=self._input.policy,
                letters=list(self._process.start_letters),
                regime=self.regime,
            )
        )

    async def record(self, record: TransitionRecord, adopt: bool = True) -> RecordResult:
        """The activity's result: its `hash` is the new head of the case's audit chain; its
        `adopted_at`, when set, the time the workflow takes the step at, and its `lost`, a step
        the workflow takes first (workflows/host.py). Without `adopt` another step under the
        number is a reset."""
        # A local activity writes inside the workflow task that decided the step: one workflow
        # task per transition. A restarting server can lose that task after the write; the
        # workflow then decides again, and its record adopts the lost task's event when it is
        # this decision (activities/lost_tasks.py; tests/faults/test_server_restart.py).
        # Cases begun between RECORD_AS_ACTIVITY and this patch record with a regular activity
        # (scheduled in the history before the database is written: two workflow tasks and an
        # activity task per transition); cases before both, with a local activity that did not
        # adopt. Their histories are kept under tests/histories/*/.
        options: dict[str, Any] = {
            "result_type": RecordResult,
            "start_to_close_timeout": timedelta(seconds=30),
            "retry_policy": RECORD_RETRY,
            "summary": f"{record.trigger} → {record.dest}",
        }
        if self._patched(RECORD_LOCAL_ADOPTING):
            record = record.model_copy(update={"adopt": adopt})
            return await workflow.execute_local_activity("record_transition", record, **options)
        if self._patched(RECORD_AS_ACTIVITY):
            return await workflow.execute_activity("record_transition", record, **options)
        return await workflow.execute_local_activity("record_transition", record, **options)

    async def find_lost(self, sequence: int) -> LostStep | None:
        """The step a lost workflow task of this run recorded as event `sequence`, if any."""
        return await workflow.execute_local_activity(
            "find_lost_step",
            LostStepQuery(case_id=self._input.case_id, sequence=sequence),
            result_type=LostStep | None,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RECORD_RETRY,
            summary="verlorenen Schritt suchen",
        )

    def publish(self, case: CaseState, pending: list[DeadlineInfo], allowed: list[str]) -> None:
        """Search attributes, memo and UI details after a transition. Each upsert is an event
        in the history and a write of the server's visibility store, so an unchanged value
        is not sent again; the details are only answered to queries and always set."""
        updates = [
            sa.PROCESS.value_set(self._process.name),
            sa.STATE.value_set(case.state),
            sa.CASE_ID.value_set(self._input.case_id),
            sa.DEADLINE.value_set(pending[0].due) if pending else sa.DEADLINE.value_unset(),
            sa.OVERDUE.value_set(case.overdue),
        ]
        if self._patched(PUBLISH_REGIME):
            updates.append(sa.REGIME.value_set(self.regime))
        changes_only = self._patched(PUBLISH_CHANGES_ONLY)
        if changes_only:
            current = workflow.info().typed_search_attributes
            updates = [u for u in updates if current.get(u.key) != u.value]
        if updates:
            workflow.upsert_search_attributes(updates)
        workflow.set_current_details(
            current_details(self._process, case.state, pending, case.overdue, allowed, self._input.regime or LEGACY)
        )
        if case.links and not (changes_only and case.links == self._published_links):
            workflow.upsert_memo({"verknuepfte_faelle": case.links})
            self._published_links = dict(case.links)
