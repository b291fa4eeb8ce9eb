"""KooperationsplanWorkflow on the time-skipping server: every transition of its table, the
R42 review timer, RFB (R43–R45) and three years of reviews across continue-as-new."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from persistence import models as m
from persistence.kooperationsplan import PlanVersion
from statemachines.kooperationsplan import add_months
from tests.cases import case_id_of, count, events, fire, rows, snapshot, start_case
from tests.conftest import new_worker
from tests.kooperationsplan_support import draft, eventually_state, plan
from tests.minderung_support import minderung_of, started
from tests.support_workflows import ShortHistoryKooperationsplan
from workflows.processes import WORKFLOWS

SIX_MONTHS_AND_A_DAY = timedelta(days=185)
pytestmark = pytest.mark.usefixtures("end_all_cases")


@pytest.fixture
async def worker(client, sqlite_db):
    async with new_worker(client, db=sqlite_db, workflows=[*WORKFLOWS.values(), ShortHistoryKooperationsplan]) as w:
        yield w


@pytest.fixture
def db(sqlite_db):
    return sqlite_db


async def _drafting(client, worker, facts=None, **kw):
    h = await start_case(client, worker.task_queue, facts or {}, process="kooperationsplan", **kw)
    await fire(h, "potenzialanalyse_abgeschlossen")
    return h


async def _aktiv(client, worker, db, facts=None, **kw):
    h = await _drafting(client, worker, facts, **kw)
    await fire(h, "plan_vereinbart", await draft(db, case_id_of(h)))
    return h


async def _ohne_plan(client, worker):
    h = await _drafting(client, worker)
    await fire(h, "keine_einigung")
    return h


async def _letters(db, h) -> list[m.Notification]:
    return await rows(db, m.Notification, case_id=case_id_of(h))


async def test_agree_plan_makes_draft_version_one_and_sends_plan_letter(client, worker, db):
    """R40/R42: the stored draft becomes version 1 in the transition's transaction."""
    h = await _aktiv(client, worker, db)
    snap = await snapshot(h)
    assert (snap.state, snap.facts["plan_version"], snap.facts["plan_in_kraft"]) == ("aktiv", 1, True)
    [version] = await rows(db, PlanVersion, case_id=case_id_of(h))
    assert (version.version, version.status, version.quelle, version.sequence) == (1, "gueltig", "vereinbart", 2)
    [letter] = await _letters(db, h)
    assert letter.template == "kooperationsplan" and "Fachkraft für Lagerlogistik" in letter.body
    assert "Rechtsfolgenbelehrung" not in letter.body


async def test_refuse_plan_with_unknown_draft_as_invalid_payload(client, worker):
    h = await _drafting(client, worker)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(h, "plan_vereinbart", {"entwurf": str(uuid.uuid4()), "inhalt_hash": "0" * 64})
    assert refused.value.cause.type == "InvalidPayload"
    assert (await snapshot(h)).state == "in_erarbeitung"


async def test_refuse_plan_whose_content_hash_differs_from_draft(client, worker, db):
    h = await _drafting(client, worker)
    stored = await draft(db, case_id_of(h))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(h, "plan_vereinbart", {**stored, "inhalt_hash": "f" * 64})
    assert refused.value.cause.type == "InvalidPayload"
    assert (await snapshot(h)).facts["plan_version"] == 0


async def test_review_timer_opens_review_with_ifk_task_after_six_months(client, worker, env, db):
    """R42: nothing after five months; at six months in_ueberpruefung and a task for the IFK."""
    h = await _aktiv(client, worker, db)
    snap = await snapshot(h)
    agreed = datetime.fromisoformat(snap.facts["plan_gueltig_seit"])
    # R47 added the steps' own deadline to aktiv: the review's is looked up by its trigger
    review = next(d for d in snap.deadlines if d.trigger == "ueberpruefung_faellig")
    assert review.due == add_months(agreed, 6)
    await env.sleep(timedelta(days=150))
    assert (await snapshot(h)).state == "aktiv"
    await env.sleep(timedelta(days=35))
    await eventually_state(h, "in_ueberpruefung")
    [task] = await rows(db, m.Task, case_id=case_id_of(h), kind="kp_ueberpruefen")
    assert (task.role, task.status) == ("ifk", "offen")


