"""neuantrag: every row of its transition table and its R5, R7 and R8 timers (the R34 timer
from antrag_eingegangen runs in the Neuantrag cases the rechtskreiswechsel scenarios open)."""

from __future__ import annotations

from datetime import timedelta

from statemachines import Policy
from tests.cases import fire, snapshot
from tests.histories.recorder import Recorder, scenario
from tests.rkw_support import eventually, in_state, now

PERSOENLICH = {"antragsweg": "persoenlich"}
REHA = {"antragsweg": "persoenlich", "rehabilitand": True}
TERMIN = {"termin": "2026-12-01T10:00:00+01:00"}
TELEFON, SCHRIFTLICH = {"art": "telefon"}, {"art": "schriftlich"}


async def _in_clearing(rec: Recorder, name: str, facts=PERSOENLICH, **kw):
    h = await rec.start("neuantrag", name, facts, **kw)
    await fire(h, "an_clearing_uebergeben", {"uebergabe": "warm"})
    return h


async def _evades(h) -> str:
    await fire(h, "kontaktversuch_gescheitert", TELEFON)
    await fire(h, "kontaktversuch_gescheitert", TELEFON)
    return (await fire(h, "kontaktversuch_gescheitert", SCHRIFTLICH)).state


async def _timer_fired(h, sequence: int):
    return await eventually(lambda: snapshot(h), lambda s: s.sequence >= sequence)


@scenario("neuantrag", "gruppencoaching_ifk")
async def gruppencoaching_ifk(rec: Recorder, name: str):
    h = await _in_clearing(rec, name)
    await fire(h, "clearingtermin_vereinbart", TERMIN)
    await fire(h, "gruppencoaching_zugesagt")
    await fire(h, "leistung_bewilligt")  # recorded only: the case stays in group coaching
    assert (await fire(h, "gruppencoaching_beendet")).state == "an_ifk_uebergeben"
    return {"": h}


@scenario("neuantrag", "online_betreuung_ifk")
async def online_betreuung_ifk(rec: Recorder, name: str):
    h = await rec.start("neuantrag", name, {"antragsweg": "online"})
    await fire(h, "identitaet_bestaetigt")
    await fire(h, "an_clearing_uebergeben", {"uebergabe": "aufgabe"})
    await fire(h, "gruppencoaching_zugesagt")
    assert (await fire(h, "gruppencoaching_beendet")).state == "clearing_betreuung"
    assert (await fire(h, "leistung_bewilligt")).state == "an_ifk_uebergeben"
    return {"": h}


@scenario("neuantrag", "kontaktaufnahme_entzogen_ifk")
async def kontaktaufnahme_entzogen_ifk(rec: Recorder, name: str):
    h = await _in_clearing(rec, name)
    await rec.env.sleep(timedelta(days=8))
    await _timer_fired(h, 2)  # R5: kontaktaufnahme_faellig, an internal transition
    await fire(h, "kontaktversuch_gescheitert", TELEFON)
    assert await _evades(h) == "clearing_entzogen"
    assert (await fire(h, "leistung_bewilligt")).state == "an_ifk_uebergeben"
    return {"": h}


@scenario("neuantrag", "reha_entzogen_ifk_reha")
async def reha_entzogen_ifk_reha(rec: Recorder, name: str):
    h = await _in_clearing(rec, name, REHA)
    assert await _evades(h) == "clearing_entzogen"
    assert (await fire(h, "leistung_bewilligt")).state == "an_ifk_reha_uebergeben"
    return {"": h}


@scenario("neuantrag", "bewilligt_entzieht_sich_ifk")
async def bewilligt_entzieht_sich_ifk(rec: Recorder, name: str):
    h = await _in_clearing(rec, name)
    await fire(h, "leistung_bewilligt")
    assert await _evades(h) == "an_ifk_uebergeben"
    return {"": h}


@scenario("neuantrag", "bewilligt_reha_entzieht_sich")
async def bewilligt_reha_entzieht_sich(rec: Recorder, name: str):
    h = await _in_clearing(rec, name, REHA)
    await fire(h, "leistung_bewilligt")
    assert await _evades(h) == "an_ifk_reha_uebergeben"
    return {"": h}


@scenario("neuantrag", "abgelehnt_bewilligt_ifk")
async def abgelehnt_bewilligt_ifk(rec: Recorder, name: str):
    h = await _in_clearing(rec, name)
    await fire(h, "leistung_bewilligt")
    await fire(h, "clearingtermin_vereinbart", TERMIN)
    assert (await fire(h, "gruppencoaching_abgelehnt")).state == "an_ifk_uebergeben"
    return {"": h}


