"""Plan versions on SQLite and PostgreSQL: drafts, the version becoming valid in the
transition's transaction (once, however often the activity retries), the plan letter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from activities.cases import CaseActivities
from activities.registry import record_hooks
from persistence import models as m
from persistence.db import Database
from persistence.kooperationsplan import PlanVersion, entwurf_speichern, schritt_stand, versionen
from statemachines.plan_inhalt import PlanInhalt
from tests.cases import rows
from tests.dbfixtures import add_person
from tests.kooperationsplan_support import PLAN, plan
from workflows.messages import DeadlineInfo, TransitionRecord

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FACTS = {
    "rehabilitand": False,
    "beteiligte_fachkraefte": [],
    "plan_version": 0,
    "plan_in_kraft": False,
    "aufforderungen": 0,
}


def _record(case_id: str, sequence: int, trigger: str, dest: str, facts: dict, **fields) -> TransitionRecord:
    return TransitionRecord(
        case_id=case_id,
        process="kooperationsplan",
        sequence=sequence,
        trigger=trigger,
        source="in_erarbeitung",
        dest=dest,
        entered=True,
        role="ifk",
        facts=facts,
        occurred_at=T0 + timedelta(days=sequence),
        **fields,
    )


async def _started(db: Database) -> tuple[CaseActivities, str]:
    acts, case_id = CaseActivities(db, hooks=record_hooks()), uuid.uuid4().hex[:12]
    start = _record(case_id, 0, "fall_angelegt", "potenzialanalyse", FACTS, person_id=await add_person(db))
    await acts.record_transition(start.model_copy(update={"source": None}))
    return acts, case_id


async def _agree(
    acts: CaseActivities, db: Database, case_id: str, sequence: int, version: int, inhalt: dict
) -> TransitionRecord:
    async with db.unit_of_work() as session:
        draft = await entwurf_speichern(session, case_id, PlanInhalt.model_validate(inhalt), "vereinbart", "ifk-1", T0)
    facts = FACTS | {
        "plan_version": version,
        "plan_in_kraft": True,
        "plan_entwurf": draft.id,
        "plan_hash": draft.inhalt_hash,
    }
    review = DeadlineInfo(trigger="ueberpruefung_faellig", label="R42", due=T0 + timedelta(days=183))
    rec = _record(
        case_id, sequence, "plan_vereinbart", "aktiv", facts, letters=["kooperationsplan"], deadlines=[review]
    )
    await acts.record_transition(rec)
    return rec


async def test_store_same_draft_twice_reuses_it(database: Database):
    _, case_id = await _started(database)
    inhalt = PlanInhalt.model_validate(PLAN)
    async with database.unit_of_work() as session:
        first = await entwurf_speichern(session, case_id, inhalt, "vereinbart", "ifk-1", T0)
        again = await entwurf_speichern(session, case_id, inhalt, "vereinbart", "ifk-1", T0)
    assert first.id == again.id and first.version is None and first.status == "entwurf"


async def test_record_plan_transition_makes_draft_valid_and_sends_letter(database: Database):
    acts, case_id = await _started(database)
    await _agree(acts, database, case_id, 1, 1, PLAN)
    [row] = await rows(database, PlanVersion, case_id=case_id)
    assert (row.version, row.status, row.sequence) == (1, "gueltig", 1)
    [letter] = await rows(database, m.Notification, case_id=case_id)
    assert "Lagerlogistik" in letter.body and "Staplerschein" in letter.body


async def test_record_plan_transition_twice_keeps_one_version(database: Database):
    acts, case_id = await _started(database)
    rec = await _agree(acts, database, case_id, 1, 1, PLAN)
    assert (await acts.record_transition(rec)).written is False
    assert [(v.version, v.status) for v in await rows(database, PlanVersion, case_id=case_id)] == [(1, "gueltig")]


async def test_record_update_supersedes_the_version_in_force(database: Database):
    acts, case_id = await _started(database)
    await _agree(acts, database, case_id, 1, 1, PLAN)
    await _agree(acts, database, case_id, 2, 2, plan("Eine Ausbildung im Lager beginnen"))
    async with database.unit_of_work(read_only=True) as session:
        history = await versionen(session, case_id)
    assert [(v.version, v.status) for v in history] == [(1, "abgeloest"), (2, "gueltig")]


async def test_r47_step_status_belongs_to_the_version_it_was_recorded_for(database: Database):
    """R47: each version's steps carry the statuses recorded while it was in force (the audit
    trail's schritt_erfasst events); a newer version starts with every step open."""
    acts, case_id = await _started(database)
    await _agree(acts, database, case_id, 1, 1, PLAN)
    for sequence, (nr, status) in enumerate([(2, "erledigt"), (3, "entfallen"), (2, "nicht_erledigt")], 2):
        rec = _record(case_id, sequence, "schritt_erfasst", "aktiv", FACTS, data={"schritt": nr, "status": status})
        await acts.record_transition(rec.model_copy(update={"source": "aktiv", "entered": False}))
    async with database.unit_of_work(read_only=True) as session:
        [first] = await versionen(session, case_id)
        expected = dict.fromkeys(range(1, 7), "offen") | {2: "nicht_erledigt", 3: "entfallen"}
        assert await schritt_stand(session, first) == expected
    await _agree(acts, database, case_id, 5, 2, plan("Eine Ausbildung im Lager beginnen"))
    rec = _record(case_id, 6, "schritt_erfasst", "aktiv", FACTS, data={"schritt": 1, "status": "erledigt"})
    await acts.record_transition(rec.model_copy(update={"source": "aktiv", "entered": False}))
    async with database.unit_of_work(read_only=True) as session:
        first, second = await versionen(session, case_id)
        assert (await schritt_stand(session, first))[2] == "nicht_erledigt"
        assert (await schritt_stand(session, first))[1] == "offen"
        assert await schritt_stand(session, second) == {1: "erledigt"} | dict.fromkeys(range(2, 7), "offen")
