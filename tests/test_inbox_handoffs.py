"""R17/R18 on the time-skipping server with the real activities: hand-offs raise a task for the
receiving role, each task is due when its work is due, and every deadline people had to meet
marks the case overdue (read model and FahrplanOverdue) until the work is done."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from temporalio.api.enums.v1 import EventType

from persistence import models as m
from persistence.db import as_utc
from statemachines import Policy
from statemachines.spec import ChildEnded
from tests.cases import case_id_of, fire, rows, search_attributes, snapshot, start_case
from tests.conftest import serving
from tests.kooperationsplan_support import child, draft, eventually_state
from tests.rkw_support import eventually, in_state, now, plus_monate, start_rkw
from workflows import search_attributes as sa

pytestmark = pytest.mark.usefixtures("end_all_cases")
POLICY = Policy()


@pytest.fixture
async def worker(client, sqlite_db):
    async with serving(client, db=sqlite_db) as w:
        yield w


@pytest.fixture
def db(sqlite_db):
    return sqlite_db


async def _open(db, h) -> list[m.Task]:
    return await rows(db, m.Task, case_id=case_id_of(h), status="offen")


async def _open_kinds(db, h) -> list[tuple[str, str]]:
    return [(t.kind, t.role) for t in await _open(db, h)]


async def _read_model(db, h) -> m.Case:
    [case] = await rows(db, m.Case, case_id=case_id_of(h))
    return case


async def test_new_application_gives_egs_a_task_due_after_its_handling_time(client, worker, db):
    h = await start_case(client, worker.task_queue, {"antragsweg": "persoenlich"})
    await snapshot(h)
    [task] = await eventually(lambda: _open(db, h), lambda ts: len(ts) == 1)
    assert (task.kind, task.role) == ("antrag_uebergeben", "egs")
    assert as_utc(task.due) - as_utc(task.created_at) == POLICY.bearbeitungszeit("antrag_uebergeben") > timedelta(0)
    await fire(h, "an_clearing_uebergeben", {"uebergabe": "warm"})
    assert await _open_kinds(db, h) == [("clearing_durchfuehren", "jobcoach")]


async def test_online_applicant_waits_on_an_identity_check_task_then_the_handover_task(client, worker, db):
    """R10/R17: the online applicant who has not come in yet waits on the EGS, not on nobody."""
    h = await start_case(client, worker.task_queue, {"antragsweg": "online"})
    assert await eventually(lambda: _open_kinds(db, h), lambda k: k) == [("identitaet_pruefen", "egs")]
    await fire(h, "identitaet_bestaetigt")
    assert await _open_kinds(db, h) == [("antrag_uebergeben", "egs")]
    [closed] = await rows(db, m.Task, case_id=case_id_of(h), status="erledigt")
    assert closed.kind == "identitaet_pruefen" and closed.closed_by_sequence == 1


async def test_clearing_appointment_task_is_due_at_the_appointment_and_not_overdue_before(client, worker, env, db):
    """R18: the task for an appointment three days away is due then, not when it was created."""
    h = await start_case(client, worker.task_queue, {"antragsweg": "persoenlich"})
    await fire(h, "an_clearing_uebergeben", {"uebergabe": "terminslot"})
    termin = (await now(env)) + timedelta(days=3)
    await fire(h, "clearingtermin_vereinbart", {"termin": termin.isoformat()})
    [task] = await _open(db, h)
    assert task.kind == "clearingtermin" and as_utc(task.due) == termin


async def test_no_appointment_within_the_contact_period_marks_the_case_overdue_until_booked(client, worker, env, db):
    """R5/R18: clearing_offen past clearing_kontakt_nach is overdue; booking the appointment ends it."""
    h = await start_case(client, worker.task_queue, {"antragsweg": "persoenlich"})
    await fire(h, "an_clearing_uebergeben", {"uebergabe": "aufgabe"})
    await env.sleep(POLICY.clearing_kontakt_nach + timedelta(hours=1))
    late = await eventually(lambda: snapshot(h), lambda s: s.overdue)
    assert late.state == "clearing_offen"
    assert (await search_attributes(h))[sa.OVERDUE.name] is True
    assert (await _read_model(db, h)).overdue is True
    assert ("aktive_kontaktaufnahme", "jobcoach") in await _open_kinds(db, h)
    # a failed attempt changes nothing about it; the booked appointment does
    assert (await fire(h, "kontaktversuch_gescheitert", {"art": "telefon"})).overdue is True
    termin = (await now(env)) + timedelta(days=2)
    assert (await fire(h, "clearingtermin_vereinbart", {"termin": termin.isoformat()})).overdue is False
    assert (await _read_model(db, h)).overdue is False


async def test_schlichtung_hands_off_to_the_stelle_and_back_to_the_ifk(client, worker, db):
    """R17: the new Schlichtung is the Schlichtungsstelle's task; its end is the IFK's."""
    parent = await start_case(client, worker.task_queue, {}, process="kooperationsplan")
    assert await eventually(lambda: _open_kinds(db, parent), lambda k: k) == [("potenzialanalyse", "ifk")]
    await fire(parent, "potenzialanalyse_abgeschlossen")
    snap = await fire(parent, "schlichtung_beantragt", {"initiiert_von": "elb"})
    kid = child(client, snap)
    [task] = await eventually(lambda: _open(db, kid), lambda ts: len(ts) == 1)
    assert (task.kind, task.role) == ("schlichtungsperson_bestellen", "schlichtungsstelle")
    assert await _open(db, parent) == []  # R17: the parent waits on its child, which has its task
    await fire(kid, "zurueckgenommen", role="schlichtungsstelle")
    await eventually_state(parent, "ohne_plan")
    kinds = await eventually(lambda: _open_kinds(db, parent), lambda k: k)
    assert kinds == [("schlichtung_ergebnis", "ifk")]
    assert not (await snapshot(parent)).overdue


async def _child_end_checks(handle) -> int:
    """How many checks of a reported child end (activity check_child_end) have completed."""
    history = await handle.fetch_history()
    checks = {
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "check_child_end"
    }
    return sum(
        e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        and e.activity_task_completed_event_attributes.scheduled_event_id in checks
        for e in history.events
    )


async def test_a_forged_end_of_a_running_schlichtung_moves_nothing(client, worker, db):
    """Issue 13: a `child_ended` signal from the Temporal port naming the real, running child
    with a made-up end is checked against the child's record (activities/child_ends.py) and
    ignored; before, the plan case left in_schlichtung on it. The child's real end still counts."""
    parent = await start_case(client, worker.task_queue, {}, process="kooperationsplan")
    await fire(parent, "potenzialanalyse_abgeschlossen")
    snap = await fire(parent, "schlichtung_beantragt", {"initiiert_von": "elb"})
    kid = child(client, snap)
    await snapshot(kid)
    forged = ChildEnded(case_id=snap.links["schlichtung"], process="schlichtung", state="einigung", facts={})
    await parent.signal("child_ended", forged)
    assert await eventually(lambda: _child_end_checks(parent), lambda done: done == 1)
    assert (await snapshot(parent)).state == "in_schlichtung"
    await fire(kid, "zurueckgenommen", role="schlichtungsstelle")
    await eventually_state(parent, "ohne_plan")
    ended = await rows(db, m.CaseEvent, case_id=case_id_of(parent), trigger="schlichtung_beendet")
    assert [e.data["state"] for e in ended] == ["zurueckgenommen"]


