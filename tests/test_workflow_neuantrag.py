"""NeuantragWorkflow on the time-skipping test server, every path of the table,
every timer, with the real activity writing to a real (SQLite) database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from persistence import models as m
from statemachines import Policy
from tests.cases import (
    case_id_of,
    count,
    current_details,
    events,
    fire,
    role_for,
    rows,
    search_attributes,
    signed,
    sleep,
    snapshot,
    start_case,
)
from tests.conftest import serving
from tests.support_workflows import ShortHistoryNeuantrag
from workflows import patches
from workflows import search_attributes as sa
from workflows.messages import CaseSnapshot, TransitionRequest
from workflows.processes import WORKFLOWS

PERSOENLICH = {"antragsweg": "persoenlich"}
ONLINE = {"antragsweg": "online"}
TERMIN = {"termin": "2026-12-01T10:00:00+01:00"}


@pytest.fixture
async def worker(client, sqlite_db):
    async with serving(client, db=sqlite_db, workflows=[*WORKFLOWS.values(), ShortHistoryNeuantrag]) as w:
        yield w


@pytest.fixture
def db(sqlite_db):
    return sqlite_db


async def _in_clearing(client, worker, facts=PERSOENLICH, **kw):
    h = await start_case(client, worker.task_queue, facts, **kw)
    await fire(h, "an_clearing_uebergeben", {"uebergabe": "warm"})
    return h


async def test_walk_in_person_application_through_group_coaching_to_ifk(client, worker, db):
    """R1–R3, R6, R12: Clearing → group coaching → Bewilligung → IFK with Fallübergabe (R13)."""
    h = await _in_clearing(client, worker)
    await fire(h, "clearingtermin_vereinbart", TERMIN)
    await fire(h, "gruppencoaching_zugesagt")
    bewilligt = await fire(h, "leistung_bewilligt")
    assert (bewilligt.state, bewilligt.facts["bewilligt"]) == ("gruppencoaching", True)
    done = await fire(h, "gruppencoaching_beendet")
    assert done.state == "an_ifk_uebergeben" and done.final
    assert (await h.result()).state == "an_ifk_uebergeben"
    assert [e[0] for e in await events(db, case_id_of(h))] == [
        "fall_angelegt",
        "an_clearing_uebergeben",
        "clearingtermin_vereinbart",
        "gruppencoaching_zugesagt",
        "leistung_bewilligt",
        "gruppencoaching_beendet",
    ]
    letters = [n.template for n in await rows(db, m.Notification, case_id=case_id_of(h))]
    assert letters == ["einladung_clearing", "fallubergabe"]


async def test_take_up_work_from_group_coaching_ends_integrated(client, worker):
    h = await _in_clearing(client, worker)
    await fire(h, "gruppencoaching_zugesagt")
    assert (await fire(h, "arbeit_aufgenommen")).state == "integriert"


async def test_refuse_handover_of_online_application_until_identity_checked(client, worker, db):
    """R10: the validator refuses before anything reaches the history."""
    h = await start_case(client, worker.task_queue, ONLINE)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(h, "an_clearing_uebergeben", {"uebergabe": "aufgabe"})
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "TriggerNotAllowed"
    assert "R10" in cause.message
    assert "identitaet_bestaetigt" in cause.details[0]["allowed"]
    assert (await snapshot(h)).state == "antrag_eingegangen"
    await fire(h, "identitaet_bestaetigt")
    assert (await fire(h, "an_clearing_uebergeben", {"uebergabe": "aufgabe"})).state == "clearing_offen"
    assert [e[0] for e in await events(db, case_id_of(h))] == [
        "fall_angelegt",
        "identitaet_bestaetigt",
        "an_clearing_uebergeben",
    ]


async def test_refuse_trigger_for_undeclared_role(client, worker):
    h = await start_case(client, worker.task_queue, PERSOENLICH)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(h, "an_clearing_uebergeben", {"uebergabe": "warm"}, role="ifk")
    assert refused.value.cause.type == "RoleNotAllowed"
    assert (await snapshot(h)).sequence == 0


async def test_refuse_invalid_payload(client, worker):
    h = await _in_clearing(client, worker)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(h, "kontaktversuch_gescheitert", {"art": "brieftaube"})
    assert refused.value.cause.type == "InvalidPayload"
    assert (await snapshot(h)).facts["kontaktversuche"] == []


async def test_evading_clearing_goes_to_ifk_after_bewilligung(client, worker, db):
    """R11/R12: three failed attempts, one written → clearing_entzogen → Bewilligung → IFK."""
    h = await _in_clearing(client, worker)
    await fire(h, "kontaktversuch_gescheitert", {"art": "telefon"})
    await fire(h, "kontaktversuch_gescheitert", {"art": "telefon"})
    entzogen = await fire(h, "kontaktversuch_gescheitert", {"art": "schriftlich"})
    assert entzogen.state == "clearing_entzogen"
    assert (await fire(h, "leistung_bewilligt")).state == "an_ifk_uebergeben"
    tasks = await rows(db, m.Task, case_id=case_id_of(h), kind="fallubernahme")
    assert [(t.role, t.status) for t in tasks] == [("ifk", "offen")]


async def test_rehabilitant_goes_to_ifk_reha_only_after_bewilligung(client, worker):
    """R4/R12."""
    h = await _in_clearing(client, worker, {"antragsweg": "persoenlich", "rehabilitand": True})
    await fire(h, "clearingtermin_vereinbart", TERMIN)
    assert (await fire(h, "als_rehabilitand_erfasst")).state == "reha_betreuung"
    assert (await fire(h, "leistung_bewilligt")).state == "an_ifk_reha_uebergeben"


async def test_active_contact_task_after_clearing_offen_lasts_too_long(client, worker, env, db):
    """R5: the timer fires once, opens a Jobcoach task; the appointment closes it."""
    h = await _in_clearing(client, worker)
    assert (await sleep(env, timedelta(days=8), h)).state == "clearing_offen"
    await _eventually(lambda: count(db, m.Task, case_id=case_id_of(h), kind="aktive_kontaktaufnahme"), 1)
    await env.sleep(timedelta(days=8))
    assert await count(db, m.Task, case_id=case_id_of(h), kind="aktive_kontaktaufnahme") == 1
    await fire(h, "clearingtermin_vereinbart", TERMIN)
    task = (await rows(db, m.Task, case_id=case_id_of(h), kind="aktive_kontaktaufnahme"))[0]
    assert task.status == "erledigt"


async def test_own_plan_gets_regular_wiedervorlage_then_invitation(client, worker, env, db):
    """R7: every four weeks a Wiedervorlage task; invited again; refusing group coaching
    keeps the case in Clearing until the Bewilligung, then IFK."""
    h = await _in_clearing(client, worker)
    await fire(h, "eigenen_plan_erfasst")
    await env.sleep(timedelta(weeks=4, days=1))
    await _eventually(lambda: count(db, m.Task, case_id=case_id_of(h), kind="wiedervorlage"), 1)
    await env.sleep(timedelta(weeks=4))
    await _eventually(lambda: count(db, m.Task, case_id=case_id_of(h), kind="wiedervorlage"), 2)
    assert (await snapshot(h)).state == "eigener_plan_wiedervorlage"
    assert (await fire(h, "erneut_eingeladen")).state == "clearing_offen"
    assert (await fire(h, "gruppencoaching_abgelehnt")).state == "clearing_betreuung"
    assert (await fire(h, "leistung_bewilligt")).state == "an_ifk_uebergeben"
    letters = [n.template for n in await rows(db, m.Notification, case_id=case_id_of(h))]
    assert letters == ["einladung_erneut", "fallubergabe"]


async def test_alg1_recipient_on_wiedervorlage_then_appointment_within_a_week_after_alg1_ends(client, worker, env, db):
    """R8: Wiedervorlage tasks while ALG I is paid (every 4 weeks); when it ends an appointment no later
    than one week after, with a task and a letter naming it (changed with issue 19: one timer at the end,
    to clearing_offen with a letter only)."""
    h = await _in_clearing(client, worker)
    now = await _now(env)
    alg1_ende = (now + timedelta(days=40)).date()
    await fire(h, "alg1_bezug_erfasst", {"alg1_ende": alg1_ende.isoformat()})
    assert (await sleep(env, timedelta(days=30), h)).state == "alg1_wiedervorlage"
    [wv] = await rows(db, m.Task, case_id=case_id_of(h), kind="wiedervorlage")
    assert (wv.role, wv.status, wv.title) == (
        "jobcoach",
        "offen",
        "Wiedervorlage: ALG-I-Bezug, nach dem Stand fragen (R8)",
    )
    await env.sleep(timedelta(days=12))
    await _eventually(lambda: _state(h), "clearing_terminiert")
    termin = datetime.fromisoformat((await snapshot(h)).facts["clearingtermin"])
    assert termin.date() == alg1_ende + timedelta(days=7)
    letter = (await rows(db, m.Notification, case_id=case_id_of(h), template="einladung_alg1_termin"))[0]
    sent = letter.created_at.replace(tzinfo=letter.created_at.tzinfo or UTC)
    assert alg1_ende <= sent.date() <= alg1_ende + timedelta(days=7)
    assert termin.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y") in letter.body
    assert [t.kind for t in await rows(db, m.Task, case_id=case_id_of(h), status="offen")] == ["clearingtermin"]


async def test_r11_appointment_agreed_resets_failed_attempts(client, worker):
    """R11: a successful contact (appointment agreed) resets the count, so earlier attempts do not add up."""
    h = await _in_clearing(client, worker)
    await fire(h, "kontaktversuch_gescheitert", {"art": "telefon"})
    await fire(h, "kontaktversuch_gescheitert", {"art": "schriftlich"})
    await fire(h, "clearingtermin_vereinbart", {"termin": "2026-12-01T10:00:00+01:00"})
    assert (await fire(h, "kontaktversuch_gescheitert", {"art": "telefon"})).state == "clearing_terminiert"


async def test_withdrawn_application_ends_case_and_workflow(client, worker):
    h = await _in_clearing(client, worker)
    assert (await fire(h, "antrag_zurueckgenommen")).state == "beendet"
    assert (await h.result()).final


async def test_rejected_application_ends_case(client, worker):
    h = await start_case(client, worker.task_queue, PERSOENLICH)
    assert (await fire(h, "antrag_abgelehnt")).state == "beendet"


async def test_upsert_search_attributes_on_every_transition(client, worker):
    h = await _in_clearing(client, worker)
    attrs = await search_attributes(h)
    assert attrs[sa.PROCESS.name] == "neuantrag"
    assert attrs[sa.STATE.name] == "clearing_offen"
    assert attrs[sa.CASE_ID.name] == case_id_of(h)
    assert attrs[sa.DEADLINE.name] is not None and attrs[sa.OVERDUE.name] is False
    await fire(h, "clearingtermin_vereinbart", TERMIN)
    attrs = await search_attributes(h)
    assert attrs[sa.STATE.name] == "clearing_terminiert" and not attrs.get(sa.DEADLINE.name)


async def _upserts(h) -> list[dict]:
    """The search attributes each UpsertWorkflowSearchAttributes event of the history set."""
    found = []
    async for e in h.fetch_history_events():
        if e.HasField("upsert_workflow_search_attributes_event_attributes"):
            fields = e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            found.append(set(fields))
    return found


async def test_a_transition_upserts_only_the_search_attributes_it_changed(client, worker):
    h = await _in_clearing(client, worker)
    before = len(await _upserts(h))
    await fire(h, "clearingtermin_vereinbart", TERMIN)  # state changes, the deadline goes
    assert (await _upserts(h))[before:] == [{sa.STATE.name, sa.DEADLINE.name}]
    later = {"termin": (datetime.fromisoformat(TERMIN["termin"]) + timedelta(days=1)).isoformat()}
    assert (await fire(h, "clearingtermin_vereinbart", later)).state == "clearing_terminiert"  # rebooked
    assert len(await _upserts(h)) == before + 1  # nothing changed that operators filter on
    attrs = await search_attributes(h)
    assert attrs[sa.STATE.name] == "clearing_terminiert" and not attrs.get(sa.DEADLINE.name)
    assert attrs[sa.PROCESS.name] == "neuantrag" and attrs[sa.CASE_ID.name] == case_id_of(h)


async def test_set_current_details_for_the_ui(client, worker):
    h = await _in_clearing(client, worker)
    text = await current_details(h)
    assert "Clearing offen" in text and "Frist" in text


async def test_continue_as_new_keeps_state_facts_and_sequence(client, worker, db):
    h = await _in_clearing(client, worker, workflow="neuantrag_kurze_historie")
    for _ in range(12):
        await fire(h, "kontaktversuch_gescheitert", {"art": "telefon"})
    now = await snapshot(h)
    assert (now.state, now.sequence, len(now.facts["kontaktversuche"])) == ("clearing_offen", 13, 12)
    assert (await h.describe()).run_id != h.first_execution_run_id
    assert await count(db, m.CaseEvent, case_id=case_id_of(h)) == 14
    assert (await fire(h, "kontaktversuch_gescheitert", {"art": "schriftlich"})).state == "clearing_entzogen"


async def test_a_request_applied_before_continue_as_new_is_refused_after_it(client, worker):
    """Issue 13: whoever reaches the Temporal port can copy a signed (encrypted) update from an
    earlier run's history. Its request id goes over to the next run, so it is refused there too;
    before, each run started with no applied ids and the copy fired once more."""
    h = await _in_clearing(client, worker, workflow="neuantrag_kurze_historie")
    attempt = {"trigger": "kontaktversuch_gescheitert", "data": {"art": "telefon"}}
    first = signed(h, TransitionRequest(**attempt, role=role_for("neuantrag", attempt["trigger"])))
    await h.execute_update("transition", first, result_type=CaseSnapshot)
    for _ in range(11):
        await fire(h, "kontaktversuch_gescheitert", {"art": "telefon"})
    before = await snapshot(h)
    assert (await h.describe()).run_id != h.first_execution_run_id and before.state == "clearing_offen"
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await h.execute_update("transition", first, result_type=CaseSnapshot)
    assert isinstance(failed.value.cause, ApplicationError) and "bereits ausgeführt" in failed.value.cause.message
    assert (await snapshot(h)).sequence == before.sequence


async def test_a_case_on_the_old_r11_keeps_it_after_continue_as_new(client, worker):
    """PolicyPatch: a case whose earlier run found the R8/R11 patch unset (CaseInput.unpatched) keeps
    the old R11 after continue-as-new, where workflow.patched holds again: attempts before the
    appointment still count."""
    h = await start_case(
        client,
        worker.task_queue,
        PERSOENLICH,
        workflow="neuantrag_kurze_historie",
        unpatched=("r8-r11-wiedervorlage-termin-kontakt",),
    )
    await fire(h, "an_clearing_uebergeben", {"uebergabe": "warm"})
    await fire(h, "kontaktversuch_gescheitert", {"art": "telefon"})
    await fire(h, "kontaktversuch_gescheitert", {"art": "schriftlich"})
    for day in range(1, 10):  # rebookings until the run continues as new
        await fire(h, "clearingtermin_vereinbart", {"termin": f"2027-01-{day:02d}T10:00:00+01:00"})
    first = await client.get_workflow_handle(h.id, run_id=h.first_execution_run_id).fetch_history()
    assert first.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert (await fire(h, "kontaktversuch_gescheitert", {"art": "telefon"})).state == "clearing_entzogen"


async def test_policy_threshold_changes_r11_without_code(client, worker):
    """R60: two attempts suffice when the policy says so."""
    h = await _in_clearing(client, worker, policy=Policy(kontaktversuche_schwelle=2))
    await fire(h, "kontaktversuch_gescheitert", {"art": "telefon"})
    assert (await fire(h, "kontaktversuch_gescheitert", {"art": "schriftlich"})).state == "clearing_entzogen"


# --- helpers -----------------------------------------------------------------------------


async def _state(h):
    return (await snapshot(h)).state


async def _now(env) -> datetime:
    return await env.get_current_time()


async def _eventually(probe, expected, attempts: int = 100):
    import asyncio

    for _ in range(attempts):
        value = await probe()
        if value == expected:
            return
        await asyncio.sleep(0.05)
    assert value == expected


__all__ = ["date"]


async def test_a_new_case_records_one_patch_marker_for_every_patch_it_takes(client, worker):
    """workflows/patches.py: the baseline's marker stands for every patch in force; without it a new
    case recorded five markers and five TemporalChangeVersion upserts (one visibility write each
    workflow task that asked a patch). The other markers are the local activities' results."""
    h = await _in_clearing(client, worker)
    await fire(h, "clearingtermin_vereinbart", TERMIN)
    events = (await h.fetch_history()).events
    markers = [
        e.marker_recorded_event_attributes.SerializeToString()
        for e in events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_patch"
    ]
    assert len(markers) == 1 and patches.BASELINE_2.encode() in markers[0]
    versions = [
        e
        for e in events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        and "TemporalChangeVersion"
        in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]
    assert len(versions) == 1
    assert (await h.query(WORKFLOWS["neuantrag"].snapshot)).state == "clearing_terminiert"
