"""R19: letters ready to send. The sender per unit and location comes from the settings, an
invitation names date, time and place, a readable reference replaces the internal id, the right
unit signs, a rebooked or withdrawn invitation leaves the outbox before it goes out, appointments
lie in the future (times without offset are refused), and every duration comes from the policy."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from activities.cases import CaseActivities
from activities.registry import record_hooks
from notifications import TEMPLATES, aktenzeichen
from persistence import models as m
from runtime.settings import Briefkopf, Einheit, Settings, Standortangaben
from statemachines import Policy
from tests.api_fixtures import auth, go, new_case, step
from tests.cases import rows
from tests.dbfixtures import add_person
from tests.test_activities import T0, record, start, termin

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "notifications" / "templates"
SOON = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)


def _briefkopf() -> Briefkopf:
    def unit(name: str, raum: str) -> Einheit:
        sitz = Standortangaben(
            anschrift=("Am Markt 7", "58300 Wetter (Ruhr)"),
            telefon="02335 123-0",
            oeffnungszeiten="Mo–Do 8–16 Uhr",
            raum=raum,
        )
        witten = Standortangaben(anschrift=("Ruhrstraße 3", "58452 Witten"), telefon="02302 999-0", raum="Raum W1")
        return Einheit(
            bezeichnung=name, ansprechpartner=f"Frau Beispiel ({name})", sitz=sitz, standorte={"Witten": witten}
        )

    return Briefkopf(
        jobcenter="Jobcenter Testkreis",
        einheiten={
            "jobakademie": unit("Jobakademie Wetter", "Raum 0.04"),
            "ifk": unit("Integrationsfachdienst", "Raum 1.01"),
            "schlichtungsstelle": unit("Schlichtungsstelle des Jobcenters", "Raum 2.02"),
            "rechtskreiswechsel": unit("Team Rechtskreiswechsel", "Raum 1.20"),
            "leistung": unit("Leistungsabteilung", "Raum 0.08"),
        },
    )


def _start(case_id: str, person_id: str, process: str, dest: str, facts: dict, **fields):
    return record(
        case_id,
        0,
        "fall_angelegt",
        None,
        dest,
        role="system",
        person_id=person_id,
        process=process,
        facts=facts,
        **fields,
    )


async def _letters(db, case_id: str) -> list[m.Notification]:
    return await rows(db, m.Notification, case_id=case_id)


async def test_invitation_names_configured_sender_place_and_readable_reference(database):
    acts, case_id = CaseActivities(database, _briefkopf()), str(uuid.uuid4())
    await acts.record_transition(start(case_id, await add_person(database)))
    await acts.record_transition(termin(case_id))
    [letter] = await _letters(database, case_id)
    body = letter.body
    for expected in (
        "Jobcenter Testkreis",
        "Jobakademie Wetter",
        "Am Markt 7",
        "58300 Wetter (Ruhr)",
        "Telefon: 02335 123-0",
        "Öffnungszeiten: Mo–Do 8–16 Uhr",
        "Ansprechpartner: Frau Beispiel (Jobakademie Wetter)",
        "Ort:        Raum 0.04, Am Markt 7, 58300 Wetter (Ruhr)",
        "20.01.2025 um 09:30 Uhr",
        f"Unser Zeichen: {aktenzeichen('neuantrag', case_id)}",
        "rufen Sie uns gern an (02335 123-0)",
    ):
        assert expected in body, expected
    assert case_id not in body and re.search(r"NA-[0-9A-F]{8}", body)


async def test_letters_of_a_location_carry_that_locations_sender(database):
    """R19/R31: a Rechtskreiswechsel case in Witten is written from Witten."""
    acts, case_id = CaseActivities(database, _briefkopf()), str(uuid.uuid4())
    facts = {"alg1_ende": "2027-03-31", "standort": "Witten"}
    await acts.record_transition(_start(case_id, await add_person(database), "rechtskreiswechsel", "vorgemerkt", facts))
    rec = record(
        case_id,
        1,
        "beratung_vereinbart",
        "infoveranstaltung_besucht",
        "beratung_terminiert",
        process="rechtskreiswechsel",
        facts=facts,
        data={"termin": "2027-02-01T09:00:00+01:00"},
        letters=["einladung_beratung_rkw"],
    )
    await acts.record_transition(rec)
    [letter] = await _letters(database, case_id)
    assert "Ruhrstraße 3" in letter.body and "Raum W1, Ruhrstraße 3, 58452 Witten" in letter.body
    assert "Am Markt 7" not in letter.body and "Team Rechtskreiswechsel" in letter.body


@pytest.mark.parametrize(
    ("template", "unit"),
    [
        ("kooperationsplan", "ifk"),
        ("aufforderung_mitwirkung", "ifk"),
        ("einladung_schlichtung", "schlichtungsstelle"),
        ("einladung_meldetermin", "ifk"),
        ("anhoerung_minderung", "leistung"),
        ("bescheid_minderung", "leistung"),
        ("mitteilung_keine_minderung", "leistung"),
        ("mitteilung_meldung", "leistung"),
    ],
)
def test_plan_and_schlichtung_letters_are_not_signed_by_the_jobakademie(template, unit):
    assert TEMPLATES[template].einheit == unit


async def test_aufforderung_names_the_policys_period_and_is_signed_by_the_ifk(database):
    acts, case_id = CaseActivities(database, _briefkopf(), hooks=record_hooks()), str(uuid.uuid4())
    policy = Policy(mitwirkung_frist=timedelta(weeks=3))
    await acts.record_transition(
        _start(case_id, await add_person(database), "kooperationsplan", "aktiv", {}, policy=policy)
    )
    rec = record(
        case_id,
        1,
        "mitwirkung_versaeumt",
        "ohne_plan",
        "aufforderung_mit_rfb",
        process="kooperationsplan",
        role="ifk",
        facts={},
        data={"anlass": "nachweis_fehlt", "frist": None},
        letters=["aufforderung_mitwirkung"],
    )
    await acts.record_transition(rec)
    [letter] = await _letters(database, case_id)
    assert "innerhalb von drei Wochen" in letter.body and "zwei Wochen" not in letter.body
    closing = letter.body.rsplit("Mit freundlichen Grüßen", 1)[1]
    assert "Integrationsfachdienst" in closing and "Jobakademie" not in letter.body


def test_no_duration_is_written_into_a_template():
    """Every duration in a letter comes from the case's policy (R60), none from the template text."""
    words = r"(eine[mnr]?|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|\d+)"
    pattern = re.compile(rf"\b{words}\s+(Woche|Wochen|Tag|Tage|Tagen|Monat|Monate|Monaten)\b", re.IGNORECASE)
    found = {path.name: pattern.findall(path.read_text(encoding="utf-8")) for path in TEMPLATES_DIR.glob("*.j2")}
    # The RFB's steps of a Minderung are the regime's (policy); only § 31a Abs. 3's "frühestens aber nach
    # einem Monat" stays in its text (law without a policy value).
    assert found.pop("aufforderung_mitwirkung.txt.j2") == [("einem", "Monat")]
    assert not {name: hits for name, hits in found.items() if hits}


