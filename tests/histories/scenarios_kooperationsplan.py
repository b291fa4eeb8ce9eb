"""kooperationsplan and its schlichtung child: every row of both tables, the R42 review timer
(both task routes), the R54 limit from each open state, a refusal after a prepare activity
(R52, unknown draft) and years of reviews across continue-as-new.

Every Schlichtung a scenario opens ends inside it: terminating an open child stops the
time-skipping server's clock for good (see tests/kooperationsplan_support.py)."""

from __future__ import annotations

from datetime import date, timedelta

from temporalio.client import WorkflowUpdateFailedError

from statemachines.regimes import Regimes
from tests.cases import case_id_of, fire
from tests.conftest import TEST_SIGNING
from tests.histories.recorder import Recorder, scenario
from tests.kooperationsplan_support import draft, eventually_state, plan
from worker.regime_switch import send_regime_switch
from workflows.messages import RegimeWechsel

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
    await fire(
        h, "fortgeschrieben", await draft(rec.db, case_id_of(h), plan("Teilzeitstelle im Lager"), "fortgeschrieben")
    )
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
    assert (
        await _refused(h, "plan_vereinbart", {"entwurf": "fake-entwurf", "inhalt_hash": "0" * 64}) == "InvalidPayload"
    )
    assert (await fire(h, "keine_einigung")).state == "ohne_plan"
    assert (await _agree(rec, h)).state == "aktiv"
    return {"": h}


async def steps_from_now(rec: Recorder, *days: int) -> dict:
    """The realistic plan with one step due each of `days` days from the server's clock (R47):
    the clock has moved on by the time a full recording reaches a scenario."""
    today = (await rec.env.get_current_time()).date()
    was = (
        "Ich bewerbe mich bei drei Betrieben.",
        "Das Jobcenter prüft einen Bildungsgutschein.",
        "Ich mache ein Praktikum.",
    )
    wer = ("elb", "jobcenter", "elb")
    return plan(
        schritte=[
            {"was": was[i % 3], "wer": wer[i % 3], "bis": (today + timedelta(days=d)).isoformat()}
            for i, d in enumerate(days)
        ]
    )


@scenario("kooperationsplan", "plan_schritte")
async def plan_schritte(rec: Recorder, name: str):
    """R47: a step's due date brings it back (a task), statuses recorded with and without the
    follow-up still open, and at the review, which starts from them."""
    h = await _drafting(rec, name)
    await _agree(rec, h, await steps_from_now(rec, 10, 40, 90))
    await rec.env.sleep(timedelta(days=11))  # step 1 comes back
    await fire(h, "schritt_erfasst", {"schritt": 3, "status": "entfallen"})  # step 1 still open: task stays
    await fire(h, "schritt_erfasst", {"schritt": 1, "status": "erledigt"})  # every step back has a status
    await _review(rec, h)  # step 2 came back on the way
    await fire(h, "schritt_erfasst", {"schritt": 2, "status": "nicht_erledigt"})
    await fire(h, "fortgeschrieben", await draft(rec.db, case_id_of(h), plan("Praktikum im Lager"), "fortgeschrieben"))
    assert (await fire(h, "leistungsbezug_beendet")).state == "beendet"
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


@scenario("kooperationsplan", "ueberpruefung_ueberfaellig_nicht_einhaltbar")
async def ueberpruefung_ueberfaellig_nicht_einhaltbar(rec: Recorder, name: str):
    """R42: the review's own period runs out (Teamleitung); R44: an Aufforderung during the review;
    R46: the citizen's early report during a review, an Aufforderung and from aktiv (a new review)."""
    h = await _drafting(rec, name)
    await _agree(rec, h)
    await _review(rec, h)
    await rec.env.sleep(timedelta(weeks=4, days=1))  # R42: the review's own period
    await fire(h, "absprache_nicht_einhaltbar", {"betrifft": "termin"})
    assert (await fire(h, "mitwirkung_versaeumt", {"anlass": "termin_versaeumt"})).state == "aufforderung_mit_rfb"
    await fire(h, "absprache_nicht_einhaltbar", {"betrifft": "schritt", "gemeldet_am": "2027-01-10"})
    await fire(h, "mitwirkung_erbracht")
    await eventually_state(h, "in_ueberpruefung")  # the R42 deadline passed meanwhile: the review is back
    await fire(
        h, "fortgeschrieben", await draft(rec.db, case_id_of(h), plan("Teilzeitstelle im Lager"), "fortgeschrieben")
    )
    assert (await fire(h, "absprache_nicht_einhaltbar", {})).state == "in_ueberpruefung"
    await fire(h, "fortgeschrieben", await draft(rec.db, case_id_of(h), plan("Ausbildung im Lager"), "fortgeschrieben"))
    assert (await fire(h, "leistungsbezug_beendet")).state == "beendet"
    return {"": h}


