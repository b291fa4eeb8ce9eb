"""SchlichtungWorkflow as the kooperationsplan's child: every transition of its table, the
unpausable four-week limit (R54), R52 and R55 refusals, and the hand-back of each ending (R53, R56)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from persistence import models as m
from persistence.kooperationsplan import PlanVersion
from statemachines import Policy
from tests.cases import case_id_of, fire, rows, signed, snapshot, start_case
from tests.conftest import new_worker
from tests.kooperationsplan_support import child, draft, eventually_state, plan
from workflows.messages import CaseSnapshot, TransitionRequest

pytestmark = pytest.mark.usefixtures("end_all_cases")
TERMIN = {"termin": "2027-01-20T10:00:00+01:00"}
VORSCHLAG = plan("Ich beginne eine Umschulung zur Fachkraft für Lagerlogistik.")


@pytest.fixture
async def worker(client, sqlite_db):
    async with new_worker(client, db=sqlite_db) as w:
        yield w


@pytest.fixture
def db(sqlite_db):
    return sqlite_db


async def _plan_case(client, worker, facts=None, **kw):
    h = await start_case(client, worker.task_queue, facts or {}, process="kooperationsplan", **kw)
    await fire(h, "potenzialanalyse_abgeschlossen")
    return h


async def _in_schlichtung(client, worker, facts=None, von="elb", **kw):
    parent = await _plan_case(client, worker, facts, **kw)
    snap = await fire(parent, "schlichtung_beantragt", {"initiiert_von": von})
    return parent, child(client, snap)


async def _talk(client, worker):
    parent, kid = await _in_schlichtung(client, worker)
    await fire(kid, "schlichtungsperson_bestellt", {"schlichtungsperson": "schlichtung-7"})
    await fire(kid, "gespraech_terminiert", TERMIN)
    return parent, kid


async def _refusal(handle, trigger, data=None, role=None):
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(handle, trigger, data, role)
    return refused.value.cause


async def test_request_schlichtung_from_drafting_starts_linked_child(client, worker, db):
    """R51/R54: the child knows its initiator, its start and its parent; the limit runs from the start."""
    parent, kid = await _in_schlichtung(client, worker, von="beide")
    p = await snapshot(parent)
    assert (p.state, p.facts["schlichtung_initiiert_von"]) == ("in_schlichtung", "beide")
    k = await snapshot(kid)
    assert (k.state, k.facts["initiiert_von"], k.links) == (
        "beantragt",
        "beide",
        {"kooperationsplan": case_id_of(parent)},
    )
    beginn = datetime.fromisoformat(k.facts["beginn"])
    assert k.deadlines[0].trigger == "frist_abgelaufen" and k.deadlines[0].due == beginn + timedelta(weeks=4)
    [row] = await rows(db, m.Case, case_id=case_id_of(kid))
    assert (row.process, row.links) == ("schlichtung", {"kooperationsplan": case_id_of(parent)})


async def test_request_schlichtung_at_review_starts_child(client, worker, env, db):
    parent = await _plan_case(client, worker)
    await fire(parent, "plan_vereinbart", await draft(db, case_id_of(parent)))
    await env.sleep(timedelta(days=185))
    await eventually_state(parent, "in_ueberpruefung")
    snap = await fire(parent, "schlichtung_beantragt", {"initiiert_von": "jobcenter"})
    assert snap.state == "in_schlichtung" and (await snapshot(child(client, snap))).state == "beantragt"


async def test_refuse_schlichtung_when_policy_makes_it_unavailable(client, worker):
    """R60: the 2026 reform may drop the Schlichtung: a policy switch, not a code change."""
    parent = await _plan_case(client, worker, policy=Policy(schlichtung_verfuegbar=False))
    cause = await _refusal(parent, "schlichtung_beantragt", {"initiiert_von": "elb"})
    assert cause.type == "TriggerNotAllowed" and "R50" in cause.message


async def test_refuse_missed_cooperation_during_schlichtung_citing_r55(client, worker):
    parent, _ = await _in_schlichtung(client, worker)
    cause = await _refusal(parent, "mitwirkung_versaeumt")
    assert cause.type == "TriggerNotAllowed" and "R55" in cause.message
    assert (await snapshot(parent)).state == "in_schlichtung"


async def test_refuse_schlichtungsperson_on_involved_staff_list_citing_r52(client, worker):
    _, kid = await _in_schlichtung(client, worker, {"beteiligte_fachkraefte": ["ifk-1"]})
    cause = await _refusal(kid, "schlichtungsperson_bestellt", {"schlichtungsperson": "IFK-1"})
    assert cause.type == "TriggerNotAllowed" and "R52" in cause.message
    assert (await snapshot(kid)).facts["schlichtungsperson"] is None


async def test_refuse_schlichtungsperson_from_plan_audit_trail_citing_r52(client, worker, db):
    """R52: anyone who fired a step of the plan case worked on it."""
    parent = await _plan_case(client, worker)
    request_id = str(uuid.uuid4())
    async with db.unit_of_work() as session:
        session.add(
            m.TransitionRequest(
                request_id=request_id,
                case_id=case_id_of(parent),
                actor="ifk-9",
                role="ifk",
                trigger="schlichtung_beantragt",
                comment=None,
                idempotency_key=None,
                fingerprint="0" * 64,
                created_at=datetime.now(UTC),
            )
        )
    request = TransitionRequest(
        trigger="schlichtung_beantragt", data={"initiiert_von": "elb"}, role="ifk", request_id=request_id
    )
    snap = await parent.execute_update("transition", signed(parent, request), result_type=CaseSnapshot)
    cause = await _refusal(child(client, snap), "schlichtungsperson_bestellt", {"schlichtungsperson": "ifk-9"})
    assert "R52" in cause.message


async def test_appoint_unbiased_schlichtungsperson(client, worker):
    _, kid = await _in_schlichtung(client, worker, {"beteiligte_fachkraefte": ["ifk-1"]})
    snap = await fire(kid, "schlichtungsperson_bestellt", {"schlichtungsperson": "schlichtung-7", "unbefangen": False})
    assert (snap.state, snap.facts["schlichtungsperson"], snap.facts["unbefangen"]) == (
        "schlichtungsperson_bestellt",
        "schlichtung-7",
        True,
    )


async def test_schedule_talk_sends_invitation_naming_the_end_of_the_limit(client, worker, db):
    _, kid = await _talk(client, worker)
    assert (await snapshot(kid)).state == "gespraech_terminiert"
    [letter] = await rows(db, m.Notification, case_id=case_id_of(kid))
    assert letter.template == "einladung_schlichtung"
    assert "20.01.2027 um 10:00 Uhr" in letter.body and "spätestens am" in letter.body
    assert "Rechtsfolgenbelehrung" not in letter.body


async def test_agreement_becomes_plan_version_and_plan_returns_to_aktiv(client, worker, db):
    """R53: the proposal is the new plan; the parent learns it from the child's end."""
    parent, kid = await _talk(client, worker)
    ended = await fire(kid, "einigung", await draft(db, case_id_of(parent), VORSCHLAG, "schlichtung"))
    assert ended.state == "einigung" and ended.final
    p = await eventually_state(parent, "aktiv")
    assert (p.facts["plan_version"], p.facts["schlichtung_ergebnis"]) == (1, "einigung")
    [version] = await rows(db, PlanVersion, case_id=case_id_of(parent))
    assert (version.version, version.status, version.quelle) == (1, "gueltig", "schlichtung")
    assert [n.template for n in await rows(db, m.Notification, case_id=case_id_of(parent))] == ["kooperationsplan"]