async def test_rebooked_invitation_is_withdrawn_before_it_goes_out(http):
    case = await new_case(http)
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "terminslot"})
    await go(http, case, "clearingtermin_vereinbart", "jobcoach", {"termin": SOON.isoformat()})
    later = SOON + timedelta(days=2)
    await go(http, case, "clearingtermin_vereinbart", "jobcoach", {"termin": later.isoformat()})
    r = await http.get("/notifications", params={"case_id": case["case_id"]}, headers=auth("jobcoach"))
    letters = [(n["template"], n["status"]) for n in r.json()]
    assert letters == [("einladung_clearing", "zurueckgezogen"), ("einladung_clearing", "ausstehend")]
    await go(http, case, "antrag_zurueckgenommen", "jobcoach")
    r = await http.get("/notifications", params={"case_id": case["case_id"]}, headers=auth("jobcoach"))
    assert [n["status"] for n in r.json()] == ["zurueckgezogen", "zurueckgezogen"]


@pytest.mark.parametrize(
    ("termin", "kind"),
    [
        ("2020-01-07T10:00:00+01:00", "datetime_future"),
        ((datetime.now(UTC) - timedelta(minutes=5)).isoformat(), "datetime_future"),
        ("2027-12-01T10:00:00", "timezone_aware"),
    ],
)
async def test_appointment_in_the_past_or_without_offset_is_refused(http, termin, kind):
    case = await new_case(http)
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    r = await step(http, case, "clearingtermin_vereinbart", "jobcoach", {"termin": termin})
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["field"], error["type"]) == ("termin", kind)
    r = await http.get(f"/cases/{case['case_id']}", headers=auth("jobcoach"))
    assert r.json()["state"]["name"] == "clearing_offen"


def test_settings_read_the_sender_from_the_environment(monkeypatch):
    monkeypatch.setenv("FAHRPLAN_BRIEFKOPF__JOBCENTER", "Jobcenter Ennepe-Ruhr-Kreis")
    assert Settings().briefkopf.jobcenter == "Jobcenter Ennepe-Ruhr-Kreis"
    assert Settings().briefkopf.einheiten["ifk"].am("Witten").anschrift[-1].endswith("Witten")
    assert T0  # the activity tests' clock


def test_briefkopf_refuses_a_missing_unit():
    with pytest.raises(ValueError, match="schlichtungsstelle"):
        Briefkopf(einheiten={"jobakademie": Briefkopf().einheiten["jobakademie"]})
    with pytest.raises(ValueError, match="leistung"):
        Briefkopf(einheiten={k: v for k, v in Briefkopf().einheiten.items() if k != "leistung"})


