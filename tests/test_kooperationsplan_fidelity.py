"""Issue 19 part B on the kooperationsplan: the review's own period (R42), an Aufforderung during the
review (R44) and the citizen's early report that an agreement cannot be kept (R46)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from persistence import models as m
from statemachines import Policy
from tests.cases import case_id_of, fire, rows, snapshot, start_case
from tests.conftest import new_worker
from tests.kooperationsplan_support import draft, eventually_state
from workflows.processes import WORKFLOWS

SIX_MONTHS_AND_A_DAY = timedelta(days=185)
R42_PATCH = "r42-ueberpruefung-frist"
R46_PATCH = "r46-gemeldete-absprache-ueberpruefen"
pytestmark = pytest.mark.usefixtures("end_all_cases")


@pytest.fixture
async def worker(client, sqlite_db):
    async with new_worker(client, db=sqlite_db, workflows=list(WORKFLOWS.values())) as w:
        yield w


@pytest.fixture
def db(sqlite_db):
    return sqlite_db


async def _aktiv(client, worker, db, facts=None, **kw):
    h = await start_case(client, worker.task_queue, facts or {}, process="kooperationsplan", **kw)
    await fire(h, "potenzialanalyse_abgeschlossen")
    await fire(h, "plan_vereinbart", await draft(db, case_id_of(h)))
    return h


def _deadline(snap, trigger):
    return next((d for d in snap.deadlines if d.trigger == trigger), None)


async def _tasks(db, h, kind):
    return await rows(db, m.Task, case_id=case_id_of(h), kind=kind)


# --- R42: the review has a period of its own ----------------------------------------------------


async def test_r42_review_has_its_own_period_then_the_case_is_overdue_and_teamleitung_follows_up(
    client, worker, env, db
):
    """R42: a review not finished within its period (policy, default four weeks) marks the case overdue
    and gives the Teamleitung a task; the state stays and the plan is still in force."""
    h = await _aktiv(client, worker, db)
    snap = await fire(h, "absprache_nicht_einhaltbar", {"betrifft": "schritt"})  # R46: an early review
    assert (snap.state, snap.overdue) == ("in_ueberpruefung", False)
    period = _deadline(snap, "ueberpruefung_ueberfaellig")
    assert period is not None and period.marks_overdue
    assert abs(period.due - (snap.updated_at + Policy().kp_ueberpruefung_frist)) < timedelta(seconds=1)
    await env.sleep(timedelta(weeks=3))
    assert (await snapshot(h)).overdue is False
    await env.sleep(timedelta(weeks=1, days=1))
    snap = await snapshot(h)
    assert (snap.state, snap.overdue, snap.facts["plan_in_kraft"]) == ("in_ueberpruefung", True, True)
    [task] = await _tasks(db, h, "kp_ueberpruefung_ueberfaellig")
    assert (task.role, task.status) == ("teamleitung", "offen") and "R42" in task.title
    # the review done: the case leaves the state, the mark and the Teamleitung's task go with it
    done = await fire(h, "fortgeschrieben", await draft(db, case_id_of(h), None, "fortgeschrieben"))
    assert (done.state, done.overdue) == ("aktiv", False)
    assert [t.status for t in await _tasks(db, h, "kp_ueberpruefung_ueberfaellig")] == ["erledigt"]


@pytest.mark.parametrize(("frist", "expected"), [(timedelta(days=10), timedelta(days=10)), (None, None)])
async def test_r42_review_period_is_policy(client, worker, db, frist, expected):
    """R42/R60: the review's period comes from the policy; None gives the review no period of its own."""
    h = await _aktiv(client, worker, db, policy=Policy(kp_ueberpruefung_frist=frist))
    snap = await fire(h, "absprache_nicht_einhaltbar")
    period = _deadline(snap, "ueberpruefung_ueberfaellig")
    if expected is None:
        assert period is None
    else:
        assert abs(period.due - (snap.updated_at + expected)) < timedelta(seconds=1)


async def test_r42_review_period_after_six_months_keeps_the_review_overdue(client, worker, env, db):
    """R42: the six-month review falls due (overdue, as before) and now has its own period too."""
    h = await _aktiv(client, worker, db)
    await env.sleep(SIX_MONTHS_AND_A_DAY)
    snap = await eventually_state(h, "in_ueberpruefung")
    assert snap.overdue and _deadline(snap, "ueberpruefung_ueberfaellig") is not None


