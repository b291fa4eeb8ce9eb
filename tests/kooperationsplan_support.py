"""Helpers for the kooperationsplan and schlichtung tests: a realistic plan, stored drafts,
the child's handle, and a fixture that ends every case workflow a test opened (children too)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from persistence import models as m
from persistence.db import Database
from persistence.kooperationsplan import entwurf_speichern
from statemachines import get_process
from statemachines.plan_inhalt import PlanInhalt
from tests.cases import fire, snapshot
from workflows.messages import CaseSnapshot

PLAN = {
    "ziel": (
        "Ich möchte bis zum Sommer eine feste Stelle als Fachkraft für Lagerlogistik finden, "
        "in Vollzeit und in der Nähe von Gevelsberg."
    ),
    "schritte": [
        {
            "was": "Ich schreibe jede Woche zwei Bewerbungen und bringe die Nachweise zum nächsten Termin mit.",
            "wer": "elb",
            "bis": "2027-03-31",
        },
        {"was": "Ich mache den Staplerschein beim Bildungsträger.", "wer": "elb", "bis": "2027-02-28"},
        {
            "was": "Ich kümmere mich um eine Betreuung für meine Tochter am Nachmittag.",
            "wer": "elb",
            "bis": "2027-01-31",
        },
        {
            "was": "Das Jobcenter übernimmt die Kosten für den Staplerschein (Bildungsgutschein).",
            "wer": "jobcenter",
            "bis": "2027-01-15",
        },
        {
            "was": "Das Jobcenter schickt passende Stellenangebote aus dem Arbeitgeberservice.",
            "wer": "jobcenter",
            "bis": "2027-03-31",
        },
        {
            "was": "Kurs zum Staplerschein mit Prüfung.",
            "wer": "dritte",
            "bis": "2027-02-28",
            "durch": "Bildungsträger ABC",
        },
    ],
    "beteiligte": ["Bildungsträger ABC", "Familienbüro der Stadt"],
}


def plan(ziel: str | None = None, **changes) -> dict:
    """The realistic plan, with another goal or other fields."""
    return {**PLAN, **({"ziel": ziel} if ziel else {}), **changes}


def overlong_plan() -> dict:
    steps = [
        {
            "was": f"Ich bewerbe mich bei Betrieb Nummer {n} in der Region und bringe den Nachweis zum Termin mit.",
            "wer": "elb",
            "bis": "2027-03-31",
        }
        for n in range(1, 39)
    ]
    return plan(schritte=steps)


async def draft(
    db: Database, case_id: str, inhalt: dict | None = None, quelle: str = "vereinbart", now: datetime | None = None
) -> dict:
    """Store a draft as the API does; returns the workflow payload (draft id and hash)."""
    async with db.unit_of_work() as session:
        row = await entwurf_speichern(
            session, case_id, PlanInhalt.model_validate(inhalt or PLAN), quelle, "ifk-1", now or datetime.now(UTC)
        )
    return {"entwurf": row.id, "inhalt_hash": row.inhalt_hash}


def child(client: Client, snap: CaseSnapshot) -> WorkflowHandle:
    return client.get_workflow_handle(f"schlichtung-{snap.links['schlichtung']}", result_type=CaseSnapshot)


async def eventually_state(handle: WorkflowHandle, expected: str, attempts: int = 200) -> CaseSnapshot:
    """The parent learns the child's end by a signal: give it a moment."""
    for _ in range(attempts):
        snap = await snapshot(handle)
        if snap.state == expected:
            return snap
        await asyncio.sleep(0.05)
    assert snap.state == expected
    return snap


async def _settled(parent: WorkflowHandle, attempts: int = 100) -> None:
    for _ in range(attempts):
        try:
            if (await snapshot(parent)).state != "in_schlichtung":
                return
        except Exception:  # noqa: BLE001 - closed meanwhile
            return
        await asyncio.sleep(0.05)


# How a test's open child case is ended before its parent (each tried in turn).
ENDINGS = {
    "schlichtung": [("zurueckgenommen", None, "ifk")],
    "minderung": [
        ("von_minderung_abgesehen", {"grund": "sonstiger_grund"}, "leistung"),
        ("persoenlich_gemeldet", None, "ifk"),
    ],
}


@pytest.fixture
async def end_all_cases(env, client, worker, sqlite_db):
    """End every case workflow of the test at teardown, children included (the client fixture
    only knows the workflows a test started itself). The time-skipping test server stops
    skipping time for good when a child is terminated or reports to a closed parent, so open
    Schlichtungen are withdrawn first, while the worker still runs (this fixture depends on
    `worker` and `client`, so it tears down before them); then everything is terminated."""
    yield
    async with sqlite_db.unit_of_work(read_only=True) as session:
        cases = list(await session.scalars(select(m.Case)))
    # A child may not have recorded its own row yet: its parent's links name it already.
    children = {
        f"{p}-{cid}": c.workflow_id
        for c in cases
        for p, cid in (c.links or {}).items()
        if p in get_process(c.process).on_child_end
    }
    for workflow_id, parent in children.items():
        handle = env.client.get_workflow_handle(workflow_id, result_type=CaseSnapshot)
        for trigger, data, role in ENDINGS[workflow_id.split("-", 1)[0]]:
            try:
                await fire(handle, trigger, data, role=role)
            except Exception:  # noqa: BLE001 - already ended, or not from this state
                pass
        await asyncio.wait_for(handle.result(), timeout=10)
        # and the parent has taken the child's end in (no activity of it left in flight)
        await _settled(env.client.get_workflow_handle(parent, result_type=CaseSnapshot))
    parents = dict.fromkeys(c.workflow_id for c in cases if c.workflow_id not in children)
    for workflow_id in parents:
        try:
            await env.client.get_workflow_handle(workflow_id).terminate("test finished")
        except RPCError:
            pass