@pytest.mark.parametrize(
    ("process", "source", "trigger", "dest", "data", "letter", "policy", "said", "default"),
    [
        (  # R24: the Probezeit of group coaching
            "gruppencoaching",
            "angeboten",
            "uebergabe_vereinbart",
            "uebergabe_terminiert",
            {"termin": "2027-01-20T10:00:00+01:00"},
            "einladung_uebergabegespraech",
            {"gc_probezeit": timedelta(weeks=3)},
            "drei Wochen lang ausprobieren",
            "zwei Wochen lang ausprobieren",
        ),
        (  # R54: the Schlichtung's limit
            "schlichtung",
            "schlichtungsperson_bestellt",
            "gespraech_terminiert",
            "gespraech_terminiert",
            {"termin": "2027-01-20T10:00:00+01:00"},
            "einladung_schlichtung",
            {"schlichtung_frist": timedelta(days=10)},
            "höchstens zehn Tage",
            "höchstens vier Wochen",
        ),
        (  # R43: the Aufforderung's period
            "kooperationsplan",
            "aktiv",
            "mitwirkung_versaeumt",
            "aufforderung_mit_rfb",
            {"anlass": "sonstiges", "frist": None},
            "aufforderung_mitwirkung",
            {"mitwirkung_frist": timedelta(days=7)},
            "innerhalb von einer Woche",
            "innerhalb von zwei Wochen",
        ),
    ],
)
async def test_a_duration_in_a_letter_changes_with_the_cases_policy(
    database, process, source, trigger, dest, data, letter, policy, said, default
):
    """R60 (issue 19): "zwei Wochen" Probezeit, "höchstens vier Wochen", "innerhalb von zwei Wochen" are
    the policy's values rendered in German words; another value in the case's policy, another letter."""
    bodies = []
    for values in ({}, policy):
        acts, case_id = CaseActivities(database, _briefkopf(), hooks=record_hooks()), str(uuid.uuid4())
        person = await add_person(database)
        await acts.record_transition(_start(case_id, person, process, source, {}, policy=Policy(**values)))
        facts = {"initiiert_von": "elb"} if process == "schlichtung" else {}
        rec = record(case_id, 1, trigger, source, dest, process=process, facts=facts, data=data, letters=[letter])
        await acts.record_transition(rec)
        [sent] = await _letters(database, case_id)
        bodies.append(sent.body)
    assert default in bodies[0] and said not in bodies[0]
    assert said in bodies[1] and default not in bodies[1]


@pytest.mark.parametrize(
    ("regime", "said", "not_said"),
    [
        (
            "buergergeld_2023",
            "Ihr Bürgergeld wird dann nach § 31a SGB II gemindert: bei der ersten Pflichtverletzung um 10 Prozent "
            "des für Sie maßgebenden Regelbedarfs für einen Monat, bei einer wiederholten Pflichtverletzung "
            "innerhalb eines Jahres um 20 Prozent für zwei Monate, bei jeder weiteren um 30 Prozent für drei "
            "Monate (§ 31b SGB II).",
            "Grundsicherungsgeld",
        ),
        (
            "grundsicherung_2026",
            "Ihr Grundsicherungsgeld wird dann nach § 31a SGB II gemindert: bei jeder Pflichtverletzung um 30 "
            "Prozent des für Sie maßgebenden Regelbedarfs für drei Monate (§ 31b SGB II).",
            "10 Prozent",
        ),
    ],
)
async def test_the_rfb_names_the_steps_of_the_regime_the_aufforderung_is_sent_under(database, regime, said, not_said):
    """R61/R65: the Rechtsfolgenbelehrung of an Aufforderung names the Minderung of the case's regime
    (policy.minderung_regeln), not the Bürgergeld steps written into the template."""
    acts, case_id = CaseActivities(database, _briefkopf(), hooks=record_hooks()), str(uuid.uuid4())
    start = _start(case_id, await add_person(database), "kooperationsplan", "aktiv", {}, policy=Policy())
    await acts.record_transition(start.model_copy(update={"regime": regime}))
    rec = record(
        case_id,
        1,
        "mitwirkung_versaeumt",
        "aktiv",
        "aufforderung_mit_rfb",
        process="kooperationsplan",
        role="ifk",
        facts={},
        data={"anlass": "sonstiges", "frist": None},
        letters=["aufforderung_mitwirkung"],
    )
    await acts.record_transition(rec.model_copy(update={"regime": regime}))
    [letter] = await _letters(database, case_id)
    rfb = letter.body.split("\nRechtsfolgenbelehrung\n", 1)[1]  # the heading, not the word in the text
    assert said in " ".join(rfb.split()) and not_said not in rfb
    paragraph = rfb.strip("\n").split("\n\n", 1)[0]  # wrapped like the rest of the letter
    assert "ab diesem Zeitpunkt, frühestens aber nach einem Monat." in paragraph
    assert max(len(line) for line in paragraph.splitlines()) <= 80, paragraph