async def test_rehabilitant_plan_tasks_go_to_ifk_reha(client, worker, db):
    h = await start_case(client, worker.task_queue, {"rehabilitand": True}, process="kooperationsplan")
    assert await eventually(lambda: _open_kinds(db, h), lambda k: k) == [("potenzialanalyse", "ifk_reha")]
    await fire(h, "potenzialanalyse_abgeschlossen", role="ifk_reha")
    assert await _open_kinds(db, h) == [("kp_erarbeiten", "ifk_reha")]


async def test_schlichtung_past_its_limit_is_overdue_and_so_is_the_plan_it_leaves_open(client, worker, env, db):
    """R54/R18: the four weeks pass with no result: FahrplanOverdue on the Schlichtung and on the plan
    case, which goes on without a plan with a task for the IFK."""
    parent = await start_case(client, worker.task_queue, {}, process="kooperationsplan")
    await fire(parent, "potenzialanalyse_abgeschlossen")
    kid = child(client, await fire(parent, "schlichtung_beantragt", {"initiiert_von": "jobcenter"}))
    [task] = await eventually(lambda: _open(db, kid), lambda ts: len(ts) == 1)
    frist = as_utc(task.created_at) + POLICY.schlichtung_frist
    assert as_utc(task.due) <= frist
    await env.sleep(POLICY.schlichtung_frist + timedelta(hours=1))
    ended = await eventually(lambda: snapshot(kid), lambda s: s.state == "frist_abgelaufen")
    assert ended.overdue and (await search_attributes(kid))[sa.OVERDUE.name] is True
    after = await eventually_state(parent, "ohne_plan")
    assert after.overdue and (await search_attributes(parent))[sa.OVERDUE.name] is True
    assert await eventually(lambda: _open_kinds(db, parent), lambda k: k) == [("schlichtung_ergebnis", "ifk")]
    assert (await fire(parent, "erarbeitung_aufgenommen")).overdue is False


