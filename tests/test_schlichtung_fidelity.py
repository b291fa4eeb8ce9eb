"""Issue 19 part B on the Schlichtung: a proposal without agreement is kept (R53), and the neutrality
check looks at the person's other cases too (R52)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from temporalio.client import WorkflowUpdateFailedError

from persistence import models as m
from persistence.kooperationsplan import PlanVersion
from persistence.vermerke import Vermerk
from statemachines import Policy
from tests.cases import case_id_of, fire, rows, settled, snapshot
from tests.conftest import new_worker
from tests.dbfixtures import add_person
from tests.kooperationsplan_support import child, draft, eventually_state, plan
from workflows.messages import CaseInput, CaseSnapshot

pytestmark = pytest.mark.usefixtures("end_all_cases")
PERSON = {"schlichtungsperson": "schlichtung-7"}
VORSCHLAG = plan("Ich beginne eine Umschulung zur Fachkraft für Lagerlogistik.")
EINIGUNG = plan("Ich beginne eine Teilzeitstelle im Lager und danach eine Umschulung.")


@pytest.fixture
async def worker(client, sqlite_db):
    async with new_worker(client, db=sqlite_db) as w:
        yield w


@pytest.fixture
def db(sqlite_db):
    return sqlite_db


async def _start(client, worker, process: str, facts=None, person_id: str | None = None):
    case_id = uuid.uuid4().hex[:12]
    inp = CaseInput(case_id=case_id, process=process, facts=facts or {}, policy=Policy(), person_id=person_id)
    return await client.start_workflow(
        process, inp, id=f"{process}-{case_id}", task_queue=worker.task_queue, result_type=CaseSnapshot
    )


async def _bestellt(client, worker, person_id=None):
    parent = await _start(client, worker, "kooperationsplan", person_id=person_id)
    await fire(parent, "potenzialanalyse_abgeschlossen")
    kid = child(client, await fire(parent, "schlichtung_beantragt", {"initiiert_von": "beide"}))
    await fire(kid, "schlichtungsperson_bestellt", PERSON)
    return parent, kid


# --- R53: the proposal is kept -------------------------------------------------------------------


async def test_r53_proposal_without_agreement_is_kept_for_the_plan_case(client, worker, db):
    """R53: the Jobcenter must take the proposal into account, so it is not lost when no agreement is
    reached: stored (status vorschlag), named in the plan case's facts, in the audit trail, and the
    IFK's task says to take it into account. R56: the case is still without a plan."""
    parent, kid = await _bestellt(client, worker)
    stored = await draft(db, case_id_of(parent), VORSCHLAG, "vorschlag")
    snap = await fire(kid, "vorschlag_unterbreitet", stored)
    assert (snap.state, snap.facts["vorschlag_entwurf"]) == ("schlichtungsperson_bestellt", stored["entwurf"])
    assert (await fire(kid, "keine_einigung")).state == "keine_einigung"
    p = await eventually_state(parent, "ohne_plan")
    assert (p.facts["plan_in_kraft"], p.facts["plan_version"]) == (False, 0)
    assert (p.facts["schlichtung_vorschlag_entwurf"], p.facts["schlichtung_vorschlag_hash"]) == (
        stored["entwurf"],
        stored["inhalt_hash"],
    )
    [row] = await rows(db, PlanVersion, case_id=case_id_of(parent))
    assert (row.status, row.quelle, row.version) == ("vorschlag", "vorschlag", None)
    assert row.plan.ziel == VORSCHLAG["ziel"]
    [task] = await rows(db, m.Task, case_id=case_id_of(parent), kind="schlichtung_ergebnis")
    assert "Vorschlag" in task.title and "R53" in task.title
    trail = [e.trigger for e in await rows(db, m.CaseEvent, case_id=case_id_of(kid))]
    assert "vorschlag_unterbreitet" in trail


async def test_r53_agreement_after_a_recorded_proposal_becomes_the_plan_and_the_proposal_stays(client, worker, db):
    parent, kid = await _bestellt(client, worker)
    await fire(kid, "vorschlag_unterbreitet", await draft(db, case_id_of(parent), VORSCHLAG, "vorschlag"))
    agreed = await draft(db, case_id_of(parent), EINIGUNG, "schlichtung")
    await fire(kid, "einigung", agreed)
    p = await eventually_state(parent, "aktiv")
    assert (p.facts["plan_version"], p.facts["plan_entwurf"]) == (1, agreed["entwurf"])
    found = sorted(
        (r.status, r.quelle, r.version or 0) for r in await rows(db, PlanVersion, case_id=case_id_of(parent))
    )
    assert found == [("gueltig", "schlichtung", 1), ("vorschlag", "vorschlag", 0)]


