"""meldetermin and minderung (R64–R67), and the kooperationsplan's minderung child: every row of
both tables and every timer.

A minderung opened by a meldetermin outlives it (the meldetermin ends when it opens one); when
such a child ends or is terminated, the time-skipping server skips no time any more. So the one
scenario that opens such a child comes last in its folder, and the minderung paths start their
cases directly (as their parents would). Record each folder in its own run:
`python -m tests.histories.record meldetermin/` (then `minderung/`, `kooperationsplan/mitwirkung_minderung`,
`kooperationsplan/va_pflichtverletzung_minderung`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta

from statemachines.regimes import Regimes
from tests.cases import fire, snapshot
from tests.histories.recorder import Recorder, scenario

REGIMES = Regimes.load()
NEU = REGIMES.get("grundsicherung_2026")
ALT = REGIMES.get("buergergeld_2023")
ORT = "Jobcenter Gevelsberg, Raum 1.12"
ENTSCHEIDUNG = {
    "beginn": "2027-01-01",
    "haertepruefung": "keine_aussergewoehnliche_haerte",
    "haertepruefung_am": "2026-12-20",
}


async def _now(rec: Recorder):
    return (await rec.env.get_current_time()).astimezone(UTC).replace(microsecond=0)


async def _meldetermin(rec: Recorder, name: str):
    termin = (await _now(rec) + timedelta(days=1)).isoformat()
    return await rec.start("meldetermin", name, {"termin": termin, "ort": ORT}, regime=NEU, policy=NEU.policy())


async def _minderung(rec: Recorder, name: str, anlass: str = "pflichtverletzung", policy=None, **facts):
    start = {"anlass": anlass, "ereignis_am": (await _now(rec)).isoformat(), **facts}
    return await rec.start("minderung", name, start, regime=NEU, policy=policy or NEU.policy())


# --- meldetermin --------------------------------------------------------------------------------


@scenario("meldetermin", "erschienen")
async def erschienen(rec: Recorder, path: str):
    h = await _meldetermin(rec, "erschienen")
    await fire(h, "erschienen")
    return {"": h}


@scenario("meldetermin", "abgesagt")
async def abgesagt(rec: Recorder, path: str):
    h = await _meldetermin(rec, "abgesagt")
    await fire(h, "termin_abgesagt")
    return {"": h}


@scenario("meldetermin", "verstrichen_entschuldigt")
async def verstrichen_entschuldigt(rec: Recorder, path: str):
    h = await _meldetermin(rec, "verstrichen")
    await rec.env.sleep(timedelta(days=1, hours=3))  # termin_verstrichen (timer)
    await fire(h, "wichtiger_grund_anerkannt")
    return {"": h}


@scenario("meldetermin", "nicht_erschienen_minderung")  # last: it opens a child that outlives its parent
async def nicht_erschienen_minderung(rec: Recorder, path: str):
    h = await _meldetermin(rec, "minderung")
    await fire(h, "nicht_erschienen")
    snap = await fire(h, "kein_wichtiger_grund")
    child = rec.handle(f"minderung-{snap.links['minderung']}")
    return {"": h, "minderung": child}


# --- minderung ------------------------------------------------------------------------------------


@scenario("minderung", "stellungnahme_festgestellt")
async def stellungnahme_festgestellt(rec: Recorder, path: str):
    h = await _minderung(rec, "festgestellt")
    await fire(h, "stellungnahme_eingegangen")
    await fire(h, "minderung_festgestellt", {**ENTSCHEIDUNG, "prozent": 30, "monate": 3}, role="leistung")
    return {"": h}


@scenario("minderung", "anhoerungsfrist_abgesehen")
async def anhoerungsfrist_abgesehen(rec: Recorder, path: str):
    h = await _minderung(rec, "abgesehen", "meldeversaeumnis", versaeumnisse_in_folge=1)
    await rec.env.sleep(timedelta(days=15))  # anhoerungsfrist_abgelaufen (timer)
    await fire(h, "von_minderung_abgesehen", {"grund": "kein_vorschlag"}, role="leistung")
    return {"": h}


@scenario("minderung", "verfristet")
async def verfristet(rec: Recorder, path: str):
    h = await _minderung(rec, "verfristet")
    await rec.env.sleep(timedelta(days=15))
    await rec.env.sleep(timedelta(days=200))  # frist_fuer_feststellung_abgelaufen in entscheidung_offen
    return {"": h}


@scenario("minderung", "verfristet_in_anhoerung")
async def verfristet_in_anhoerung(rec: Recorder, path: str):
    policy = NEU.policy().model_copy(update={"anhoerung_frist": timedelta(days=400)})
    h = await _minderung(rec, "verfristet-anhoerung", policy=policy)
    await rec.env.sleep(timedelta(days=200))  # frist_fuer_feststellung_abgelaufen in anhoerung
    return {"": h}


@scenario("minderung", "nicht_erreichbar_gemeldet")
async def nicht_erreichbar_gemeldet(rec: Recorder, path: str):
    h = await _minderung(rec, "nicht-erreichbar", "nicht_erreichbar", versaeumnisse_in_folge=3)
    await fire(h, "stellungnahme_eingegangen", role="ifk")
    data = {**ENTSCHEIDUNG, "prozent": 0, "monate": 0, "entzug": True}
    await fire(h, "minderung_festgestellt", data, role="leistung")
    await fire(h, "persoenlich_gemeldet", role="egs")
    return {"": h}


# --- kooperationsplan: the breach after the RFB -----------------------------------------------


@scenario("kooperationsplan", "mitwirkung_minderung")
async def mitwirkung_minderung(rec: Recorder, path: str):
    h = await rec.start("kooperationsplan", "mitwirkung-minderung", {}, regime=ALT, policy=ALT.policy())
    await fire(h, "potenzialanalyse_abgeschlossen")
    await fire(h, "keine_einigung")
    await fire(h, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})
    snap = await fire(h, "mitwirkung_versaeumt", {"anlass": "nachweis_fehlt"})
    child = rec.handle(f"minderung-{snap.links['minderung']}")
    await fire(child, "stellungnahme_eingegangen", role="ifk")
    await fire(child, "von_minderung_abgesehen", {"grund": "wichtiger_grund"}, role="leistung")
    await child.result()
    for _ in range(100):  # the plan takes the end in by a signal
        if (await snapshot(h)).facts.get("minderung_ergebnis") == "abgesehen":
            break
        await asyncio.sleep(0.05)
    return {"": h, "minderung": child}


# --- kooperationsplan (grundsicherung_2026): a breach of the duties set by Verwaltungsakt ------------


@scenario("kooperationsplan", "va_pflichtverletzung_minderung")
async def va_pflichtverletzung_minderung(rec: Recorder, path: str):
    """R63/R65: duties by Verwaltungsakt not kept: a minderung child at once; decided; the plan learns it."""
    h = await rec.start("kooperationsplan", "va-pflichtverletzung", {}, regime=NEU, policy=NEU.policy())
    await fire(h, "potenzialanalyse_abgeschlossen")
    await fire(h, "keine_einigung")
    await fire(h, "verwaltungsakt_erlassen")
    snap = await fire(h, "pflichten_verletzt", {"anlass": "massnahme_nicht_angetreten"})
    child = rec.handle(f"minderung-{snap.links['minderung']}")
    await fire(child, "stellungnahme_eingegangen", role="ifk")
    await fire(child, "minderung_festgestellt", {**ENTSCHEIDUNG, "prozent": 30, "monate": 3}, role="leistung")
    await child.result()
    for _ in range(100):  # the plan takes the end in by a signal
        if (await snapshot(h)).facts.get("minderung_ergebnis") == "festgestellt":
            break
        await asyncio.sleep(0.05)
    return {"": h, "minderung": child}
