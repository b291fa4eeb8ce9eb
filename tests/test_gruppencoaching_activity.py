"""pruefe_sitzung (R21) on SQLite and PostgreSQL: counts only bookings of cases still in
group coaching, opens one decision task, and a retried activity writes nothing twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.testing import ActivityEnvironment

from activities import CaseActivities, GruppencoachingActivities
from persistence import gruppencoaching as gc
from persistence import models as m
from persistence.db import Database
from tests.cases import count, rows
from workflows.messages import TransitionRecord
from workflows.sessions import SitzungPruefung

BEGINN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


async def _case(db: Database, process: str, state: str) -> str:
    case_id = uuid.uuid4().hex[:12]
    await CaseActivities(db).record_transition(
        TransitionRecord(
            case_id=case_id,
            process=process,
            sequence=0,
            trigger="fall_angelegt",
            source=None,
            dest=state,
            entered=True,
            role="system",
            facts={},
            occurred_at=BEGINN - timedelta(days=7),
        )
    )
    return case_id


async def _sitzung(db: Database, *states: tuple[str, str]) -> int:
    cases = [await _case(db, process, state) for process, state in states]
    async with db.unit_of_work() as session:
        sitzung = gc.Sitzung(
            beginn=BEGINN,
            dauer_minuten=180,
            kapazitaet=12,
            min_teilnehmende=2,
            pruefung_um=BEGINN - timedelta(days=2),
            status=gc.GEPLANT,
            created_at=BEGINN - timedelta(days=14),
        )
        session.add(sitzung)
        await session.flush()
        session.add_all(
            gc.Buchung(
                sitzung_id=sitzung.id,
                case_id=c,
                status=gc.GEBUCHT,
                gebucht_von="tn",
                gebucht_am=BEGINN - timedelta(days=3),
            )
            for c in cases
        )
        return sitzung.id


async def _check(db: Database, sitzung_id: int):
    return await ActivityEnvironment().run(
        GruppencoachingActivities(db).pruefe_sitzung, SitzungPruefung(sitzung_id=sitzung_id)
    )


async def test_pruefe_sitzung_under_minimum_opens_one_task_when_retried(database: Database):
    sitzung_id = await _sitzung(database, ("gruppencoaching", "teilnahme"))
    first = await _check(database, sitzung_id)
    again = await _check(database, sitzung_id)
    assert first == again and (first.gebucht, first.entscheidung_noetig) == (1, True)
    [task] = await rows(database, m.Task, kind="gc_entscheidung")
    assert (task.ref, task.priority, task.role, task.due) == (f"sitzung:{sitzung_id}", 1, "jobcoach", BEGINN)


async def test_pruefe_sitzung_with_enough_bookings_confirms_without_task(database: Database):
    sitzung_id = await _sitzung(database, ("gruppencoaching", "probezeit"), ("neuantrag", "gruppencoaching"))
    assert (await _check(database, sitzung_id)).entscheidung_noetig is False
    assert (await rows(database, gc.Sitzung, id=sitzung_id))[0].status == gc.BESTAETIGT
    assert await count(database, m.Task, kind="gc_entscheidung") == 0


async def test_pruefe_sitzung_ignores_bookings_of_cases_that_left_group_coaching(database: Database):
    sitzung_id = await _sitzung(database, ("gruppencoaching", "teilnahme"), ("gruppencoaching", "rueckgabe_ifk"))
    assert (await _check(database, sitzung_id)).gebucht == 1
