"""meldetermin and minderung on the time-skipping server (R55, R64–R67): the invitation with RFB
per regime, the timer after the appointment, the hearing answered or not, the proposal each
regime computes, the decision only by `leistung`, § 31b (verfristet), § 7b (three misses in a
row, reporting in person) and R55 during a Schlichtung."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from notifications.render import datum, datum_uhrzeit
from persistence import models as m
from statemachines.kooperationsplan import add_months
from tests.cases import case_id_of, events, fire, rows, snapshot
from tests.conftest import new_worker
from tests.dbfixtures import add_person
from tests.minderung_support import (
    ORT,
    entscheidung,
    env_now,
    letters,
    meldetermin,
    minderung_of,
    open_tasks,
    own_time_skipping_server,
    start_for,
    started,
)

pytestmark = pytest.mark.usefixtures("end_all_cases")


@pytest.fixture
async def env():
    environment = await own_time_skipping_server()
    yield environment
    await environment.shutdown()


@pytest.fixture
async def worker(client, sqlite_db):
    async with new_worker(client, db=sqlite_db) as w:
        yield w


@pytest.fixture
def db(sqlite_db):
    return sqlite_db


async def _refusal(handle, trigger, data=None, role=None):
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(handle, trigger, data, role)
    return refused.value.cause


async def _missed(client, worker, env, person, regime=None, timer=True):
    """A meldetermin whose appointment passed (by the timer, or recorded by hand), recorded without
    good reason: the child. After a child of an ended meldetermin has ended, the test server skips
    no time any more (see own_time_skipping_server): then by hand."""
    h = await meldetermin(client, worker, person, await env_now(env), regime)
    if timer:
        await env.sleep(timedelta(days=1, hours=3))
    else:
        await fire(h, "nicht_erschienen")
    assert (await snapshot(h)).state == "versaeumt"
    snap = await fire(h, "kein_wichtiger_grund")
    assert snap.state == "minderung_eingeleitet"
    return h, minderung_of(client, snap)


async def test_invitation_letter_names_date_place_and_the_rfb_of_each_regime(client, worker, env, db):
    person = await add_person(db)
    now = await env_now(env)
    alt = await meldetermin(client, worker, person, now, "buergergeld_2023")
    neu = await meldetermin(client, worker, person, now, "grundsicherung_2026")
    [a] = await letters(db, case_id_of(alt))
    [n] = await letters(db, case_id_of(neu))
    termin = datetime.fromisoformat((await snapshot(alt)).facts["termin"])
    for letter in (a, n):
        assert letter.template == "einladung_meldetermin" and letter.sequence == 0
        assert ORT in letter.body and "Rechtsfolgenbelehrung" in letter.body and "Erika Mustermann" in letter.body
        assert f"Termin: {datum_uhrzeit(termin).replace(', ', ' um ')}" in letter.body
    assert "10 Prozent" in a.body and "Bürgergeld (SGB II in der Fassung bis 30.06.2026)" in a.body
    assert "§ 7b" not in a.body
    assert "30 Prozent" in n.body and "§ 7b" in n.body and "Ab dem 2. Meldeversäumnis" in n.body


async def test_attended_appointment_ends_without_a_task(client, worker, env, db):
    h = await meldetermin(client, worker, await add_person(db), await env_now(env))
    assert (await fire(h, "erschienen")).state == "wahrgenommen"
    assert await open_tasks(db, case_id_of(h)) == []


async def test_excused_absence_ends_without_a_minderung(client, worker, env, db):
    h = await meldetermin(client, worker, await add_person(db), await env_now(env))
    assert (await fire(h, "nicht_erschienen")).state == "versaeumt"
    [task] = await open_tasks(db, case_id_of(h))
    assert (task.kind, task.role) == ("meldetermin_klaeren", "ifk")
    snap = await fire(h, "wichtiger_grund_anerkannt")
    assert (snap.state, snap.links) == ("entschuldigt", {})
    assert await open_tasks(db, case_id_of(h)) == []


async def test_missed_appointment_old_law_from_invitation_to_decision(client, worker, env, db):
    """buergergeld_2023: 10 % for one month; the hearing answered in time; leistung decides."""
    person = await add_person(db)
    h, kid = await _missed(client, worker, env, person, "buergergeld_2023")
    k = await started(kid)
    assert (k.state, k.facts["anlass"], k.facts["regime"], k.links) == (
        "anhoerung",
        "meldeversaeumnis",
        "buergergeld_2023",
        {"meldetermin": case_id_of(h)},
    )
    [hearing] = await letters(db, case_id_of(kid))
    antwort = next(d.due for d in k.deadlines if d.trigger == "anhoerungsfrist_abgelaufen")
    assert hearing.template == "anhoerung_minderung" and "§ 24" in hearing.body
    assert f"bis zum {datum(antwort)}" in hearing.body
    await env.sleep(timedelta(days=5))
    k = await fire(kid, "stellungnahme_eingegangen")
    v = k.facts["vorschlag"]
    assert (k.state, k.facts["anhoerung"], v["prozent"], v["monate"]) == ("entscheidung_offen", "stellungnahme", 10, 1)
    [task] = await open_tasks(db, case_id_of(kid))
    ereignis = datetime.fromisoformat(k.facts["ereignis_am"])
    assert (task.kind, task.role) == ("minderung_entscheiden", "leistung")
    assert task.due == add_months(ereignis, 6)  # the inbox orders open decisions by the § 31b limit
    # R67: no other role decides
    assert (await _refusal(kid, "minderung_festgestellt", entscheidung(), role="ifk")).type == "RoleNotAllowed"
    k = await fire(kid, "minderung_festgestellt", entscheidung())
    assert (k.state, k.facts["prozent"], k.facts["haertepruefung"]) == (
        "festgestellt",
        10,
        "keine_aussergewoehnliche_haerte",
    )
    bescheid = (await letters(db, case_id_of(kid)))[-1]
    assert bescheid.template == "bescheid_minderung"
    for part in ("10 Prozent", "Rechtsstand: Bürgergeld", "Anhörung: Ihre Stellungnahme", "Härteprüfung am 20.12.2026"):
        assert part in bescheid.body, part
    assert [e[0] for e in await events(db, case_id_of(kid))] == [
        "fall_angelegt",
        "stellungnahme_eingegangen",
        "minderung_festgestellt",
    ]


async def test_new_law_first_miss_proposes_nothing_the_second_thirty_percent(client, worker, env, db):
    """grundsicherung_2026: 30 % for one month from the second miss in a row; hearings not answered."""
    person = await add_person(db)
    _, first = await _missed(client, worker, env, person)
    _, second = await _missed(client, worker, env, person)
    await started(second)
    await env.sleep(timedelta(days=15))  # the answer period passes: the timer ends the hearing, never decides
    k = await snapshot(first)
    assert (k.state, k.facts["anhoerung"], k.facts["vorschlag"]["prozent"]) == (
        "entscheidung_offen",
        "keine_stellungnahme",
        0,
    )
    k = await snapshot(second)
    v = k.facts["vorschlag"]
    assert (k.state, k.facts["anhoerung"]) == ("entscheidung_offen", "keine_stellungnahme")
    assert (v["regime"], v["versaeumnisse_in_folge"], v["prozent"], v["monate"]) == ("grundsicherung_2026", 2, 30, 1)
    k = await fire(first, "von_minderung_abgesehen", {"grund": "kein_vorschlag"})
    assert k.state == "abgesehen"
    keine = (await letters(db, case_id_of(first), 2))[-1]
    assert keine.template == "mitteilung_keine_minderung"
    # R65/R67: also the decision not to reduce names the facts, the regime and the hearing
    for part in ("Meldeversäumnis am", "Rechtsstand: Neue Grundsicherung", "innerhalb der Frist nicht geäußert"):
        assert part in keine.body, part
    # never above the cap (R65)
    refused = await _refusal(second, "minderung_festgestellt", entscheidung(prozent=40), role="leistung")
    assert refused.type == "InvalidPayload" and "höchstens 30 %" in refused.message
    k = await fire(second, "minderung_festgestellt", entscheidung(prozent=30))
    assert k.state == "festgestellt"
    assert "Neue Grundsicherung" in (await letters(db, case_id_of(second), 2))[-1].body


async def test_minderung_runs_out_of_time_six_months_after_the_appointment(client, worker, env, db):
    _, kid = await _missed(client, worker, env, await add_person(db), "buergergeld_2023")
    await env.sleep(timedelta(days=20))
    assert (await snapshot(kid)).state == "entscheidung_offen"
    due = next(d.due for d in (await snapshot(kid)).deadlines if d.trigger == "frist_fuer_feststellung_abgelaufen")
    assert due == add_months(datetime.fromisoformat((await snapshot(kid)).facts["ereignis_am"]), 6)
    # just past the limit: the child of the ended meldetermin ends with it, and the test server
    # skips no time after that (see own_time_skipping_server), so nothing may be left to skip
    await env.sleep(due - await env_now(env) + timedelta(seconds=1))
    k = await snapshot(kid)
    assert k.state == "verfristet" and k.facts["prozent"] is None
    triggers = [(e[0], e[2]) for e in await events(db, case_id_of(kid))]
    assert triggers[-1] == ("frist_fuer_feststellung_abgelaufen", "verfristet")
    assert await open_tasks(db, case_id_of(kid)) == []
    assert [r.role for r in await rows(db, m.CaseEvent, case_id=case_id_of(kid))][1:] == ["system", "system"]


async def test_three_misses_in_a_row_make_not_reachable_until_reporting_in_person(client, worker, env, db):
    """R66 (grundsicherung_2026): the third miss opens nicht_erreichbar; leistung withholds; reporting
    in person ends it at once and resets the count."""
    person = await add_person(db)
    for _ in range(2):
        await _missed(client, worker, env, person)
    h, kid = await _missed(client, worker, env, person)
    assert (await snapshot(h)).facts["versaeumnisse_in_folge"] == 3
    k = await started(kid)
    assert (k.facts["anlass"], k.facts["versaeumnisse_in_folge"]) == ("nicht_erreichbar", 3)
    k = await fire(kid, "stellungnahme_eingegangen")
    assert k.facts["vorschlag"]["entzug"] and k.facts["vorschlag"]["kdu_an_vermieter_monate"] == 1
    refused = await _refusal(kid, "minderung_festgestellt", entscheidung(), role="leistung")
    assert refused.type == "InvalidPayload" and "entzug = true" in refused.message
    k = await fire(kid, "minderung_festgestellt", entscheidung(prozent=0, monate=0, entzug=True))
    assert k.state == "leistungen_entzogen" and not k.final
    assert "Kosten der Unterkunft" in (await letters(db, case_id_of(kid)))[-1].body
    k = await fire(kid, "persoenlich_gemeldet", role="egs")
    assert (k.state, k.final) == ("gemeldet", True)
    assert (await letters(db, case_id_of(kid)))[-1].template == "mitteilung_meldung"
    after, _ = await _missed(client, worker, env, person, timer=False)
    assert (await snapshot(after)).facts["versaeumnisse_in_folge"] == 1  # reset by reporting in person


async def test_attended_appointment_resets_the_count(client, worker, env, db):
    person = await add_person(db)
    await _missed(client, worker, env, person)
    await fire(await meldetermin(client, worker, person, await env_now(env)), "erschienen")
    h, _ = await _missed(client, worker, env, person)
    assert (await snapshot(h)).facts["versaeumnisse_in_folge"] == 1


async def test_old_law_no_minderung_while_a_schlichtung_runs(client, worker, env, db):
    """R55 (buergergeld_2023): refused with the rule's reason; the case waits in versaeumt."""
    person = await add_person(db)
    plan = await start_for(client, worker.task_queue, "kooperationsplan", {}, person, "buergergeld_2023")
    await fire(plan, "potenzialanalyse_abgeschlossen")
    await fire(plan, "schlichtung_beantragt", {"initiiert_von": "elb"})
    h = await meldetermin(client, worker, person, await env_now(env), "buergergeld_2023")
    await fire(h, "nicht_erschienen")
    refused = await _refusal(h, "kein_wichtiger_grund")
    assert refused.type == "TriggerNotAllowed" and "R55" in refused.message and "Schlichtung" in refused.message
    snap = await snapshot(h)
    assert (snap.state, snap.links) == ("versaeumt", {})
    # under the new law there is no Schlichtung rule (R62): the same person's miss goes to a hearing
    neu = await meldetermin(client, worker, person, await env_now(env), "grundsicherung_2026")
    await fire(neu, "nicht_erschienen")
    assert (await fire(neu, "kein_wichtiger_grund")).state == "minderung_eingeleitet"