async def test_r47_agreed_proposal_brings_its_step_dates_to_the_plan(client, worker, db):
    """R47: the proposal agreed in the Schlichtung becomes the plan with its steps' dates (their
    follow-ups), every step open."""
    parent, kid = await _talk(client, worker)
    await fire(kid, "einigung", await draft(db, case_id_of(parent), VORSCHLAG, "schlichtung"))
    p = await eventually_state(parent, "aktiv")
    assert p.facts["schritte_bis"] == [s["bis"] for s in VORSCHLAG["schritte"]] and p.facts["schritt_status"] == {}


async def test_agreement_at_review_supersedes_the_previous_version(client, worker, env, db):
    parent = await _plan_case(client, worker)
    await fire(parent, "plan_vereinbart", await draft(db, case_id_of(parent)))
    await env.sleep(timedelta(days=185))
    await eventually_state(parent, "in_ueberpruefung")
    kid = child(client, await fire(parent, "schlichtung_beantragt", {"initiiert_von": "elb"}))
    await fire(kid, "schlichtungsperson_bestellt", {"schlichtungsperson": "schlichtung-7"})
    await fire(kid, "einigung", await draft(db, case_id_of(parent), VORSCHLAG, "schlichtung"))
    assert (await eventually_state(parent, "aktiv")).facts["plan_version"] == 2
    versions = sorted((v.version, v.status) for v in await rows(db, PlanVersion, case_id=case_id_of(parent)))
    assert versions == [(1, "abgeloest"), (2, "gueltig")]