async def test_r42_cases_started_before_the_change_keep_a_review_without_period(client, worker, db):
    """Replay safety: a case started before the R42 period (its PolicyPatch unset) keeps the old rule."""
    h = await _aktiv(client, worker, db, unpatched=(R42_PATCH,))
    snap = await fire(h, "absprache_nicht_einhaltbar")
    assert snap.state == "in_ueberpruefung" and _deadline(snap, "ueberpruefung_ueberfaellig") is None


# --- R44: an Aufforderung during the review ------------------------------------------------------


async def test_r44_aufforderung_is_allowed_during_the_review_because_the_plan_stays_in_force(client, worker, env, db):
    """R42/R44: cooperation is checked continually, also while the plan is being reviewed: the
    Aufforderung with RFB goes out and says the plan still applies; back with cooperation, the review
    that fell due meanwhile comes back at once."""
    h = await _aktiv(client, worker, db)
    await env.sleep(SIX_MONTHS_AND_A_DAY)
    await eventually_state(h, "in_ueberpruefung")
    snap = await fire(h, "mitwirkung_versaeumt", {"anlass": "massnahme_nicht_angetreten"})
    assert (snap.state, snap.facts["plan_in_kraft"], snap.facts["aufforderungen"]) == ("aufforderung_mit_rfb", True, 1)
    letter = (await rows(db, m.Notification, case_id=case_id_of(h)))[-1]
    assert letter.template == "aufforderung_mitwirkung" and "gilt weiter" in letter.body
    assert "Rechtsfolgenbelehrung" in letter.body
    [task] = await _tasks(db, h, "mitwirkung_nachhalten")
    assert task.status == "offen"
    assert (await fire(h, "mitwirkung_erbracht")).facts["plan_in_kraft"]
    await eventually_state(h, "in_ueberpruefung")  # the R42 review is due: it opens again
    assert [t.status for t in await _tasks(db, h, "kp_ueberpruefen")] == ["erledigt", "offen"]


async def test_r55_still_refuses_the_aufforderung_during_a_schlichtung(client, worker, db):
    """R44 opens the review to an Aufforderung; a Schlichtung stays closed to it (R55)."""
    h = await _aktiv(client, worker, db)
    await fire(h, "absprache_nicht_einhaltbar")
    await fire(h, "schlichtung_beantragt", {"initiiert_von": "elb"})
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(h, "mitwirkung_versaeumt")
    assert refused.value.cause.type == "TriggerNotAllowed" and "R55" in refused.value.cause.message


# --- R46: the citizen reports early that an agreement cannot be kept ----------------------------


async def test_r46_early_report_on_an_active_plan_starts_a_joint_review(client, worker, db):
    """R46: reported early, the plan is reviewed together to find a solution (no RFB, not overdue)."""
    h = await _aktiv(client, worker, db)
    snap = await fire(h, "absprache_nicht_einhaltbar", {"betrifft": "termin", "gemeldet_am": "2027-01-11"})
    assert (snap.state, snap.overdue, snap.facts["plan_in_kraft"]) == ("in_ueberpruefung", False, True)
    assert (snap.facts["meldungen_nicht_einhaltbar"], snap.facts["letzte_meldung_nicht_einhaltbar"]) == (
        1,
        "2027-01-11",
    )
    [task] = await _tasks(db, h, "kp_ueberpruefen")
    assert task.role == "ifk" and "R46" in task.title
    assert [n.template for n in await rows(db, m.Notification, case_id=case_id_of(h))] == ["kooperationsplan"]
    [event] = [
        e for e in await rows(db, m.CaseEvent, case_id=case_id_of(h)) if e.trigger == "absprache_nicht_einhaltbar"
    ]
    assert event.data == {"betrifft": "termin", "gemeldet_am": "2027-01-11"}


async def test_r46_report_without_a_date_counts_from_today_and_goes_to_ifk_reha_for_rehabilitants(client, worker, db):
    h = await _aktiv(client, worker, db, {"rehabilitand": True})
    snap = await fire(h, "absprache_nicht_einhaltbar")
    today = datetime.fromisoformat(snap.facts["plan_gueltig_seit"]).date()
    assert date.fromisoformat(snap.facts["letzte_meldung_nicht_einhaltbar"]) >= today
    assert [t.role for t in await _tasks(db, h, "kp_ueberpruefen")] == ["ifk_reha"]