@scenario("neuantrag", "abgelehnt_betreuung_integriert")
async def abgelehnt_betreuung_integriert(rec: Recorder, name: str):
    h = await _in_clearing(rec, name)
    assert (await fire(h, "gruppencoaching_abgelehnt")).state == "clearing_betreuung"
    assert (await fire(h, "arbeit_aufgenommen")).state == "integriert"
    return {"": h}


@scenario("neuantrag", "eigener_plan_wiedervorlage")
async def eigener_plan_wiedervorlage(rec: Recorder, name: str):
    h = await _in_clearing(rec, name)
    await fire(h, "eigenen_plan_erfasst")
    await rec.env.sleep(timedelta(weeks=4, days=1))
    await _timer_fired(h, 3)  # R7: wiedervorlage_faellig re-enters the state
    assert (await fire(h, "erneut_eingeladen")).state == "clearing_offen"
    assert (await fire(h, "antrag_zurueckgenommen")).state == "beendet"
    return {"": h}


@scenario("neuantrag", "rehabilitand_bewilligt_ifk_reha")
async def rehabilitand_bewilligt_ifk_reha(rec: Recorder, name: str):
    h = await _in_clearing(rec, name)
    await fire(h, "leistung_bewilligt")
    assert (await fire(h, "als_rehabilitand_erfasst")).state == "an_ifk_reha_uebergeben"
    return {"": h}


@scenario("neuantrag", "reha_betreuung_ifk_reha")
async def reha_betreuung_ifk_reha(rec: Recorder, name: str):
    h = await _in_clearing(rec, name)
    await fire(h, "clearingtermin_vereinbart", TERMIN)
    assert (await fire(h, "als_rehabilitand_erfasst")).state == "reha_betreuung"
    assert (await fire(h, "leistung_bewilligt")).state == "an_ifk_reha_uebergeben"
    return {"": h}


@scenario("neuantrag", "alg1_wiedervorlage_abgelehnt")
async def alg1_wiedervorlage_abgelehnt(rec: Recorder, name: str):
    h = await _in_clearing(rec, name)
    alg1_ende = (await now(rec.env) + timedelta(days=40)).date()
    await fire(h, "alg1_bezug_erfasst", {"alg1_ende": alg1_ende.isoformat()})
    await rec.env.sleep(timedelta(days=29))
    await _timer_fired(h, 3)  # R8: Wiedervorlage while ALG I is paid
    await rec.env.sleep(timedelta(days=20))
    await in_state(h, "clearing_terminiert")  # R8: an appointment within a week after ALG I ends
    assert (await fire(h, "antrag_abgelehnt")).state == "beendet"
    return {"": h}


@scenario("neuantrag", "continue_as_new")
async def continue_as_new(rec: Recorder, name: str):
    """The carry-over: a short-history variant continues as new after ~40 events."""
    h = await _in_clearing(rec, name, workflow="neuantrag_kurze_historie", policy=Policy(kontaktversuche_schwelle=20))
    for _ in range(12):
        await fire(h, "kontaktversuch_gescheitert", TELEFON)
    assert (await h.describe()).run_id != h.first_execution_run_id
    assert (await fire(h, "clearingtermin_vereinbart", TERMIN)).state == "clearing_terminiert"
    return {"": h}


@scenario("neuantrag", "jobturbo_erfasst_integriert")
async def jobturbo_erfasst_integriert(rec: Recorder, name: str):
    """R25 as amended: Jobturbo recorded on the Neuantrag keeps the state."""
    h = await _in_clearing(rec, name)
    assert (await fire(h, "jobturbo_erfasst")).state == "clearing_offen"
    assert (await fire(h, "arbeit_aufgenommen")).state == "integriert"
    return {"": h}


@scenario("neuantrag", "sofortangebot_gruppencoaching")
async def sofortangebot_gruppencoaching(rec: Recorder, name: str):
    """R3: group coaching recommended as the Sofortangebot (recorded, state kept), then accepted."""
    h = await _in_clearing(rec, name)
    assert (await fire(h, "gruppencoaching_angeboten")).state == "clearing_offen"
    assert (await fire(h, "gruppencoaching_zugesagt")).state == "gruppencoaching"
    assert (await fire(h, "antrag_zurueckgenommen")).state == "beendet"
    return {"": h}