async def test_refuse_agreement_with_unknown_proposal(client, worker):
    _, kid = await _talk(client, worker)
    cause = await _refusal(kid, "einigung", {"entwurf": str(uuid.uuid4()), "inhalt_hash": "a" * 64})
    assert cause.type == "InvalidPayload" and (await snapshot(kid)).state == "gespraech_terminiert"


async def test_no_agreement_leads_parent_to_ohne_plan(client, worker):
    """R56: no agreement and no plan: R45 applies."""
    parent, kid = await _talk(client, worker)
    assert (await fire(kid, "keine_einigung")).state == "keine_einigung"
    p = await eventually_state(parent, "ohne_plan")
    assert (p.facts["schlichtung_ergebnis"], p.facts["plan_in_kraft"]) == ("keine_einigung", False)


async def test_withdrawal_leads_parent_to_ohne_plan(client, worker):
    parent, kid = await _in_schlichtung(client, worker)
    assert (await fire(kid, "zurueckgenommen", role="ifk")).state == "zurueckgenommen"
    assert (await eventually_state(parent, "ohne_plan")).facts["schlichtung_ergebnis"] == "zurueckgenommen"


async def test_four_week_limit_ends_schlichtung_by_itself(client, worker, env):
    """R54: at the latest four weeks after it began; the parent goes to ohne_plan (R56)."""
    parent, kid = await _in_schlichtung(client, worker)
    await env.sleep(timedelta(weeks=4, hours=1))
    assert (await kid.result()).state == "frist_abgelaufen"
    assert (await eventually_state(parent, "ohne_plan")).facts["schlichtung_ergebnis"] == "frist_abgelaufen"


async def test_four_week_limit_runs_from_request_through_later_steps(client, worker, env):
    """R54 cannot be paused: appointing and scheduling later do not restart it."""
    _, kid = await _in_schlichtung(client, worker)
    await env.sleep(timedelta(weeks=2))
    await fire(kid, "schlichtungsperson_bestellt", {"schlichtungsperson": "schlichtung-7"})
    await env.sleep(timedelta(weeks=1))
    await fire(kid, "gespraech_terminiert", TERMIN)
    await env.sleep(timedelta(weeks=1, hours=1))
    assert (await kid.result()).state == "frist_abgelaufen"


async def test_refuse_end_of_benefits_while_schlichtung_runs(client, worker):
    """The child reports its end to the plan case, so it must not outlive it: withdraw it first."""
    parent, kid = await _in_schlichtung(client, worker)
    cause = await _refusal(parent, "leistungsbezug_beendet", role="leistung")
    assert cause.type == "TriggerNotAllowed" and "Schlichtung" in cause.message
    await fire(kid, "zurueckgenommen", role="ifk")
    await eventually_state(parent, "ohne_plan")
    assert (await fire(parent, "leistungsbezug_beendet", role="leistung")).state == "beendet"