async def test_r53_proposal_with_an_unknown_or_used_draft_is_refused(client, worker, db):
    parent, kid = await _bestellt(client, worker)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(kid, "vorschlag_unterbreitet", {"entwurf": str(uuid.uuid4()), "inhalt_hash": "a" * 64})
    assert refused.value.cause.type == "InvalidPayload"
    stored = await draft(db, case_id_of(parent), VORSCHLAG, "vorschlag")
    await fire(kid, "vorschlag_unterbreitet", stored)
    with pytest.raises(WorkflowUpdateFailedError) as again:  # kept as a proposal: not a draft any more
        await fire(kid, "vorschlag_unterbreitet", stored)
    assert again.value.cause.type == "InvalidPayload"
    assert (await snapshot(kid)).facts["vorschlag_entwurf"] == stored["entwurf"]


async def test_r53_a_new_schlichtung_starts_without_the_earlier_proposal_in_the_facts(client, worker, db):
    parent, kid = await _bestellt(client, worker)
    await fire(kid, "vorschlag_unterbreitet", await draft(db, case_id_of(parent), VORSCHLAG, "vorschlag"))
    await fire(kid, "keine_einigung")
    await eventually_state(parent, "ohne_plan")
    await fire(parent, "erarbeitung_aufgenommen")
    snap = await fire(parent, "schlichtung_beantragt", {"initiiert_von": "elb"})
    assert snap.facts["schlichtung_vorschlag_entwurf"] is None
    assert [r.status for r in await rows(db, PlanVersion, case_id=case_id_of(parent))] == ["vorschlag"]  # kept
    await fire(child(client, snap), "zurueckgenommen", role="ifk")
    p = await eventually_state(parent, "ohne_plan")
    tasks = await rows(db, m.Task, case_id=case_id_of(parent), kind="schlichtung_ergebnis")
    assert "Vorschlag" not in tasks[-1].title and p.facts["schlichtung_ergebnis"] == "zurueckgenommen"


# --- R52: neutrality across the person's cases ---------------------------------------------------


async def _request(db, case_id: str, actor: str) -> None:
    async with db.unit_of_work() as session:
        session.add(
            m.TransitionRequest(
                request_id=str(uuid.uuid4()),
                case_id=case_id,
                actor=actor,
                role="jobcoach",
                trigger="clearingtermin_vereinbart",
                comment=None,
                idempotency_key=None,
                fingerprint="0" * 64,
                created_at=datetime.now(UTC),
            )
        )


async def _vermerk(db, case_id: str, actor: str) -> None:
    now = datetime.now(UTC)
    async with db.unit_of_work() as session:
        session.add(
            Vermerk(
                case_id=case_id,
                nummer=1,
                textbaustein="clearinggespraech",
                text=None,
                text_digest="0" * 64,
                gespraech_am=now,
                actor=actor,
                role="jobcoach",
                created_at=now,
                idempotency_key=None,
                fingerprint="0" * 64,
                prev_hash="0" * 64,
                key_id="sha256",
                hash="1" * 64,
            )
        )


async def test_r52_refuses_staff_who_worked_on_another_case_of_the_same_person(client, worker, db):
    """R52: the Schlichtungsperson was not involved in the person's counselling before: the check
    looks at every case of the person (the people table links them), not only the plan case."""
    person = await add_person(db)
    other = await _start(client, worker, "neuantrag", {"antragsweg": "persoenlich"}, person_id=person)
    await settled(other)
    await _request(db, case_id_of(other), "jobcoach-3")  # a step on the Neuantrag
    await _vermerk(db, case_id_of(other), "ifk-8")  # a Gesprächsvermerk (R15) on the Neuantrag
    stranger = await _start(client, worker, "neuantrag", {"antragsweg": "persoenlich"}, person_id=await add_person(db))
    await settled(stranger)
    await _request(db, case_id_of(stranger), "jobcoach-5")  # another person's case: no bias
    parent = await _start(client, worker, "kooperationsplan", person_id=person)
    await fire(parent, "potenzialanalyse_abgeschlossen")
    kid = child(client, await fire(parent, "schlichtung_beantragt", {"initiiert_von": "elb"}))
    for involved in ("jobcoach-3", "IFK-8"):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await fire(kid, "schlichtungsperson_bestellt", {"schlichtungsperson": involved})
        assert refused.value.cause.type == "TriggerNotAllowed" and "R52" in refused.value.cause.message, involved
    assert (await snapshot(kid)).facts["schlichtungsperson"] is None
    snap = await fire(kid, "schlichtungsperson_bestellt", {"schlichtungsperson": "jobcoach-5"})
    assert (snap.facts["schlichtungsperson"], snap.facts["unbefangen"]) == ("jobcoach-5", True)


async def test_r52_a_case_without_a_person_is_checked_as_before(client, worker, db):
    _, kid = await _bestellt(client, worker)
    assert (await snapshot(kid)).facts["unbefangen"] is True
