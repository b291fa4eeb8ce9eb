"""Helpers for the meldetermin and minderung tests: cases of one person, the child's handle,
the outbox and inbox of a case."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from persistence import models as m
from persistence.db import Database
from runtime.temporal import DATA_CONVERTER, register_search_attributes, workflow_id
from statemachines import Policy
from statemachines.regimes import Regimes
from tests.cases import rows, snapshot
from tests.conftest import _binary
from workflows import search_attributes
from workflows.messages import CaseInput, CaseSnapshot

ORT = "Jobcenter Gevelsberg, Raum 1.12"
REGIMES = Regimes.load()
NEU = "grundsicherung_2026"


async def own_time_skipping_server() -> WorkflowEnvironment:
    """A time-skipping server for one test. A minderung opened by a meldetermin outlives it
    (the meldetermin ends in minderung_eingeleitet); when such a child ends, the shared test
    server stops skipping time for good (a limitation of the test server, not of Temporal),
    so these tests must not share theirs."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"), data_converter=DATA_CONVERTER
    )
    await register_search_attributes(environment.client, environment.client.namespace, search_attributes.ALL)
    return environment


async def start_for(
    client: Client,
    task_queue: str,
    process: str,
    facts: dict[str, Any],
    person_id: str | None,
    regime: str | None = None,
) -> WorkflowHandle:
    """A case under `regime` (its policy as the API would start it); None: a case from before regimes."""
    case_id = uuid.uuid4().hex[:12]
    found = REGIMES.get(regime) if regime else None
    return await client.start_workflow(
        process,
        CaseInput(
            case_id=case_id,
            process=process,
            person_id=person_id,
            facts=facts,
            policy=found.policy() if found else Policy(),
            regime=found,
        ),
        id=workflow_id(process, case_id),
        task_queue=task_queue,
        result_type=CaseSnapshot,
    )


def termin(env_now: datetime, days: float = 1) -> str:
    return (env_now + timedelta(days=days)).replace(microsecond=0).isoformat()


async def meldetermin(client, worker, person_id, now: datetime, regime: str | None = None) -> WorkflowHandle:
    """An invitation for tomorrow under `regime` (default: the one in force, grundsicherung_2026);
    the facts leave the regime open: the case's own fills it."""
    return await start_for(
        client, worker.task_queue, "meldetermin", {"termin": termin(now), "ort": ORT}, person_id, regime or NEU
    )


def minderung_of(client: Client, snap: CaseSnapshot) -> WorkflowHandle:
    return client.get_workflow_handle(f"minderung-{snap.links['minderung']}", result_type=CaseSnapshot)


async def started(handle: WorkflowHandle, attempts: int = 200) -> CaseSnapshot:
    """A child's first query can come before its worker took the start."""
    for _ in range(attempts):
        try:
            return await snapshot(handle)
        except Exception:  # noqa: BLE001 - not started yet
            await asyncio.sleep(0.05)
    return await snapshot(handle)


async def letters(db: Database, case_id: str, at_least: int = 1, attempts: int = 200) -> list:
    """The case's outbox; the start's letter is written by an activity after the start: wait for it."""
    for _ in range(attempts):
        found = await rows(db, m.Notification, case_id=case_id)
        if len(found) >= at_least:
            return found
        await asyncio.sleep(0.05)
    return found


async def open_tasks(db: Database, case_id: str) -> list:
    return [t for t in await rows(db, m.Task, case_id=case_id) if t.status == "offen"]


async def env_now(env) -> datetime:
    return (await env.get_current_time()).astimezone(UTC)


def entscheidung(**changes) -> dict[str, Any]:
    """A decision of the Leistung role (R65, R67): amount, period, the hardship check."""
    return {
        "prozent": 10,
        "monate": 1,
        "beginn": "2027-01-01",
        "haertepruefung": "keine_aussergewoehnliche_haerte",
        "haertepruefung_am": "2026-12-20",
    } | changes