async def test_r46_report_during_an_aufforderung_keeps_the_state_and_asks_the_ifk_to_clarify(client, worker, db):
    """R46 with R44: while an Aufforderung runs the report is recorded and the IFK looks for a solution
    (perhaps a wichtiger Grund); the Aufforderung itself stays."""
    h = await _aktiv(client, worker, db)
    await fire(h, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})
    snap = await fire(h, "absprache_nicht_einhaltbar", {"betrifft": "schritt"})
    assert (snap.state, snap.facts["meldungen_nicht_einhaltbar"]) == ("aufforderung_mit_rfb", 1)
    [task] = await _tasks(db, h, "absprache_klaeren")
    assert (task.role, task.status) == ("ifk", "offen") and "R46" in task.title
    assert [t.status for t in await _tasks(db, h, "mitwirkung_nachhalten")] == ["offen"]


async def test_r46_report_during_a_review_is_recorded_without_a_second_review(client, worker, db):
    h = await _aktiv(client, worker, db)
    await fire(h, "absprache_nicht_einhaltbar")
    snap = await fire(h, "absprache_nicht_einhaltbar", {"betrifft": "termin"})
    assert (snap.state, snap.facts["meldungen_nicht_einhaltbar"]) == ("in_ueberpruefung", 2)
    assert len(await _tasks(db, h, "kp_ueberpruefen")) == 1


async def test_r46_review_interrupted_by_an_aufforderung_opens_again_after_cooperation(client, worker, db):
    """R46 with R44: an Aufforderung during the early review suspends it; with the cooperation given the
    case goes back to the review (a new IFK task, not overdue), not to the active plan. Once an updated
    plan has settled the report, a later Aufforderung returns to the active plan as before."""
    h = await _aktiv(client, worker, db)
    await fire(h, "absprache_nicht_einhaltbar", {"betrifft": "schritt"})
    assert (await fire(h, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})).state == "aufforderung_mit_rfb"
    snap = await fire(h, "mitwirkung_erbracht")
    assert (snap.state, snap.overdue, snap.facts["plan_in_kraft"]) == ("in_ueberpruefung", False, True)
    assert [t.status for t in await _tasks(db, h, "kp_ueberpruefen")] == ["erledigt", "offen"]
    assert [t.status for t in await _tasks(db, h, "mitwirkung_nachhalten")] == ["erledigt"]
    done = await fire(h, "fortgeschrieben", await draft(db, case_id_of(h), None, "fortgeschrieben"))
    assert done.state == "aktiv"
    await fire(h, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})
    assert (await fire(h, "mitwirkung_erbracht")).state == "aktiv"


async def test_r46_report_during_an_aufforderung_is_reviewed_once_the_cooperation_is_given(client, worker, db):
    """R46: reported while the Aufforderung ran (the IFK clarified it meanwhile): with the cooperation
    given, the plan is reviewed together, as a report on the active plan would have started it."""
    h = await _aktiv(client, worker, db)
    await fire(h, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})
    await fire(h, "absprache_nicht_einhaltbar", {"betrifft": "termin"})
    assert (await fire(h, "mitwirkung_erbracht")).state == "in_ueberpruefung"
    assert [t.status for t in await _tasks(db, h, "kp_ueberpruefen")] == ["offen"]


async def test_r46_follow_up_leaves_cases_started_before_it_on_the_active_plan(client, worker, db):
    """Replay safety: a case started before this rule (its PolicyPatch unset) returns to the active plan."""
    h = await _aktiv(client, worker, db, unpatched=(R46_PATCH,))
    await fire(h, "absprache_nicht_einhaltbar")
    await fire(h, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})
    assert (await fire(h, "mitwirkung_erbracht")).state == "aktiv"


@pytest.mark.parametrize(
    ("data", "kind"),
    [({"betrifft": "alles"}, "InvalidPayload"), ({"grund": "krank"}, "InvalidPayload"), (None, "TriggerNotAllowed")],
)
async def test_r46_refuses_bad_input_and_a_report_without_a_plan(client, worker, data, kind):
    """Bad input and a report before any plan exists are refused; nothing changes."""
    h = await start_case(client, worker.task_queue, {}, process="kooperationsplan")
    if data is not None:
        await fire(h, "potenzialanalyse_abgeschlossen")
    before = await snapshot(h)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(h, "absprache_nicht_einhaltbar", data)
    assert refused.value.cause.type == kind
    after = await snapshot(h)
    assert (after.state, after.sequence, after.facts["meldungen_nicht_einhaltbar"]) == (
        before.state,
        before.sequence,
        0,
    )
