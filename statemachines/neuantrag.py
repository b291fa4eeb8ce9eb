"""neuantrag: a new applicant's path through JA-Clearing until the Bewilligung (R1–R13)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from statemachines.descriptions import neuantrag as texts
from statemachines.roles import EGS, IFK, IFK_REHA, JOBCOACH, LEISTUNG
from statemachines.spec import (
    SYSTEM,
    Deadline,
    Guard,
    PolicyPatch,
    Process,
    State,
    TaskSpec,
    Transition,
    Trigger,
    described,
)

# --- facts and payloads (field names are part of the API contract) ---------------------------


class Kontaktversuch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    art: Literal["telefon", "schriftlich"]
    am: datetime


class NeuantragStart(BaseModel):
    """Facts given when the case is started (POST /cases)."""

    model_config = ConfigDict(extra="forbid")
    antragsweg: Literal["persoenlich", "online"]
    rehabilitand: bool = False
    alg1_ende: date | None = None
    jobturbo: bool = False  # R25 as amended: refugee after integration/language course, also from the Neuantrag


class NeuantragFacts(NeuantragStart):
    identitaet_geprueft: bool = False
    bewilligt: bool = False
    kontaktversuche: list[Kontaktversuch] = Field(default_factory=list)
    clearingtermin: datetime | None = None
    uebergabe: Literal["warm", "aufgabe", "terminslot"] | None = None
    # R34: opened by a Rechtskreiswechsel; the R8 invitation then runs from the start.
    rechtskreiswechsel: bool = False
    # R3: when group coaching was offered as the Sofortangebot (recorded, the state stays).
    gruppencoaching_angeboten_am: datetime | None = None
    # R11: failed attempts before this index came before the last successful contact (an appointment agreed).
    kontaktversuche_ab: int = 0


class AnClearingUebergeben(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uebergabe: Literal["warm", "aufgabe", "terminslot"]


class ClearingterminVereinbart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    termin: datetime


class KontaktversuchGescheitert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    art: Literal["telefon", "schriftlich"]


class Alg1BezugErfasst(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alg1_ende: date


# --- guards ----------------------------------------------------------------------------------


def _entzieht_sich(f: NeuantragFacts, policy) -> bool:
    """R11: at least the threshold of failed attempts since the last successful contact, one of them written."""
    versuche = f.kontaktversuche[f.kontaktversuche_ab if policy.kontaktversuche_seit_kontakt else 0 :]
    return len(versuche) >= policy.kontaktversuche_schwelle and any(k.art == "schriftlich" for k in versuche)


IDENTITAET_GEKLAERT = Guard(
    "identitaet_geklaert",
    "persönlich vorgesprochen oder Identität geprüft (R10)",
    lambda f, p: f.antragsweg == "persoenlich" or f.identitaet_geprueft,
)
ENTZIEHT_SICH = Guard(
    "entzieht_sich", "Schwelle gescheiterter Kontaktversuche erreicht, mind. einer schriftlich (R11)", _entzieht_sich
)
BEWILLIGT = Guard("bewilligt", "Leistung bewilligt (R12)", lambda f, p: f.bewilligt)
REHABILITAND = Guard("rehabilitand", "anerkannter Rehabilitand (R4)", lambda f, p: f.rehabilitand)
ALG1_TERMIN = Guard(
    "alg1_clearingtermin",
    "Clearingtermin spätestens eine Woche nach dem Ende des ALG I (R8)",
    lambda f, p: p.alg1_clearingtermin,
)
JOBTURBO = Guard("jobturbo", "Jobturbo (R25)", lambda f, p: f.jobturbo)
WARME_UEBERGABE = Guard("warme_uebergabe", "warme Übergabe (R9, R27)", lambda f, p: f.uebergabe == "warm")

# --- effects on the facts --------------------------------------------------------------------


def _set(**values):
    return lambda f, d, now: f.model_copy(update=values)


def _kontaktversuch(f: NeuantragFacts, d: KontaktversuchGescheitert, now: datetime) -> NeuantragFacts:
    return f.model_copy(update={"kontaktversuche": [*f.kontaktversuche, Kontaktversuch(art=d.art, am=now)]})


def _alg1(f, d: Alg1BezugErfasst, now):
    return f.model_copy(update={"alg1_ende": d.alg1_ende})


def _termin(f, d: ClearingterminVereinbart, now):
    # R11: an appointment agreed is a successful contact; failed attempts count afresh from here.
    return f.model_copy(update={"clearingtermin": d.termin, "kontaktversuche_ab": len(f.kontaktversuche)})


def _alg1_clearingtermin(f: NeuantragFacts, d, now: datetime) -> NeuantragFacts:
    """R8: the appointment to continue clearing lies no later than one week after ALG I ends (08:00 UTC);
    at least a day ahead when the end was recorded late (R19: appointments lie in the future)."""
    if f.alg1_ende is None:
        return f
    spaetestens = datetime.combine(f.alg1_ende, time(8, 0), tzinfo=UTC) + timedelta(weeks=1)
    return f.model_copy(update={"clearingtermin": max(spaetestens, now + timedelta(days=1))})


def _uebergabe(f, d: AnClearingUebergeben, now):
    return f.model_copy(update={"uebergabe": d.uebergabe})


def _alg1_einladung(f: NeuantragFacts, policy, entered_at: datetime) -> datetime | None:
    """R8: invited no later than one week after ALG I ends (08:00 UTC on the due day)."""
    if f.alg1_ende is None:
        return None
    return datetime.combine(f.alg1_ende, time(8, 0), tzinfo=UTC) + policy.alg1_einladung_nach_ende


def _alg1_wiedervorlage(f: NeuantragFacts, policy, entered_at: datetime) -> datetime | None:
    """R8: Wiedervorlage while ALG I is paid; the last one before the end gives way to the invitation."""
    intervall = policy.alg1_wiedervorlage_intervall
    if intervall is None:
        return None
    due = entered_at + intervall
    ende = _alg1_einladung(f, policy, entered_at)
    return due if ende is None or due < ende else None


def _alg1_einladung_nach_wechsel(f: NeuantragFacts, policy, entered_at: datetime) -> datetime | None:
    """R34/R8: a case from a Rechtskreiswechsel is invited when ALG I ends, without re-entry."""
    return _alg1_einladung(f, policy, entered_at) if f.rechtskreiswechsel else None


# --- states ----------------------------------------------------------------------------------

OPEN_WITH_CLEARING = (
    "clearing_offen",
    "clearing_terminiert",
    "clearing_entzogen",
    "gruppencoaching",
    "clearing_betreuung",
    "reha_betreuung",
    "eigener_plan_wiedervorlage",
    "alg1_wiedervorlage",
)
OPEN = ("antrag_eingegangen", *OPEN_WITH_CLEARING)
IN_CLEARING_TALK = ("clearing_offen", "clearing_terminiert")

STATES = (
    State(
        "antrag_eingegangen",
        "Antrag eingegangen",
        deadlines=(
            Deadline("alg1_ende_erreicht", "Ende ALG I nach Rechtskreiswechsel", due=_alg1_einladung_nach_wechsel),
        ),
    ),
    State(
        "clearing_offen",
        "Clearing offen",
        deadlines=(
            Deadline(
                "kontaktaufnahme_faellig",
                "Aktive Kontaktaufnahme fällig (R5)",
                delay="clearing_kontakt_nach",
                marks_overdue=True,
            ),
        ),
    ),
    State("clearing_terminiert", "Clearing terminiert"),
    State("clearing_entzogen", "Clearing entzogen"),
    State("gruppencoaching", "Gruppencoaching"),
    State("clearing_betreuung", "Betreuung im Clearing"),
    State("reha_betreuung", "Reha-Betreuung im Clearing"),
    State(
        "eigener_plan_wiedervorlage",
        "Eigener Plan, Wiedervorlage",
        deadlines=(Deadline("wiedervorlage_faellig", "Wiedervorlage", delay="wiedervorlage_intervall"),),
    ),
    State(
        "alg1_wiedervorlage",
        "ALG-I-Bezug, Wiedervorlage",
        deadlines=(
            Deadline("alg1_ende_erreicht", "Ende ALG I", due=_alg1_einladung),
            Deadline("wiedervorlage_faellig", "Wiedervorlage während des ALG-I-Bezugs (R8)", due=_alg1_wiedervorlage),
        ),
    ),
    State("an_ifk_uebergeben", "An IFK übergeben", final=True),
    State("an_ifk_reha_uebergeben", "An IFK-Reha übergeben", final=True),
    State("integriert", "Integriert", final=True),
    State("beendet", "Beendet", final=True),
)

# --- triggers --------------------------------------------------------------------------------


TRIGGERS = (
    Trigger("identitaet_bestaetigt", "Identität bestätigt", frozenset({EGS}), effect=_set(identitaet_geprueft=True)),
    Trigger("an_clearing_uebergeben", "An Clearing übergeben", frozenset({EGS}), AnClearingUebergeben, _uebergabe),
    Trigger(
        "clearingtermin_vereinbart",
        "Clearingtermin vereinbart",
        frozenset({EGS, JOBCOACH}),
        ClearingterminVereinbart,
        _termin,
    ),
    Trigger(
        "kontaktversuch_gescheitert",
        "Kontaktversuch gescheitert",
        frozenset({JOBCOACH}),
        KontaktversuchGescheitert,
        _kontaktversuch,
    ),
    Trigger("gruppencoaching_zugesagt", "Gruppencoaching zugesagt", frozenset({JOBCOACH})),
    Trigger("gruppencoaching_abgelehnt", "Gruppencoaching abgelehnt", frozenset({JOBCOACH})),
    Trigger("gruppencoaching_beendet", "Gruppencoaching beendet", frozenset({JOBCOACH})),
    Trigger(
        "als_rehabilitand_erfasst", "Als Rehabilitand erfasst", frozenset({JOBCOACH}), effect=_set(rehabilitand=True)
    ),
    Trigger("eigenen_plan_erfasst", "Eigenen Plan erfasst", frozenset({JOBCOACH})),
    Trigger("alg1_bezug_erfasst", "ALG-I-Bezug erfasst", frozenset({EGS, JOBCOACH}), Alg1BezugErfasst, _alg1),
    Trigger("leistung_bewilligt", "Leistung bewilligt", frozenset({LEISTUNG}), effect=_set(bewilligt=True)),
    # A new invitation is a fresh start: R11 counts the failed attempts since then.
    Trigger(
        "erneut_eingeladen",
        "Erneut eingeladen",
        frozenset({JOBCOACH}),
        effect=_set(kontaktversuche=[], kontaktversuche_ab=0),
    ),
    Trigger("arbeit_aufgenommen", "Arbeit oder Ausbildung aufgenommen", frozenset({JOBCOACH, EGS})),
    Trigger("antrag_zurueckgenommen", "Antrag zurückgenommen", frozenset({EGS, LEISTUNG, JOBCOACH})),
    Trigger("antrag_abgelehnt", "Antrag abgelehnt", frozenset({LEISTUNG})),
    Trigger("kontaktaufnahme_faellig", "Aktive Kontaktaufnahme fällig", frozenset({SYSTEM})),
    Trigger("wiedervorlage_faellig", "Wiedervorlage fällig", frozenset({SYSTEM})),
    Trigger("alg1_ende_erreicht", "ALG-I-Bezug endet", frozenset({SYSTEM}), effect=_alg1_clearingtermin),
    Trigger("jobturbo_erfasst", "Jobturbo erfasst", frozenset({EGS, JOBCOACH}), effect=_set(jobturbo=True)),
    Trigger(
        "gruppencoaching_angeboten",
        "Gruppencoaching als Sofortangebot empfohlen",
        frozenset({JOBCOACH}),
        effect=lambda f, d, now: f.model_copy(update={"gruppencoaching_angeboten_am": now}),
    ),
)

# --- transitions -----------------------------------------------------------------------------


def _clearingtermin(f: NeuantragFacts, policy, now: datetime) -> datetime | None:
    return f.clearingtermin  # R18: due at the appointment


IDENTITAET_OFFEN = Guard(
    "identitaet_offen",
    "Online-Antrag ohne Identitätsprüfung, nicht aus einem Rechtskreiswechsel (R10)",
    lambda f, p: not f.rechtskreiswechsel and not IDENTITAET_GEKLAERT.test(f, p),
)
UEBERGABE_MOEGLICH = Guard(
    "uebergabe_moeglich",
    "Identität geklärt, nicht aus einem Rechtskreiswechsel (R9, R10)",
    lambda f, p: not f.rechtskreiswechsel and IDENTITAET_GEKLAERT.test(f, p),
)

# R17: a new application is the EGS's (R9/R10); after a Rechtskreiswechsel the ALG I timer acts first (R34).
ANTRAG_UEBERGEBEN = TaskSpec(
    "antrag_uebergeben", EGS, "Neuen Antrag an das Clearing übergeben (R9)", priority=3, when=UEBERGABE_MOEGLICH
)
IDENTITAET_ABWARTEN = TaskSpec(
    "identitaet_pruefen",
    EGS,
    "Online-Antrag: Identität prüfen, sobald die Person vorspricht, dann an das Clearing übergeben (R10)",
    priority=3,
    when=IDENTITAET_OFFEN,
)
ANTRAG_NACH_PRUEFUNG = TaskSpec(
    "antrag_uebergeben", EGS, "Identität geprüft: Antrag an das Clearing übergeben (R9)", priority=3
)
# R11/R12, R4, R6: the case waits on the Bewilligung, which releases the handover.
LEISTUNGSENTSCHEIDUNG = TaskSpec(
    "leistungsentscheidung", LEISTUNG, "Über den Antrag entscheiden: die Übergabe wartet auf die Bewilligung (R12)"
)
GRUPPENCOACHING_BEGLEITEN = TaskSpec(
    "gruppencoaching_begleiten",
    JOBCOACH,
    "Teilnahme am Gruppencoaching begleiten, das Ende erfassen (R3)",
    precedence=JOBTURBO,
)

# R27: 2 scheduled clearing appointments, 3 clearing from a warm handover only, 5 the rest;
# Jobturbo cases go first within their priority (R25, also from the Neuantrag).
AKTIVE_KONTAKTAUFNAHME = TaskSpec(
    "aktive_kontaktaufnahme",
    JOBCOACH,
    "Aktiv Kontakt aufnehmen: noch kein Clearingtermin (R5)",
    priority=5,
    precedence=JOBTURBO,
)
CLEARING_DURCHFUEHREN = TaskSpec(
    "clearing_durchfuehren", JOBCOACH, "Clearinggespräch führen (R2)", priority=5, precedence=JOBTURBO
)
# The handover from the EGS: priority 3 when it was warm (R9, R27).
CLEARING_NACH_UEBERGABE = replace(CLEARING_DURCHFUEHREN, priority_when=((WARME_UEBERGABE, 3),))
CLEARINGTERMIN = TaskSpec(
    "clearingtermin", JOBCOACH, "Clearingtermin wahrnehmen (R2)", priority=2, precedence=JOBTURBO, due=_clearingtermin
)
WIEDERVORLAGE = TaskSpec(
    "wiedervorlage",
    JOBCOACH,
    "Wiedervorlage: nach dem Stand des eigenen Plans fragen (R7)",
    priority=5,
    precedence=JOBTURBO,
)
ALG1_WIEDERVORLAGE = TaskSpec(
    "wiedervorlage",
    JOBCOACH,
    "Wiedervorlage: ALG-I-Bezug, nach dem Stand fragen (R8)",
    priority=5,
    precedence=JOBTURBO,
)
IDENTITAET_PRUEFEN = TaskSpec(
    "identitaet_pruefen", EGS, "Identität prüfen, dann an das Clearing übergeben (R10)", priority=3
)
FALLUEBERNAHME_IFK = TaskSpec("fallubernahme", IFK, "Fall übernehmen (Fallübergabe liegt bei, R13)")
FALLUEBERNAHME_REHA = TaskSpec("fallubernahme", IFK_REHA, "Reha-Fall übernehmen (Fallübergabe liegt bei, R13)")

TO_IFK = {"dest": "an_ifk_uebergeben", "letters": ("fallubergabe",), "tasks": (FALLUEBERNAHME_IFK,)}
TO_IFK_REHA = {"dest": "an_ifk_reha_uebergeben", "letters": ("fallubergabe",), "tasks": (FALLUEBERNAHME_REHA,)}
NOT_REHA = (REHABILITAND,)

TRANSITIONS = (
    # R9/R10: EGS hands over to Clearing; online applicants need the identity check first.
    Transition(
        "identitaet_bestaetigt",
        ("antrag_eingegangen",),
        None,
        tasks=(ANTRAG_NACH_PRUEFUNG,),
        closes=("identitaet_pruefen", "antrag_uebergeben"),
    ),
    Transition(
        "an_clearing_uebergeben",
        ("antrag_eingegangen",),
        "clearing_offen",
        guards=(IDENTITAET_GEKLAERT,),
        tasks=(CLEARING_NACH_UEBERGABE,),
    ),
    # R2: the Clearinggespräch, booked (and rebooked) with an invitation letter.
    Transition(
        "clearingtermin_vereinbart",
        IN_CLEARING_TALK,
        "clearing_terminiert",
        letters=("einladung_clearing",),
        tasks=(CLEARINGTERMIN,),
    ),
    # R5: active contact when clearing_offen lasts too long.
    Transition("kontaktaufnahme_faellig", ("clearing_offen",), None, tasks=(AKTIVE_KONTAKTAUFNAHME,)),
    # R11: evading Clearing; straight to an IFK once the Bewilligung is there (R12).
    Transition(
        "kontaktversuch_gescheitert", IN_CLEARING_TALK, guards=(ENTZIEHT_SICH, BEWILLIGT, REHABILITAND), **TO_IFK_REHA
    ),
    Transition("kontaktversuch_gescheitert", IN_CLEARING_TALK, guards=(ENTZIEHT_SICH, BEWILLIGT), **TO_IFK),
    Transition(
        "kontaktversuch_gescheitert",
        IN_CLEARING_TALK,
        "clearing_entzogen",
        guards=(ENTZIEHT_SICH,),
        tasks=(LEISTUNGSENTSCHEIDUNG,),
    ),
    Transition("kontaktversuch_gescheitert", IN_CLEARING_TALK, None),
    # R3/R6/R7: the outcome of the Clearinggespräch (rehabilitants take the R4 path).
    Transition(
        "gruppencoaching_zugesagt",
        (*IN_CLEARING_TALK, "clearing_betreuung", "eigener_plan_wiedervorlage"),
        "gruppencoaching",
        unless=NOT_REHA,
        tasks=(GRUPPENCOACHING_BEGLEITEN,),
    ),
    Transition(
        "gruppencoaching_abgelehnt",
        (*IN_CLEARING_TALK, "eigener_plan_wiedervorlage"),
        guards=(BEWILLIGT,),
        unless=NOT_REHA,
        **TO_IFK,
    ),
    Transition(
        "gruppencoaching_abgelehnt",
        (*IN_CLEARING_TALK, "eigener_plan_wiedervorlage"),
        "clearing_betreuung",
        unless=NOT_REHA,
        tasks=(LEISTUNGSENTSCHEIDUNG,),
    ),
    Transition("gruppencoaching_beendet", ("gruppencoaching",), guards=(BEWILLIGT,), **TO_IFK),
    Transition("gruppencoaching_beendet", ("gruppencoaching",), "clearing_betreuung", tasks=(LEISTUNGSENTSCHEIDUNG,)),
    Transition("eigenen_plan_erfasst", IN_CLEARING_TALK, "eigener_plan_wiedervorlage", unless=NOT_REHA),
    Transition(
        "wiedervorlage_faellig", ("eigener_plan_wiedervorlage",), "eigener_plan_wiedervorlage", tasks=(WIEDERVORLAGE,)
    ),
    # R4: rehabilitants stay with JA-Clearing until the Bewilligung, then IFK-Reha.
    Transition(
        "als_rehabilitand_erfasst",
        tuple(s for s in OPEN_WITH_CLEARING if s != "reha_betreuung"),
        guards=(BEWILLIGT,),
        **TO_IFK_REHA,
    ),
    Transition(
        "als_rehabilitand_erfasst",
        tuple(s for s in OPEN_WITH_CLEARING if s != "reha_betreuung"),
        "reha_betreuung",
        tasks=(LEISTUNGSENTSCHEIDUNG,),
    ),
    # R8: ALG I recipients are kept on Wiedervorlage while ALG I is paid, and get an appointment to
    # continue clearing no later than one week after it ends (an appointment with a task, not only a letter).
    Transition("alg1_bezug_erfasst", IN_CLEARING_TALK, "alg1_wiedervorlage"),
    Transition("wiedervorlage_faellig", ("alg1_wiedervorlage",), "alg1_wiedervorlage", tasks=(ALG1_WIEDERVORLAGE,)),
    Transition(
        "alg1_ende_erreicht",
        ("alg1_wiedervorlage",),
        "clearing_terminiert",
        guards=(ALG1_TERMIN,),
        letters=("einladung_alg1_termin",),
        tasks=(CLEARINGTERMIN,),
    ),
    Transition(
        "alg1_ende_erreicht",
        ("alg1_wiedervorlage",),
        "clearing_offen",
        letters=("einladung_alg1_ende",),
        tasks=(CLEARING_DURCHFUEHREN,),
    ),
    # R34/R8: after a Rechtskreiswechsel the invitation goes out by itself; R10 still holds:
    # without an identity check the case stays with the EGS, which checks it when they come.
    Transition(
        "alg1_ende_erreicht",
        ("antrag_eingegangen",),
        "clearing_offen",
        guards=(IDENTITAET_GEKLAERT,),
        letters=("einladung_alg1_ende",),
        tasks=(CLEARING_DURCHFUEHREN,),
    ),
    Transition(
        "alg1_ende_erreicht",
        ("antrag_eingegangen",),
        None,
        letters=("einladung_alg1_ende",),
        tasks=(IDENTITAET_PRUEFEN,),
    ),
    Transition(
        "erneut_eingeladen",
        ("eigener_plan_wiedervorlage", "alg1_wiedervorlage", "clearing_entzogen"),
        "clearing_offen",
        letters=("einladung_erneut",),
        tasks=(CLEARING_DURCHFUEHREN,),
    ),
    # R12: the Bewilligung releases the handovers; elsewhere it is only recorded.
    Transition("leistung_bewilligt", ("clearing_entzogen",), guards=(REHABILITAND,), **TO_IFK_REHA),  # R4 before R11
    Transition("leistung_bewilligt", ("clearing_entzogen", "clearing_betreuung"), **TO_IFK),
    Transition("leistung_bewilligt", ("reha_betreuung",), **TO_IFK_REHA),
    # Guards see the facts after the effect (bewilligt is already True here), so an
    # "unless bewilligt" would refuse every Bewilligung; recording it twice changes nothing.
    Transition(
        "leistung_bewilligt",
        tuple(s for s in OPEN if s not in ("clearing_entzogen", "clearing_betreuung", "reha_betreuung")),
        None,
    ),
    # R3: group coaching recommended as the Sofortangebot, recorded without changing the state.
    Transition(
        "gruppencoaching_angeboten",
        (*IN_CLEARING_TALK, "clearing_betreuung", "eigener_plan_wiedervorlage", "alg1_wiedervorlage"),
        None,
        unless=NOT_REHA,
    ),
    # R25 as amended: Jobturbo recorded on the Neuantrag; later Jobcoach tasks go first in their priority.
    Transition("jobturbo_erfasst", OPEN, None),
    Transition("arbeit_aufgenommen", OPEN, "integriert"),
    Transition("antrag_zurueckgenommen", OPEN, "beendet"),
    Transition("antrag_abgelehnt", OPEN, "beendet", unless=(BEWILLIGT,)),
)

NEUANTRAG = Process(
    name="neuantrag",
    label="Neuantrag",
    initial="antrag_eingegangen",
    facts=NeuantragFacts,
    start=NeuantragStart,
    states=described(STATES, texts.STATES),
    triggers=described(TRIGGERS, texts.TRIGGERS),
    transitions=TRANSITIONS,
    start_roles=frozenset({EGS}),  # R9/R10: applications arrive at the Eingangszone
    start_tasks=(ANTRAG_UEBERGEBEN, IDENTITAET_ABWARTEN),
    # Cases started before issue 19 keep the old R8 and R11 behaviour (replay safety).
    patches=(
        PolicyPatch(
            "r8-r11-wiedervorlage-termin-kontakt",
            {"alg1_wiedervorlage_intervall": None, "alg1_clearingtermin": False, "kontaktversuche_seit_kontakt": False},
        ),
    ),
)

__all__ = ["NEUANTRAG", "NeuantragFacts", "NeuantragStart", "date"]