async def _breach(client, worker, plan):
    """A breach after the Aufforderung with RFB: the kooperationsplan opens a minderung child."""
    snap = await fire(plan, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})
    assert snap.state == "aufforderung_mit_rfb"
    kid = minderung_of(client, snap)
    k = await started(kid)
    assert (k.facts["anlass"], k.facts["pflicht"], k.links) == (
        "pflichtverletzung",
        "nachweis_fehlt",
        {"kooperationsplan": case_id_of(plan)},
    )
    return kid


@pytest.mark.parametrize(
    ("regime", "first", "second"),
    [("buergergeld_2023", (10, 1, 1), (20, 2, 2)), ("grundsicherung_2026", (30, 3, 1), (30, 3, 1))],
)
async def test_breach_after_the_rfb_is_heard_and_a_second_one_proposes_the_next_step_or_the_flat_rate(
    client, worker, env, db, regime, first, second
):
    """Kooperationsplan: the first Aufforderung carries the RFB, the breach after it is heard in a
    minderung child under the plan's regime; a second breach within a year proposes the next step
    (buergergeld_2023) or the flat 30 % for three months again (grundsicherung_2026), and the plan
    case learns each end."""
    person = await add_person(db)
    plan = await start_for(client, worker.task_queue, "kooperationsplan", {}, person, regime)
    await fire(plan, "potenzialanalyse_abgeschlossen")
    await fire(plan, "keine_einigung")
    assert (await fire(plan, "mitwirkung_versaeumt")).links.get("minderung") is None  # the RFB first
    kid = await _breach(client, worker, plan)
    k = await fire(kid, "stellungnahme_eingegangen")
    v = k.facts["vorschlag"]
    assert (k.facts["regime"], v["prozent"], v["monate"], v["stufe"]) == (regime, *first)
    await fire(kid, "minderung_festgestellt", entscheidung(prozent=first[0], monate=first[1], beginn="2026-06-01"))
    for _ in range(100):
        if (p := await snapshot(plan)).facts["minderung_ergebnis"] == "festgestellt":
            break
        await asyncio.sleep(0.05)
    assert (p.state, p.facts["minderung_ergebnis"]) == ("aufforderung_mit_rfb", "festgestellt")
    again = await _breach(client, worker, plan)
    k = await fire(again, "stellungnahme_eingegangen")
    v = k.facts["vorschlag"]
    assert (v["prozent"], v["monate"], v["stufe"], len(v["grundlagen"])) == (*second, 1)
    assert v["grundlagen"][0]["case_id"] == case_id_of(kid)


