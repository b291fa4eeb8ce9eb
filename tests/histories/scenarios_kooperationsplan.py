"""kooperationsplan and its schlichtung child: every row of both tables, the R42 review timer
(both task routes), the R54 limit from each open state, a refusal after a prepare activity
(R52, unknown draft) and years of reviews across continue-as-new.

Every Schlichtung a scenario opens ends inside it: terminating an open child stops the
time-skipping server's clock for good (see tests/kooperationsplan_support.py)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import WorkflowUpdateFailedError

from tests.cases import case_id_of, fire
from tests.histories.recorder import Recorder, scenario
from tests.kooperationsplan_support import draft, eventually_state, plan

SIX_MONTHS_AND_A_DAY = timedelta(days=185)
FOUR_WEEKS_AND_AN_HOUR = timedelta(weeks=4, hours=1)
TERMIN = {"termin": "2027-01-20T10:00:00+01:00"}
PERSON = {"schlichtungsperson": "schlichtung-7"}  # a staff user id, not citizen data
VORSCHLAG = plan("Ich beginne eine Umschulung zur Fachkraft für Lagerlogistik.")


async def _drafting(rec: Recorder, name: str, facts=None, **kw):
    h = await rec.start("kooperationsplan", name, facts or {}, **kw)
    await fire(h, "potenzialanalyse_abgeschlossen")
    return h


async def _agree(rec: Recorder, h, inhalt=None, quelle="vereinbart"):
    return await fire(h, "plan_vereinbart", await draft(rec.db, case_id_of(h), inhalt, quelle))


async def _review(rec: Recorder, h):
    await rec.env.sleep(SIX_MONTHS_AND_A_DAY)
    return await eventually_state(h, "in_ueberpruefung")


async def _schlichtung(rec: Recorder, parent, von="elb"):
    snap = await fire(parent, "schlichtung_beantragt", {"initiiert_von": von})
    return rec.handle(f"schlichtung-{snap.links['schlichtung']}")


async def _refused(handle, trigger, data) -> str:
    try:
        await fire(handle, trigger, data)
    except WorkflowUpdateFailedError as refused:
        return refused.cause.type
    raise AssertionError(f"{trigger} was not refused")


# --- kooperationsplan ------------------------------------------------------------------------


@scenario("kooperationsplan", "ueberpruefung_fortgeschrieben_beendet")
async def ueberpruefung_fortgeschrieben_beendet(rec: Recorder, name: str):
    h = await _drafting(rec, name, {"beteiligte_fachkraefte": ["ifk-1"]})
    await fire(h, "fachkraft_beteiligt", {"fachkraft": "teamleitung-2"})
    await _agree(rec, h)
    await fire(h, "fortgeschrieben", await draft(rec.db, case_id_of(h), plan("Teilzeitstelle im Lager"), "fortgeschrieben"))
    await _review(rec, h)  # R42: a task for the IFK
    await fire(h, "fortgeschrieben", await draft(rec.db, case_id_of(h), plan("Ausbildung im Lager"), "fortgeschrieben"))
    assert (await fire(h, "leistungsbezug_beendet")).state == "beendet"
    return {"": h}


@scenario("kooperationsplan", "reha_ueberpruefung_ohne_plan")
async def reha_ueberpruefung_ohne_plan(rec: Recorder, name: str):
    """R42 for a rehabilitant (IFK-Reha), no agreement at the review, R45 RFB without a plan."""
    h = await _drafting(rec, name, {"rehabilitand": True})
    await _agree(rec, h)
    await _review(rec, h)
    assert (await fire(h, "keine_einigung")).state == "ohne_plan"
    await fire(h, "mitwirkung_versaeumt", {"anlass": "termin_versaeumt"})
    assert (await fire(h, "mitwirkung_erbracht")).state == "ohne_plan"
    assert (await fire(h, "erarbeitung_aufgenommen")).state == "in_erarbeitung"
    return {"": h}


@scenario("kooperationsplan", "mitwirkung_rfb")
async def mitwirkung_rfb(rec: Recorder, name: str):
    """R43/R44: Aufforderung with RFB, another one, then back to aktiv."""
    h = await _drafting(rec, name)
    await _agree(rec, h)
    await fire(h, "mitwirkung_versaeumt", {"anlass": "massnahme_nicht_angetreten", "frist": "2027-02-01"})
    await fire(h, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})
    assert (await fire(h, "mitwirkung_erbracht")).state == "aktiv"
    return {"": h}


@scenario("kooperationsplan", "keine_einigung_dann_plan")
async def keine_einigung_dann_plan(rec: Recorder, name: str):
    """A plan refused after its prepare activity (unknown draft), no agreement, then agreed from ohne_plan."""
    h = await _drafting(rec, name)
    assert await _refused(h, "plan_vereinbart", {"entwurf": "fake-entwurf", "inhalt_hash": "0" * 64}) == "InvalidPayload"
    assert (await fire(h, "keine_einigung")).state == "ohne_plan"
    assert (await _agree(rec, h)).state == "aktiv"
    return {"": h}


@scenario("kooperationsplan", "continue_as_new")
async def continue_as_new(rec: Recorder, name: str):
    """Three years of reviews in a short-history variant: the history is cut by continue-as-new."""
    h = await _drafting(rec, name, workflow="kooperationsplan_kurze_historie")
    await _agree(rec, h)
    for half_year in range(1, 7):
        await _review(rec, h)
        inhalt = plan(f"Ziel nach Überprüfung {half_year}: eine feste Stelle im Lager")
        await fire(h, "fortgeschrieben", await draft(rec.db, case_id_of(h), inhalt, "fortgeschrieben"))
    assert (await h.describe()).run_id != h.first_execution_run_id
    return {"": h}


@scenario("kooperationsplan", "schlichtung_einigung")
async def schlichtung_einigung(rec: Recorder, name: str):
    """R53: the agreed proposal becomes the plan and the plan case is aktiv again."""
    h = await _drafting(rec, name)
    kid = await _schlichtung(rec, h, "beide")
    await fire(kid, "schlichtungsperson_bestellt", PERSON)
    await fire(kid, "gespraech_terminiert", TERMIN)
    await fire(kid, "einigung", await draft(rec.db, case_id_of(h), VORSCHLAG, "schlichtung"))
    await eventually_state(h, "aktiv")
    return {"": h, "schlichtung": kid}


@scenario("kooperationsplan", "schlichtung_keine_einigung")
async def schlichtung_keine_einigung(rec: Recorder, name: str):
    """A Schlichtung at the review; R56: no agreement leaves the case without a plan."""
    h = await _drafting(rec, name)
    await _agree(rec, h)
    await _review(rec, h)
    kid = await _schlichtung(rec, h, "jobcenter")
    await fire(kid, "schlichtungsperson_bestellt", PERSON)
    assert (await fire(kid, "keine_einigung")).state == "keine_einigung"
    await eventually_state(h, "ohne_plan")
    return {"": h, "schlichtung": kid}


# --- schlichtung (each with its parent plan case) --------------------------------------------


@scenario("schlichtung", "frist_beantragt")
async def frist_beantragt(rec: Recorder, name: str):
    h = await _drafting(rec, name)
    kid = await _schlichtung(rec, h)
    await rec.env.sleep(FOUR_WEEKS_AND_AN_HOUR)
    assert (await kid.result()).state == "frist_abgelaufen"
    await eventually_state(h, "ohne_plan")
    return {"": kid, "kooperationsplan": h}


@scenario("schlichtung", "frist_bestellt")
async def frist_bestellt(rec: Recorder, name: str):
    h = await _drafting(rec, name)
    kid = await _schlichtung(rec, h)
    await rec.env.sleep(timedelta(weeks=2))
    await fire(kid, "schlichtungsperson_bestellt", PERSON)
    await rec.env.sleep(timedelta(weeks=2, hours=1))
    assert (await kid.result()).state == "frist_abgelaufen"
    await eventually_state(h, "ohne_plan")
    return {"": kid, "kooperationsplan": h}


@scenario("schlichtung", "frist_gespraech")
async def frist_gespraech(rec: Recorder, name: str):
    """R54 cannot be paused: appointing and scheduling do not restart it."""
    h = await _drafting(rec, name)
    kid = await _schlichtung(rec, h)
    await fire(kid, "schlichtungsperson_bestellt", PERSON)
    await fire(kid, "gespraech_terminiert", TERMIN)
    await rec.env.sleep(FOUR_WEEKS_AND_AN_HOUR)
    assert (await kid.result()).state == "frist_abgelaufen"
    await eventually_state(h, "ohne_plan")
    return {"": kid, "kooperationsplan": h}


@scenario("schlichtung", "befangen_neu_bestellt_zurueckgenommen")
async def befangen_neu_bestellt_zurueckgenommen(rec: Recorder, name: str):
    """R52 refused after the prepare activity; a new appointment replaces the old; withdrawn."""
    h = await _drafting(rec, name, {"beteiligte_fachkraefte": ["ifk-1"]})
    kid = await _schlichtung(rec, h)
    assert await _refused(kid, "schlichtungsperson_bestellt", {"schlichtungsperson": "ifk-1"}) == "TriggerNotAllowed"
    await fire(kid, "schlichtungsperson_bestellt", PERSON)
    await fire(kid, "schlichtungsperson_bestellt", {"schlichtungsperson": "schlichtung-8"})
    assert (await fire(kid, "zurueckgenommen", role="ifk")).state == "zurueckgenommen"
    await eventually_state(h, "ohne_plan")
    assert (await fire(h, "leistungsbezug_beendet")).state == "beendet"
    return {"": kid, "kooperationsplan": h}
