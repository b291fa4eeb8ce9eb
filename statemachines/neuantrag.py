"""neuantrag: a new applicant's path through JA-Clearing until the Bewilligung (R1–R13)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from statemachines.spec import SYSTEM, Deadline, Guard, Process, State, TaskSpec, Transition, Trigger

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


class NeuantragFacts(NeuantragStart):
    identitaet_geprueft: bool = False
    bewilligt: bool = False
    kontaktversuche: list[Kontaktversuch] = Field(default_factory=list)
    clearingtermin: datetime | None = None
    uebergabe: Literal["warm", "aufgabe", "terminslot"] | None = None
    # R34: opened by a Rechtskreiswechsel; the R8 invitation then runs from the start.
    rechtskreiswechsel: bool = False


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
    """R11: at least the threshold of failed attempts, at least one of them written."""
    return len(f.kontaktversuche) >= policy.kontaktversuche_schwelle and any(
        k.art == "schriftlich" for k in f.kontaktversuche
    )


IDENTITAET_GEKLAERT = Guard(
    "identitaet_geklaert",
    "persönlich vorgesprochen oder Identität geprüft (R10)",
    lambda f, p: f.antragsweg == "persoenlich" or f.identitaet_geprueft,
)
ENTZIEHT_SICH = Guard("entzieht_sich", "Schwelle gescheiterter Kontaktversuche erreicht, mind. einer schriftlich (R11)", _entzieht_sich)
BEWILLIGT = Guard("bewilligt", "Leistung bewilligt (R12)", lambda f, p: f.bewilligt)
REHABILITAND = Guard("rehabilitand", "anerkannter Rehabilitand (R4)", lambda f, p: f.rehabilitand)

# --- effects on the facts --------------------------------------------------------------------


def _set(**values):
    return lambda f, d, now: f.model_copy(update=values)


def _kontaktversuch(f: NeuantragFacts, d: KontaktversuchGescheitert, now: datetime) -> NeuantragFacts:
    return f.model_copy(update={"kontaktversuche": [*f.kontaktversuche, Kontaktversuch(art=d.art, am=now)]})


def _alg1(f, d: Alg1BezugErfasst, now):
    return f.model_copy(update={"alg1_ende": d.alg1_ende})


def _termin(f, d: ClearingterminVereinbart, now):
    return f.model_copy(update={"clearingtermin": d.termin})


def _uebergabe(f, d: AnClearingUebergeben, now):
    return f.model_copy(update={"uebergabe": d.uebergabe})


def _alg1_einladung(f: NeuantragFacts, policy, entered_at: datetime) -> datetime | None:
    """R8: invited no later than one week after ALG I ends (08:00 UTC on the due day)."""
    if f.alg1_ende is None:
        return None
    return datetime.combine(f.alg1_ende, time(8, 0), tzinfo=timezone.utc) + policy.alg1_einladung_nach_ende


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
        deadlines=(Deadline("alg1_ende_erreicht", "Ende ALG I nach Rechtskreiswechsel", due=_alg1_einladung_nach_wechsel),),
    ),
    State(
        "clearing_offen",
        "Clearing offen",
        deadlines=(Deadline("kontaktaufnahme_faellig", "ohne Termin", delay="clearing_kontakt_nach"),),
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
        deadlines=(Deadline("alg1_ende_erreicht", "Ende ALG I", due=_alg1_einladung),),
    ),
    State("an_ifk_uebergeben", "An IFK übergeben", final=True),
    State("an_ifk_reha_uebergeben", "An IFK-Reha übergeben", final=True),
    State("integriert", "Integriert", final=True),
    State("beendet", "Beendet", final=True),
)

# --- triggers --------------------------------------------------------------------------------

EGS, JOBCOACH, LEISTUNG = "egs", "jobcoach", "leistung"

TRIGGERS = (
    Trigger("identitaet_bestaetigt", "Identität bestätigt", frozenset({EGS}), effect=_set(identitaet_geprueft=True)),
    Trigger("an_clearing_uebergeben", "An Clearing übergeben", frozenset({EGS}), AnClearingUebergeben, _uebergabe),
    Trigger("clearingtermin_vereinbart", "Clearingtermin vereinbart", frozenset({EGS, JOBCOACH}), ClearingterminVereinbart, _termin),
    Trigger("kontaktversuch_gescheitert", "Kontaktversuch gescheitert", frozenset({JOBCOACH}), KontaktversuchGescheitert, _kontaktversuch),
    Trigger("gruppencoaching_zugesagt", "Gruppencoaching zugesagt", frozenset({JOBCOACH})),
    Trigger("gruppencoaching_abgelehnt", "Gruppencoaching abgelehnt", frozenset({JOBCOACH})),
    Trigger("gruppencoaching_beendet", "Gruppencoaching beendet", frozenset({JOBCOACH})),
    Trigger("als_rehabilitand_erfasst", "Als Rehabilitand erfasst", frozenset({JOBCOACH}), effect=_set(rehabilitand=True)),
    Trigger("eigenen_plan_erfasst", "Eigenen Plan erfasst", frozenset({JOBCOACH})),
    Trigger("alg1_bezug_erfasst", "ALG-I-Bezug erfasst", frozenset({EGS, JOBCOACH}), Alg1BezugErfasst, _alg1),
    Trigger("leistung_bewilligt", "Leistung bewilligt", frozenset({LEISTUNG}), effect=_set(bewilligt=True)),
    # A new invitation is a fresh start: R11 counts the failed attempts since then.
    Trigger("erneut_eingeladen", "Erneut eingeladen", frozenset({JOBCOACH}), effect=_set(kontaktversuche=[])),
    Trigger("arbeit_aufgenommen", "Arbeit oder Ausbildung aufgenommen", frozenset({JOBCOACH, EGS})),
    Trigger("antrag_zurueckgenommen", "Antrag zurückgenommen", frozenset({EGS, LEISTUNG, JOBCOACH})),
    Trigger("antrag_abgelehnt", "Antrag abgelehnt", frozenset({LEISTUNG})),
    Trigger("kontaktaufnahme_faellig", "Aktive Kontaktaufnahme fällig", frozenset({SYSTEM})),
    Trigger("wiedervorlage_faellig", "Wiedervorlage fällig", frozenset({SYSTEM})),
    Trigger("alg1_ende_erreicht", "ALG-I-Bezug endet", frozenset({SYSTEM})),
)

# --- transitions -----------------------------------------------------------------------------

AKTIVE_KONTAKTAUFNAHME = TaskSpec("aktive_kontaktaufnahme", JOBCOACH, "Aktiv Kontakt aufnehmen: noch kein Clearingtermin (R5)", priority=3)
CLEARING_DURCHFUEHREN = TaskSpec("clearing_durchfuehren", JOBCOACH, "Clearinggespräch führen (R2)", priority=3)
CLEARINGTERMIN = TaskSpec("clearingtermin", JOBCOACH, "Clearingtermin wahrnehmen (R2)", priority=2)
WIEDERVORLAGE = TaskSpec("wiedervorlage", JOBCOACH, "Wiedervorlage: nach dem Stand des eigenen Plans fragen (R7)", priority=5)
IDENTITAET_PRUEFEN = TaskSpec("identitaet_pruefen", EGS, "Identität prüfen, dann an das Clearing übergeben (R10)", priority=3)
FALLUEBERNAHME_IFK = TaskSpec("fallubernahme", "ifk", "Fall übernehmen (Fallübergabe liegt bei, R13)")
FALLUEBERNAHME_REHA = TaskSpec("fallubernahme", "ifk_reha", "Reha-Fall übernehmen (Fallübergabe liegt bei, R13)")

TO_IFK = dict(dest="an_ifk_uebergeben", letters=("fallubergabe",), tasks=(FALLUEBERNAHME_IFK,))
TO_IFK_REHA = dict(dest="an_ifk_reha_uebergeben", letters=("fallubergabe",), tasks=(FALLUEBERNAHME_REHA,))
NOT_REHA = (REHABILITAND,)

TRANSITIONS = (
    # R9/R10: EGS hands over to Clearing; online applicants need the identity check first.
    Transition("identitaet_bestaetigt", ("antrag_eingegangen",), None),
    Transition("an_clearing_uebergeben", ("antrag_eingegangen",), "clearing_offen", guards=(IDENTITAET_GEKLAERT,), tasks=(CLEARING_DURCHFUEHREN,)),
    # R2: the Clearinggespräch, booked (and rebooked) with an invitation letter.
    Transition("clearingtermin_vereinbart", IN_CLEARING_TALK, "clearing_terminiert", letters=("einladung_clearing",), tasks=(CLEARINGTERMIN,)),
    # R5: active contact when clearing_offen lasts too long.
    Transition("kontaktaufnahme_faellig", ("clearing_offen",), None, tasks=(AKTIVE_KONTAKTAUFNAHME,)),
    # R11: evading Clearing; straight to an IFK once the Bewilligung is there (R12).
    Transition("kontaktversuch_gescheitert", IN_CLEARING_TALK, guards=(ENTZIEHT_SICH, BEWILLIGT, REHABILITAND), **TO_IFK_REHA),
    Transition("kontaktversuch_gescheitert", IN_CLEARING_TALK, guards=(ENTZIEHT_SICH, BEWILLIGT), **TO_IFK),
    Transition("kontaktversuch_gescheitert", IN_CLEARING_TALK, "clearing_entzogen", guards=(ENTZIEHT_SICH,)),
    Transition("kontaktversuch_gescheitert", IN_CLEARING_TALK, None),
    # R3/R6/R7: the outcome of the Clearinggespräch (rehabilitants take the R4 path).
    Transition("gruppencoaching_zugesagt", (*IN_CLEARING_TALK, "clearing_betreuung", "eigener_plan_wiedervorlage"), "gruppencoaching", unless=NOT_REHA),
    Transition("gruppencoaching_abgelehnt", (*IN_CLEARING_TALK, "eigener_plan_wiedervorlage"), guards=(BEWILLIGT,), unless=NOT_REHA, **TO_IFK),
    Transition("gruppencoaching_abgelehnt", (*IN_CLEARING_TALK, "eigener_plan_wiedervorlage"), "clearing_betreuung", unless=NOT_REHA),
    Transition("gruppencoaching_beendet", ("gruppencoaching",), guards=(BEWILLIGT,), **TO_IFK),
    Transition("gruppencoaching_beendet", ("gruppencoaching",), "clearing_betreuung"),
    Transition("eigenen_plan_erfasst", IN_CLEARING_TALK, "eigener_plan_wiedervorlage", unless=NOT_REHA),
    Transition("wiedervorlage_faellig", ("eigener_plan_wiedervorlage",), "eigener_plan_wiedervorlage", tasks=(WIEDERVORLAGE,)),
    # R4: rehabilitants stay with JA-Clearing until the Bewilligung, then IFK-Reha.
    Transition(
        "als_rehabilitand_erfasst",
        tuple(s for s in OPEN_WITH_CLEARING if s != "reha_betreuung"),
        guards=(BEWILLIGT,),
        **TO_IFK_REHA,
    ),
    Transition("als_rehabilitand_erfasst", tuple(s for s in OPEN_WITH_CLEARING if s != "reha_betreuung"), "reha_betreuung"),
    # R8: ALG I recipients wait on Wiedervorlage and are invited when ALG I ends.
    Transition("alg1_bezug_erfasst", IN_CLEARING_TALK, "alg1_wiedervorlage"),
    Transition("alg1_ende_erreicht", ("alg1_wiedervorlage",), "clearing_offen", letters=("einladung_alg1_ende",), tasks=(CLEARING_DURCHFUEHREN,)),
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
    Transition("alg1_ende_erreicht", ("antrag_eingegangen",), None, letters=("einladung_alg1_ende",), tasks=(IDENTITAET_PRUEFEN,)),
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
    states=STATES,
    triggers=TRIGGERS,
    transitions=TRANSITIONS,
    start_roles=frozenset({EGS}),  # R9/R10: applications arrive at the Eingangszone
)

__all__ = ["NEUANTRAG", "NeuantragFacts", "NeuantragStart", "date"]