async def test_review_task_goes_to_ifk_reha_for_rehabilitant(client, worker, env, db):
    h = await _aktiv(client, worker, db, {"rehabilitand": True})
    await env.sleep(SIX_MONTHS_AND_A_DAY)
    await eventually_state(h, "in_ueberpruefung")
    assert [t.role for t in await rows(db, m.Task, case_id=case_id_of(h), kind="kp_ueberpruefen")] == ["ifk_reha"]


async def test_update_plan_at_review_supersedes_version_and_restarts_timer(client, worker, env, db):
    h = await _aktiv(client, worker, db)
    await env.sleep(SIX_MONTHS_AND_A_DAY)
    await eventually_state(h, "in_ueberpruefung")
    updated = await fire(
        h, "fortgeschrieben", await draft(db, case_id_of(h), plan("Ausbildung zur Fachkraft für Lagerlogistik"))
    )
    assert (updated.state, updated.facts["plan_version"]) == ("aktiv", 2)
    now = await env.get_current_time()
    review = next(d for d in updated.deadlines if d.trigger == "ueberpruefung_faellig")  # R47: not the only one
    assert abs(review.due - add_months(now, 6)) < timedelta(minutes=5)
    versions = await rows(db, PlanVersion, case_id=case_id_of(h))
    assert sorted((v.version, v.status) for v in versions) == [(1, "abgeloest"), (2, "gueltig")]
    [task] = await rows(db, m.Task, case_id=case_id_of(h), kind="kp_ueberpruefen")
    assert task.status == "erledigt"


async def test_update_plan_early_from_aktiv_creates_new_version(client, worker, db):
    h = await _aktiv(client, worker, db)
    updated = await fire(
        h, "fortgeschrieben", await draft(db, case_id_of(h), plan("Teilzeitstelle im Lager"), "fortgeschrieben")
    )
    assert (updated.state, updated.facts["plan_version"]) == ("aktiv", 2)


async def test_no_agreement_while_drafting_leaves_case_without_plan(client, worker):
    """R45: ohne_plan."""
    h = await _ohne_plan(client, worker)
    snap = await snapshot(h)
    assert (snap.state, snap.facts["plan_in_kraft"]) == ("ohne_plan", False)


async def test_no_agreement_at_review_leaves_case_without_plan(client, worker, env, db):
    h = await _aktiv(client, worker, db)
    await env.sleep(SIX_MONTHS_AND_A_DAY)
    await eventually_state(h, "in_ueberpruefung")
    snap = await fire(h, "keine_einigung")
    assert (snap.state, snap.facts["plan_in_kraft"], snap.facts["plan_version"]) == ("ohne_plan", False, 1)


async def test_agree_plan_later_from_ohne_plan(client, worker, db):
    h = await _ohne_plan(client, worker)
    assert (await fire(h, "plan_vereinbart", await draft(db, case_id_of(h)))).state == "aktiv"


async def test_restart_drafting_from_ohne_plan(client, worker):
    h = await _ohne_plan(client, worker)
    assert (await fire(h, "erarbeitung_aufgenommen")).state == "in_erarbeitung"


async def test_missed_cooperation_sends_the_aufforderung_with_rfb(client, worker, db):
    """R44: an Aufforderung with RFB; the plan stays in force."""
    h = await _aktiv(client, worker, db)
    snap = await fire(h, "mitwirkung_versaeumt", {"anlass": "massnahme_nicht_angetreten", "frist": "2027-02-01"})
    assert (snap.state, snap.facts["plan_in_kraft"]) == ("aufforderung_mit_rfb", True)
    letter = (await _letters(db, h))[-1]
    assert letter.template == "aufforderung_mitwirkung"
    assert "Rechtsfolgenbelehrung" in letter.body and "01.02.2027" in letter.body and "gilt weiter" in letter.body


async def test_resumed_cooperation_returns_to_aktiv_without_rfb(client, worker, db):
    """R44: back to cooperation without RFB, and no further letter."""
    h = await _aktiv(client, worker, db)
    await fire(h, "mitwirkung_versaeumt")
    assert (await fire(h, "mitwirkung_erbracht")).state == "aktiv"
    assert [n.template for n in await _letters(db, h)] == ["kooperationsplan", "aufforderung_mitwirkung"]


