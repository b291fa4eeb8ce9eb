"""`fahrplan audit verify`, the part outside the database: the workflows as anchors.

Each case's workflow holds the case's head where a database user cannot rewrite it: its
`snapshot` (the query; for a completed workflow its result) gives the sequence of the last
event it recorded, and, once the workflow keeps it (`head_hash`, see the README), the digest
of that event. Compared with the chains the database part found (persistence/audit_verify.py):
- a workflow further than its chain: events at the end were deleted (and `cases.version` set back);
- a head digest that differs from the stored event's hash: the chain was rewritten;
- a case row whose workflow Temporal does not know: a case without a workflow;
- a workflow (listed by its FahrplanCaseId search attribute) whose case row is gone: a deleted case.
Where Temporal cannot list workflows (the time-skipping test server), the workflows of the case
ids other tables still name are looked up instead, and the report says so.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from persistence import resets
from persistence.audit_verify import Break, Chain, Report, event_hash_at, referenced_case_ids, summary, verify
from persistence.db import Database
from persistence.open import open_database
from runtime.settings import Settings
from runtime.temporal import connect
from statemachines.registry import PROCESSES
from workflows import search_attributes as sa
from workflows.messages import CaseSnapshot

CONCURRENCY = 16
RPC_TIMEOUT = timedelta(seconds=10)
GIVE_UP_AFTER = 2 * CONCURRENCY  # failed queries, none answered: the rest is reported unchecked
LIST_QUERY = f"{sa.CASE_ID.name} IS NOT NULL"


class _Missing:
    pass


MISSING = _Missing()


async def status(client: Client, workflow_id: str) -> int | None:
    """The status of the workflow's latest run (WorkflowExecutionStatus), None if Temporal does not
    know it. The raw call: the SDK's describe also parses the search attributes, which fails on the
    time-skipping test server's datetimes, and needs none of them here."""
    request = DescribeWorkflowExecutionRequest(
        namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
    )
    try:
        found = await client.workflow_service.describe_workflow_execution(request, timeout=RPC_TIMEOUT)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    return found.workflow_execution_info.status


async def snapshot(client: Client, workflow_id: str) -> CaseSnapshot | _Missing:
    """The workflow's snapshot: the result of a completed one (no worker needed), else the query.
    MISSING when Temporal does not know the workflow; RPCError when it does not answer."""
    found = await status(client, workflow_id)
    if found is None:
        return MISSING
    handle = client.get_workflow_handle(workflow_id, result_type=CaseSnapshot)
    if found == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED:
        return await handle.result(rpc_timeout=RPC_TIMEOUT)
    return await handle.query("snapshot", result_type=CaseSnapshot, rpc_timeout=RPC_TIMEOUT)


async def compare(report: Report, db: Database, client: Client) -> None:
    """Add to `report` what the workflows say about the chains (see the module docstring)."""
    limit = asyncio.Semaphore(CONCURRENCY)
    failed = 0

    async def check(case_id: str, chain: Chain) -> None:
        nonlocal failed
        async with limit:
            if failed >= GIVE_UP_AFTER and not report.workflows_checked:
                # No worker answers queries: waiting RPC_TIMEOUT per case would take hours.
                report.unchecked.append(
                    Break(case_id, 0, "nicht abgefragt: kein Workflow antwortet (läuft ein Worker?)")
                )
                return
            try:
                found = await snapshot(client, chain.workflow_id)
            except Exception as error:  # noqa: BLE001 - any failure: this case could not be compared
                failed += 1
                report.unchecked.append(
                    Break(case_id, 0, f"Workflow {chain.workflow_id} antwortet nicht ({type(error).__name__})")
                )
                return
            if found is MISSING:
                report.breaks.append(
                    Break(case_id, 0, f"Temporal kennt den Workflow {chain.workflow_id} nicht (Fall ohne Workflow)")
                )
                return
            report.workflows_checked += 1
            await _compare_head(report, db, case_id, chain, found)

    report.workflows_checked = 0
    await asyncio.gather(*(check(c, chain) for c, chain in sorted(report.chains.items()) if chain.workflow_id))
    await _workflows_without_case(report, db, client)