async def test_new_law_breach_of_duties_by_verwaltungsakt_goes_to_a_hearing_and_the_plan_learns_its_end(
    client, worker, env, db
):
    """R63/R65 (grundsicherung_2026): a duty set by Verwaltungsakt not kept opens a minderung child
    at once (no Aufforderung first: the act carried the RFB); its hearing, the flat-rate proposal,
    Leistung's decision (R67), and the end reported to the plan case, which stays in its state."""
    person = await add_person(db)
    plan = await start_for(client, worker.task_queue, "kooperationsplan", {}, person, "grundsicherung_2026")
    await fire(plan, "potenzialanalyse_abgeschlossen")
    await fire(plan, "keine_einigung")
    assert (await fire(plan, "verwaltungsakt_erlassen")).state == "pflichten_per_verwaltungsakt"
    snap = await fire(plan, "pflichten_verletzt", {"anlass": "massnahme_nicht_angetreten"})
    assert (snap.state, snap.facts["aufforderungen"]) == ("pflichten_per_verwaltungsakt", 0)
    kid = minderung_of(client, snap)
    k = await started(kid)
    assert (k.state, k.facts["anlass"], k.facts["pflicht"], k.facts["regime"], k.links) == (
        "anhoerung",
        "pflichtverletzung",
        "massnahme_nicht_angetreten",
        "grundsicherung_2026",
        {"kooperationsplan": case_id_of(plan)},
    )
    [hearing] = await letters(db, case_id_of(kid))
    assert hearing.template == "anhoerung_minderung" and "Pflicht aus unserem Verwaltungsakt" in hearing.body
    k = await fire(kid, "stellungnahme_eingegangen")
    v = k.facts["vorschlag"]
    assert (k.state, v["prozent"], v["monate"]) == ("entscheidung_offen", 30, 3)
    refused = await _refusal(kid, "minderung_festgestellt", entscheidung(prozent=30, monate=3), role="ifk")
    assert refused.type == "RoleNotAllowed"  # R67: only Leistung decides
    await fire(kid, "minderung_festgestellt", entscheidung(prozent=30, monate=3), role="leistung")
    bescheid = (await letters(db, case_id_of(kid), 2))[-1]
    assert bescheid.template == "bescheid_minderung"
    for part in (
        "30 Prozent",
        "per Verwaltungsakt mit Belehrung über die Folgen festgelegte Pflicht",  # the facts
        "Rechtsstand: Neue Grundsicherung",
        "Anhörung: Ihre Stellungnahme",
        "Härteprüfung am 20.12.2026",
    ):
        assert part in bescheid.body, part
    for _ in range(100):
        if (p := await snapshot(plan)).facts["minderung_ergebnis"] == "festgestellt":
            break
        await asyncio.sleep(0.05)
    assert (p.state, p.facts["minderung_ergebnis"], p.facts["letzte_pflicht"]) == (
        "pflichten_per_verwaltungsakt",
        "festgestellt",
        "massnahme_nicht_angetreten",
    )