async def test_plan_review_past_its_date_is_overdue_until_the_plan_is_updated(client, worker, env, db):
    """R42/R18: the review falls due after six months: the case is overdue in review, the IFK has the task."""
    h = await start_case(client, worker.task_queue, {}, process="kooperationsplan")
    await fire(h, "potenzialanalyse_abgeschlossen")
    await fire(h, "plan_vereinbart", await draft(db, case_id_of(h)))
    assert not (await snapshot(h)).overdue
    await env.sleep(timedelta(days=185))
    review = await eventually(lambda: snapshot(h), lambda s: s.state == "in_ueberpruefung")
    assert review.overdue and (await search_attributes(h))[sa.OVERDUE.name] is True
    assert await _open_kinds(db, h) == [("kp_ueberpruefen", "ifk")]
    updated = await fire(h, "fortgeschrieben", await draft(db, case_id_of(h), quelle="fortgeschrieben"))
    assert (updated.state, updated.overdue) == ("aktiv", False)
    assert (await _read_model(db, h)).overdue is False


async def test_rkw_attendance_not_recorded_after_the_event_marks_overdue(client, worker, env, db):
    """R33/R18: recording attendance was the team's deadline; recording it ends the mark."""
    h = await start_rkw(client, worker.task_queue, plus_monate((await now(env)).date(), 2))
    invited = await in_state(h, "zur_infoveranstaltung_eingeladen")
    termin = datetime.fromisoformat(invited.facts["veranstaltung_termin"])
    await env.sleep(termin - await now(env) + POLICY.rkw_teilnahme_nachhalten + timedelta(hours=1))
    late = await eventually(lambda: snapshot(h), lambda s: s.overdue)
    assert late.state == "zur_infoveranstaltung_eingeladen"
    after = await fire(h, "teilgenommen")
    assert (after.state, after.overdue) == ("infoveranstaltung_besucht", False)
    [task] = await _open(db, h)
    assert task.kind == "beratung_vereinbaren" and task.role == "ifk"
    # R32 (issue 19): the counselling is due within the deadline from the event, not from recording it.
    assert as_utc(task.due) == termin + POLICY.rkw_beratung_frist
    assert [(d.trigger, d.due) for d in after.deadlines] == [("beratungsfrist_versaeumt", as_utc(task.due))]