async def _compare_head(report: Report, db: Database, case_id: str, chain: Chain, found: CaseSnapshot) -> None:
    if case_id in report.broken_cases:
        return  # its first broken link is in the chain already, before anything a workflow could add
    # After an operator's reset the workflow numbers its events from where it went back to
    # (persistence/resets.py): its sequence + the case's offset is the event's place in the trail.
    sequence = found.sequence + await resets.offset_of(db, case_id)
    if sequence > chain.sequence:
        reason = (
            f"der Workflow steht auf Sequenz {sequence}, die Kette endet bei {chain.sequence} "
            "(Ereignisse am Ende gelöscht)"
        )
        report.breaks.append(Break(case_id, chain.sequence + 1, reason))
        return
    head = found.head_hash  # None until the workflow keeps it (and for cases that recorded nothing since)
    if head is None:
        return
    stored = chain.hash if chain.sequence == sequence else await event_hash_at(db, case_id, sequence)
    if stored != head:
        reason = f"hash {stored} weicht vom Workflow ab ({head}): Kette umgeschrieben"
        report.breaks.append(Break(case_id, sequence, reason))


async def _listed(client: Client) -> dict[str, str] | None:
    """Every workflow with a FahrplanCaseId: workflow id -> case id; None if Temporal cannot list."""
    listed: dict[str, str] = {}
    try:
        async for execution in client.list_workflows(LIST_QUERY, rpc_timeout=RPC_TIMEOUT):
            case_id = execution.typed_search_attributes.get(sa.CASE_ID)
            if case_id:
                listed[execution.id] = case_id
    except RPCError as error:
        if error.status in (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.INVALID_ARGUMENT):
            return None  # the test server; a namespace without the search attribute
        raise
    return listed


async def _workflows_without_case(report: Report, db: Database, client: Client) -> None:
    listed = await _listed(client)
    if listed is None:
        report.notes.append(
            "Temporal kann hier keine Workflows auflisten: nach Workflows gelöschter Fälle wurde nur "
            "für Fall-IDs gesucht, die andere Tabellen noch nennen."
        )
        listed = {}
        for case_id in sorted(await referenced_case_ids(db) - set(report.chains)):
            for process in PROCESSES:
                if await status(client, f"{process}-{case_id}") is not None:
                    listed[f"{process}-{case_id}"] = case_id
    for workflow_id, case_id in sorted(listed.items()):
        chain = report.chains.get(case_id)
        if chain is None:
            reason = f"Workflow {workflow_id} ohne Fall in der Datenbank (Fall und Ereignisse gelöscht)"
            report.breaks.append(Break(case_id, 0, reason))
        elif chain.workflow_id != workflow_id:
            reason = f"Workflow {workflow_id} gehört zu diesem Fall, cases.workflow_id nennt {chain.workflow_id}"
            report.breaks.append(Break(case_id, 0, reason))


async def _verify_vermerke(db, report) -> None:
    """The Gesprächsvermerke's own chains (persistence/vermerke.py), in the same report."""
    from persistence import vermerke
    from persistence.audit_verify import Break

    checked, found = await db.run(lambda s: vermerke.verify_all(s, db.audit_keys), read_only=True)
    report.notes.append(f"Gesprächsvermerke geprüft: {checked}")
    report.breaks += [Break(case_id, nummer, f"Vermerk {nummer}: {reason}") for case_id, nummer, reason in found]


async def run_verify(
    settings: Settings, database_url: str | None = None, with_temporal: bool = True
) -> tuple[int, str]:
    """`fahrplan audit verify`: (exit code, German report). 0 intact; 1 broken; 2 could not check all."""
    try:
        db = open_database(settings, database_url)
    except ValueError as refused:  # production without FAHRPLAN_AUDIT_KEYS, a malformed key
        return 2, f"Prüfung nicht möglich: {refused}"
    try:
        report = await verify(db)
        await _verify_vermerke(db, report)
        if not with_temporal:
            report.notes.append(
                "nur die Datenbank geprüft (--ohne-temporal): gelöschte Fälle und Enden bleiben unentdeckt"
            )
        else:
            try:
                client = await connect(settings)
            except Exception as error:  # noqa: BLE001 - unreachable, refused, bad TLS: all the same here
                return 2, (
                    f"Temporal ist nicht erreichbar ({settings.temporal_address}: {type(error).__name__}). "
                    "Mit --ohne-temporal nur die Datenbank prüfen."
                )
            await compare(report, db, client)
    finally:
        await db.dispose()
    code = 1 if not report.ok else 2 if report.unchecked else 0
    return code, summary(report)
