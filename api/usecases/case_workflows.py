"""The Temporal calls of the case commands: start a case's workflow, send it a transition.

The workflow's own refusals come back as ApplicationErrors whose type is a refusal kind
(workflows/host.py); they become `StepRefused`, the answer kept for the request. Temporal not
answering is UNAVAILABLE: the same Idempotency-Key (the same update id) picks up the outcome.
"""

from __future__ import annotations

import asyncio
import logging

import pydantic_core
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.usecases.case_requests import StepRefused
from api.usecases.operator_actions import WorkflowClosed, status_of
from persistence.closure import PAUSED, REASONS
from runtime import signing
from runtime.temporal import workflow_id
from statemachines import PROCESSES, Policy
from statemachines.refusals import Refusal, unavailable
from statemachines.regimes import Regime
from workflows import search_attributes as sa
from workflows.host import CaseWorkflow
from workflows.messages import CaseInput, CaseSnapshot, TransitionRequest

log = logging.getLogger("fahrplan.api")
# The workflow's refusal kinds, as the API answers them (slug, German title, the detail member).
REFUSAL_TEXTS = {
    Refusal.FORBIDDEN: ("role-not-allowed", "Rolle nicht berechtigt"),
    Refusal.INVALID: ("invalid-payload", "Ungültige Daten"),
    Refusal.NOT_ALLOWED: ("trigger-not-allowed", "Auslöser nicht möglich"),
}


async def start(
    client: Client,
    task_queue: str,
    process: str,
    case_id: str,
    person_id: str | None,
    facts: dict,
    policy: Policy,
    created_at,
    regime: Regime,
) -> None:
    label = PROCESSES[process].label
    try:
        await client.start_workflow(
            process,
            CaseInput(
                case_id=case_id,
                process=process,
                person_id=person_id,
                facts=facts,
                policy=policy,
                regime=regime,
                entered_at=created_at,
            ),
            id=workflow_id(process, case_id),
            task_queue=task_queue,
            # A repeat joins the running workflow; a closed one is never started again (its case
            # id and workflow id belong to that run for good).
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"{label} · Fall {case_id} · {regime.name}",
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.PROCESS, process),
                    SearchAttributePair(sa.STATE, PROCESSES[process].initial),
                    SearchAttributePair(sa.CASE_ID, case_id),
                    SearchAttributePair(sa.OVERDUE, False),
                    SearchAttributePair(sa.REGIME, regime.name),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:  # a repeat of a case whose workflow has ended: nothing to start
        return
    except RPCError:
        raise unavailable(
            "Der Fall ist angelegt, aber Temporal antwortet nicht; mit demselben Idempotency-Key"
            " Bitte erneut versuchen."
        ) from None


def signed(keys: signing.SigningKeys, case_id: str, process: str, request: TransitionRequest) -> TransitionRequest:
    """The request with the API's signature (runtime/signing.py): the workflow refuses it otherwise."""
    issued_at = signing.issued_now()
    message = signing.canonical(
        case_id=case_id,
        process=process,
        trigger=request.trigger,
        data=pydantic_core.to_jsonable_python(request.data),  # as it travels: what the workflow verifies
        role=request.role,
        request_id=request.request_id,
        issued_at=issued_at,
    )
    return request.model_copy(update={"issued_at": issued_at, "signature": keys.sign(message)})


NOT_CONFIRMED = "Temporal hat den Schritt nicht bestätigt. Bitte mit demselben Idempotency-Key erneut versuchen."


async def send(client: Client, wid: str, request: TransitionRequest, timeout: float) -> CaseSnapshot:
    """The case after the step, as the workflow answers it; StepRefused when it refuses."""
    handle = client.get_workflow_handle(wid)
    try:
        return await asyncio.wait_for(
            handle.execute_update(CaseWorkflow.transition, request, id=request.request_id), timeout=timeout
        )
    except WorkflowUpdateFailedError as failed:
        raise refusal(failed.cause) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        # The update waited past its timeout (e.g. its activity retries while the database is down):
        # it may still be applied; the same Idempotency-Key (same update id) picks up its outcome.
        log.warning("transition not confirmed in time (workflow %s)", wid)
        raise unavailable(
            "Temporal hat den Schritt nicht rechtzeitig bestätigt."
            " Bitte mit demselben Idempotency-Key erneut versuchen."
        ) from None
    except RPCError:
        # A closed or paused workflow refuses updates at once: say why (api/usecases/operator_actions.py).
        status = await status_of(client, wid)
        if status in REASONS or status == PAUSED:
            raise WorkflowClosed(status) from None
        raise unavailable(NOT_CONFIRMED) from None
    except TimeoutError:
        raise unavailable(NOT_CONFIRMED) from None


def refusal(cause: BaseException | None) -> StepRefused:
    """The workflow's refusal (an ApplicationError typed with a refusal kind) as a domain error."""
    known = isinstance(cause, ApplicationError)
    details = cause.details[0] if known and cause.details else {}
    message = cause.message if known else "Der Schritt wurde abgelehnt."
    kind = Refusal(cause.type) if known and cause.type in REFUSAL_TEXTS else Refusal.NOT_ALLOWED
    slug, title = REFUSAL_TEXTS[kind]
    if kind == Refusal.FORBIDDEN:
        return StepRefused(kind, slug, title, message, roles=details.get("roles", []))
    if kind == Refusal.INVALID:
        # The workflow's handler words a payload that no longer fits with pydantic's English: keep its German head.
        head, _, rest = message.partition(": ")
        message = head + "." if "validation error" in rest else message
        return StepRefused(kind, slug, title, message, errors=details.get("errors", []))
    return StepRefused(
        kind, slug, title, message, state=details.get("state"), allowed_triggers=details.get("allowed", [])
    )