async def test_two_breaches_heard_at_once_each_end_reaches_the_plan(client, worker, env, db):
    """R65: a second breach of the Verwaltungsakt's duties while the first is still heard opens a
    second minderung child; the plan links the latest, yet the first one's end reaches it too
    (before, it was dropped as the end of a case the plan had not opened)."""
    person = await add_person(db)
    plan = await start_for(client, worker.task_queue, "kooperationsplan", {}, person, "grundsicherung_2026")
    await fire(plan, "potenzialanalyse_abgeschlossen")
    await fire(plan, "keine_einigung")
    await fire(plan, "verwaltungsakt_erlassen")
    first = minderung_of(client, await fire(plan, "pflichten_verletzt", {"anlass": "massnahme_nicht_angetreten"}))
    second = minderung_of(client, await fire(plan, "pflichten_verletzt", {"anlass": "nachweis_fehlt"}))
    assert first.id != second.id and (await started(first)).state == (await started(second)).state == "anhoerung"
    await fire(first, "von_minderung_abgesehen", {"grund": "sonstiger_grund"}, role="leistung")
    for _ in range(300):  # the end reaches the plan by a signal and the plan checks it: give it time
        ended = await rows(db, m.CaseEvent, case_id=case_id_of(plan), trigger="minderung_beendet")
        if ended:
            break
        await asyncio.sleep(0.05)
    assert [(e.data["case_id"], e.data["state"]) for e in ended] == [(case_id_of(first), "abgesehen")]
    assert (await snapshot(plan)).links["minderung"] == case_id_of(second)