@scenario("kooperationsplan", "nicht_einhaltbar_nach_aufforderung")
async def nicht_einhaltbar_nach_aufforderung(rec: Recorder, name: str):
    """R46 with R44: the early review interrupted by an Aufforderung opens again once the citizen
    cooperates; the updated plan settles the report."""
    h = await _drafting(rec, name)
    await _agree(rec, h)
    assert (await fire(h, "absprache_nicht_einhaltbar", {"betrifft": "schritt"})).state == "in_ueberpruefung"
    await fire(h, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})
    assert (await fire(h, "mitwirkung_erbracht")).state == "in_ueberpruefung"
    await fire(
        h, "fortgeschrieben", await draft(rec.db, case_id_of(h), plan("Minijob im Einzelhandel"), "fortgeschrieben")
    )
    assert (await fire(h, "leistungsbezug_beendet")).state == "beendet"
    return {"": h}


@scenario("kooperationsplan", "schlichtung_vorschlag_ohne_einigung")
async def schlichtung_vorschlag_ohne_einigung(rec: Recorder, name: str):
    """R53: the proposal is recorded; no agreement; the plan case keeps it (R56: without a plan)."""
    h = await _drafting(rec, name)
    kid = await _schlichtung(rec, h, "elb")
    await fire(kid, "schlichtungsperson_bestellt", PERSON)
    await fire(kid, "vorschlag_unterbreitet", await draft(rec.db, case_id_of(h), VORSCHLAG, "vorschlag"))
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


# --- legal regimes (R61–R63): under grundsicherung_2026 and across the change ----------------

REGIMES = Regimes.load()
OLD, NEW = REGIMES.get("buergergeld_2023"), REGIMES.get("grundsicherung_2026")


async def _regime_switch(rec: Recorder, handle, regel: str = "wechsel"):
    request = RegimeWechsel(regime=NEW, policy=NEW.policy(), regel=regel, stichtag=date(2026, 7, 1))
    return await send_regime_switch(rec.client, TEST_SIGNING, handle.id, request, f"regime-{NEW.name}-{handle.id}", 30)


@scenario("kooperationsplan", "regime_verwaltungsakt")
async def regime_verwaltungsakt(rec: Recorder, name: str):
    """grundsicherung_2026 (R63): first invitation with RFB, no agreement, duties by Verwaltungsakt,
    their review (IFK), a new act, then an agreed plan replaces them."""
    h = await rec.start("kooperationsplan", name, {}, policy=NEW.policy(), regime=NEW)
    await fire(h, "potenzialanalyse_einladung_mit_rfb", {"termin": "2027-01-12T09:00:00+01:00"})
    await fire(h, "potenzialanalyse_abgeschlossen")
    await fire(h, "keine_einigung")
    assert (await fire(h, "verwaltungsakt_erlassen")).state == "pflichten_per_verwaltungsakt"
    await rec.env.sleep(SIX_MONTHS_AND_A_DAY)
    await fire(h, "verwaltungsakt_erlassen", {"anlass": "vereinbarungen_nicht_eingehalten"})
    assert (await _agree(rec, h)).state == "aktiv"
    return {"": h}


@scenario("kooperationsplan", "regime_verwaltungsakt_reha")
async def regime_verwaltungsakt_reha(rec: Recorder, name: str):
    """grundsicherung_2026 for a rehabilitant: agreements not kept, duties by VA, review by IFK-Reha."""
    h = await rec.start("kooperationsplan", name, {"rehabilitand": True}, policy=NEW.policy(), regime=NEW)
    await fire(h, "potenzialanalyse_abgeschlossen")
    await _agree(rec, h)
    await fire(h, "mitwirkung_versaeumt", {"anlass": "termin_versaeumt"})
    await fire(h, "verwaltungsakt_erlassen", {"anlass": "vereinbarungen_nicht_eingehalten"})
    await rec.env.sleep(SIX_MONTHS_AND_A_DAY)
    assert (await fire(h, "leistungsbezug_beendet")).state == "beendet"
    return {"": h}


@scenario("kooperationsplan", "regime_schlichtung_laeuft_aus")
async def regime_schlichtung_laeuft_aus(rec: Recorder, name: str):
    """Across the change (R62 default): the plan moves to grundsicherung_2026 while its Schlichtung
    runs out under buergergeld_2023; then duties by Verwaltungsakt."""
    h = await rec.start("kooperationsplan", name, {}, policy=OLD.policy(), regime=OLD)
    await fire(h, "potenzialanalyse_abgeschlossen")
    kid = await _schlichtung(rec, h)
    await _regime_switch(rec, h)
    await rec.env.sleep(FOUR_WEEKS_AND_AN_HOUR)
    assert (await kid.result()).state == "frist_abgelaufen"
    await eventually_state(h, "ohne_plan")
    assert (await fire(h, "verwaltungsakt_erlassen")).state == "pflichten_per_verwaltungsakt"
    return {"": h, "schlichtung": kid}


@scenario("schlichtung", "regime_beendet")
async def regime_beendet(rec: Recorder, name: str):
    """R62 alternative rule: the Schlichtung ends at the change, its plan goes to ohne_plan."""
    h = await rec.start("kooperationsplan", name, {}, policy=OLD.policy(), regime=OLD)
    await fire(h, "potenzialanalyse_abgeschlossen")
    kid = await _schlichtung(rec, h, "beide")
    await _regime_switch(rec, h)
    assert (await _regime_switch(rec, kid, "beenden")).state == "durch_rechtsaenderung_beendet"
    await eventually_state(h, "ohne_plan")
    return {"": kid, "kooperationsplan": h}