async def test_missed_cooperation_without_plan_carries_rfb_and_returns_to_ohne_plan(client, worker, db):
    """R45: without a plan every Aufforderung carries an RFB."""
    h = await _ohne_plan(client, worker)
    assert (await fire(h, "mitwirkung_versaeumt", {"anlass": "termin_versaeumt"})).state == "aufforderung_mit_rfb"
    [letter] = await _letters(db, h)
    assert "keinen gültigen" in letter.body and "Rechtsfolgenbelehrung" in letter.body
    assert (await fire(h, "mitwirkung_erbracht")).state == "ohne_plan"


async def test_missed_cooperation_after_the_rfb_is_a_breach_heard_in_a_minderung_child(client, worker, db):
    """R65: not kept after the Aufforderung with RFB: a hearing (a minderung child), not one more
    Aufforderung (histories from before the patch replay without it: tests/histories/kooperationsplan/
    vor-kp-pflichtverletzung-minderung)."""
    h = await _aktiv(client, worker, db)
    await fire(h, "mitwirkung_versaeumt")
    snap = await fire(h, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})
    assert (snap.state, snap.facts["aufforderungen"]) == ("aufforderung_mit_rfb", 2)
    assert await count(db, m.Notification, case_id=case_id_of(h), template="aufforderung_mitwirkung") == 1
    k = await started(minderung_of(client, snap))
    assert (k.state, k.facts["anlass"], k.facts["pflicht"]) == ("anhoerung", "pflichtverletzung", "nachweis_fehlt")
    assert k.links == {"kooperationsplan": case_id_of(h)}


async def test_record_involved_staff_member(client, worker):
    h = await _drafting(client, worker, {"beteiligte_fachkraefte": ["ifk-1"]})
    snap = await fire(h, "fachkraft_beteiligt", {"fachkraft": "teamleitung-2"})
    assert (snap.state, snap.facts["beteiligte_fachkraefte"]) == ("in_erarbeitung", ["ifk-1", "teamleitung-2"])


async def test_refuse_involved_staff_given_as_free_text_before_it_reaches_the_history(client, worker, db):
    """Issue 13: a name typed into a staff field reached the facts, the audit trail and the Temporal
    history, where erasure cannot follow it. The validator refuses anything but a staff id."""
    h = await _drafting(client, worker, {"beteiligte_fachkraefte": ["ifk-1"]})
    for text in ("Frau Erika Mustermann", "x", "ifk 2", "-ifk"):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await fire(h, "fachkraft_beteiligt", {"fachkraft": text})
        assert refused.value.cause.type == "InvalidPayload", text
    assert (await snapshot(h)).facts["beteiligte_fachkraefte"] == ["ifk-1"]
    assert [e[0] for e in await events(db, case_id_of(h))] == ["fall_angelegt", "potenzialanalyse_abgeschlossen"]


async def test_end_of_benefits_ends_case_and_workflow(client, worker, db):
    h = await _aktiv(client, worker, db)
    assert (await fire(h, "leistungsbezug_beendet", role="leistung")).state == "beendet"
    assert (await h.result()).final


async def test_three_years_of_reviews_continue_as_new_with_versions_intact(client, worker, env, db):
    """R42 over years: six reviews, each a new version; the history is cut by continue-as-new."""
    h = await _aktiv(client, worker, db, workflow="kooperationsplan_kurze_historie")
    for year_half in range(1, 7):
        await env.sleep(SIX_MONTHS_AND_A_DAY)
        await eventually_state(h, "in_ueberpruefung")
        inhalt = plan(f"Ziel nach Überprüfung {year_half}: eine feste Stelle im Lager")
        await fire(h, "fortgeschrieben", await draft(db, case_id_of(h), inhalt, "fortgeschrieben"))
    snap = await snapshot(h)
    assert (snap.state, snap.facts["plan_version"], snap.sequence) == ("aktiv", 7, 14)
    assert (await h.describe()).run_id != h.first_execution_run_id
    versions = sorted((v.version, v.status) for v in await rows(db, PlanVersion, case_id=case_id_of(h)))
    assert versions == [(n, "abgeloest") for n in range(1, 7)] + [(7, "gueltig")]
    trail = [e[0] for e in await events(db, case_id_of(h))]
    assert trail.count("ueberpruefung_faellig") == 6 and trail.count("fortgeschrieben") == 6
