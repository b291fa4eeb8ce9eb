"""rechtskreiswechsel: from ALG I (SGB III) to SGB II without a gap (R30–R34).

The information events themselves (R31: calendar, places, cancellations) are
data beside the process; the booking is the `prepare` activity of the triggers
that invite, so the workflow only sees the chosen event's id, time and room.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from statemachines.descriptions import rechtskreiswechsel as texts
from statemachines.roles import EGS, IFK, TEAMLEITUNG
from statemachines.spec import (
    SYSTEM,
    Deadline,
    Guard,
    PolicyPatch,
    Process,
    Spawn,
    State,
    TaskSpec,
    Transition,
    Trigger,
    described,
)

BUCHEN = "rkw_infoveranstaltung_buchen"  # the prepare activity that books a place (R31/R33)

# --- facts and payloads (field names are part of the API contract) ---------------------------


class RechtskreiswechselStart(BaseModel):
    """Facts given when the case is started (POST /cases)."""

    model_config = ConfigDict(extra="forbid")
    alg1_ende: date
    standort: str = Field(min_length=1, max_length=60)

    @field_validator("standort")
    @classmethod
    def _configured_location(cls, value: str, info: ValidationInfo) -> str:
        """R31: locations are configuration; checked when a policy is at hand (the API passes it)."""
        policy = (info.context or {}).get("policy")
        if policy is not None and policy.rkw_kalender.standort(value) is None:
            known = ", ".join(s.name for s in policy.rkw_kalender.standorte)
            raise ValueError(f"unbekannter Standort {value!r}; bekannt: {known}")
        return value


DokumentArt = Literal[
    "alg1_bescheid",
    "arbeitsbescheinigung",
    "profiling",
    "bewerbungsunterlagen",
    "sgb2_antrag",
    "beratungsvermerk",
    "sonstiges",
]


class Dokument(BaseModel):
    """R34: one document exchanged between Agentur and Jobcenter (its kind, never its content)."""

    model_config = ConfigDict(extra="forbid")
    art: DokumentArt
    datum: date


class RechtskreiswechselFacts(RechtskreiswechselStart):
    veranstaltung_id: int | None = None
    veranstaltung_termin: datetime | None = None
    versaeumt: int = 0  # R33: missed information events
    teilgenommen_am: datetime | None = None
    beratungstermin: datetime | None = None
    dokumente: list[Dokument] = Field(default_factory=list)


class Platz(BaseModel):
    """Filled by the booking activity: the event booked (veranstaltung_id None: no free place)."""

    model_config = ConfigDict(extra="forbid")
    veranstaltung_id: int | None = None
    beginn: datetime | None = None
    dauer_minuten: int | None = None
    standort: str | None = Field(None, max_length=60)  # the bounds of the policy's InfoStandort
    adresse: str | None = Field(None, max_length=200)
    raum: str | None = Field(None, max_length=100)


class Umbuchung(Platz):
    """veranstaltung_abgesagt: the cancelled event and the new place."""

    abgesagte_veranstaltung_id: int | None = None
    abgesagter_termin: datetime | None = None


class BeratungVereinbart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    termin: datetime


class WechselVollzogen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dokumente: list[Dokument] = Field(min_length=1, max_length=50)


# --- rules shared by guards and the booking activity ------------------------------------------


def minus_monate(day: date, months: int) -> date:
    """Calendar months back; the day is clamped to the month's length (31 May - 3 = 28/29 Feb)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def schwelle_erreicht(versaeumt: int, policy) -> bool:
    """R33: from this many missed events on the team decides instead of another invitation."""
    return versaeumt >= policy.rkw_max_versaeumnisse


def bucht_platz(trigger: str, facts: RechtskreiswechselFacts, policy) -> bool:
    """Whether the booking activity books a place for this step (not when R33's threshold is reached)."""
    return not (trigger == "nicht_erschienen" and schwelle_erreicht(facts.versaeumt + 1, policy))


def veranstaltung_ziel(f: RechtskreiswechselFacts, policy) -> datetime:
    """R30: the event lies about three months ("in gut drei Monaten") before ALG I ends (08:00 UTC)."""
    return datetime.combine(minus_monate(f.alg1_ende, policy.rkw_vorlauf_monate), time(8, 0), tzinfo=UTC)


def buchbar_ab(f: RechtskreiswechselFacts, policy, now: datetime) -> datetime:
    """R30/R31: the first event worth booking: the invitation lead time from now, and not more than the
    window before the target date (an earlier event would lie well before the three months)."""
    return max(
        now + policy.rkw_kalender.mindestvorlauf, veranstaltung_ziel(f, policy) - policy.rkw_veranstaltung_fenster
    )


def _einladung_faellig(f: RechtskreiswechselFacts, policy, entered_at: datetime) -> datetime:
    """R30: invite the invitation lead time before the event's target date; already past: at once."""
    return veranstaltung_ziel(f, policy) - policy.rkw_einladung_vorlauf


def _beratungsfrist(f: RechtskreiswechselFacts, policy, entered_at: datetime) -> datetime | None:
    """R32: four weeks from the event attended (before issue 19: from recording the attendance)."""
    if not policy.rkw_frist_ab_veranstaltung:
        return entered_at + policy.rkw_beratung_frist
    start = f.veranstaltung_termin or f.teilgenommen_am or entered_at
    return start + policy.rkw_beratung_frist


def _beratungsfrist_bis_beratung(f: RechtskreiswechselFacts, policy, entered_at: datetime) -> datetime | None:
    """R32: the deadline is met only when the counselling is held, so it runs on once it is booked."""
    if not policy.rkw_frist_ab_veranstaltung or f.teilgenommen_am is None:
        return None
    return _beratungsfrist(f, policy, entered_at)


def _veranstaltung_begonnen(f: RechtskreiswechselFacts, policy) -> bool:
    """R32: attendance is recorded only once the event has begun (the effect sets teilgenommen_am)."""
    vorher = policy.rkw_teilnahme_vor_beginn
    if vorher is None or f.teilgenommen_am is None or f.veranstaltung_termin is None:
        return True
    return f.teilgenommen_am >= f.veranstaltung_termin - vorher


def _teilnahme_offen(f: RechtskreiswechselFacts, policy, entered_at: datetime) -> datetime | None:
    if f.veranstaltung_termin is None:
        return None
    return f.veranstaltung_termin + policy.rkw_teilnahme_nachhalten


PLATZ_GEBUCHT = Guard(
    "platz_gebucht", "Platz in einer Infoveranstaltung gebucht (R31)", lambda f, p: f.veranstaltung_id is not None
)
VERANSTALTUNG_BEGONNEN = Guard(
    "veranstaltung_begonnen", "Die Infoveranstaltung hat begonnen (R32)", _veranstaltung_begonnen
)
SCHWELLE = Guard(
    "versaeumnisse",
    "Schwelle versäumter Infoveranstaltungen erreicht (R33)",
    lambda f, p: schwelle_erreicht(f.versaeumt, p),
)

# --- effects on the facts --------------------------------------------------------------------


def _platz(f: RechtskreiswechselFacts, d: Platz, now: datetime) -> RechtskreiswechselFacts:
    return f.model_copy(update={"veranstaltung_id": d.veranstaltung_id, "veranstaltung_termin": d.beginn})


def _versaeumt(f: RechtskreiswechselFacts, d: Platz, now: datetime) -> RechtskreiswechselFacts:
    return _platz(f, d, now).model_copy(update={"versaeumt": f.versaeumt + 1})


def _teilgenommen(f, d, now):
    return f.model_copy(update={"teilgenommen_am": now})


def _beratungstermin(f, d: BeratungVereinbart, now):
    return f.model_copy(update={"beratungstermin": d.termin})


def _dokumente(f, d: WechselVollzogen, now):
    return f.model_copy(update={"dokumente": [*f.dokumente, *d.dokumente]})


def _neuantrag_facts(f: RechtskreiswechselFacts, d: WechselVollzogen) -> dict:
    """R34/R8: the Neuantrag knows when ALG I ends; the Agentur's handover is not in person (R10)."""
    return {"antragsweg": "online", "alg1_ende": f.alg1_ende.isoformat(), "rechtskreiswechsel": True}


# --- states ----------------------------------------------------------------------------------

EINGELADEN = "zur_infoveranstaltung_eingeladen"
OPEN = ("vorgemerkt", EINGELADEN, "infoveranstaltung_besucht", "beratung_terminiert", "beraten", "klaerung_team")

STATES = (
    State(
        "vorgemerkt",
        "Vorgemerkt",
        deadlines=(Deadline("einladen", "Vorlauf vor dem Ende des ALG I (R30)", due=_einladung_faellig),),
    ),
    State(
        EINGELADEN,
        "Zur Infoveranstaltung eingeladen",
        deadlines=(Deadline("teilnahme_offen", "Teilnahme erfassen (R33)", due=_teilnahme_offen, marks_overdue=True),),
    ),
    State(
        "infoveranstaltung_besucht",
        "Infoveranstaltung besucht",
        deadlines=(
            Deadline(
                "beratungsfrist_versaeumt",
                "Beratungsfrist ab der Infoveranstaltung (R32)",
                due=_beratungsfrist,
                marks_overdue=True,
            ),
        ),
    ),
    State(
        "beratung_terminiert",
        "Beratung terminiert",
        deadlines=(
            Deadline(
                "beratungsfrist_versaeumt",
                "Beratungsfrist ab der Infoveranstaltung, bis zur Beratung (R32)",
                due=_beratungsfrist_bis_beratung,
                marks_overdue=True,
            ),
        ),
    ),
    State("beraten", "Beraten"),
    State("klaerung_team", "Klärung im Team"),
    State("an_jobcenter_uebergeben", "An das Jobcenter übergeben", final=True),
    State("kein_wechsel", "Kein Wechsel", final=True),
)

# --- triggers --------------------------------------------------------------------------------

BERATUNG = frozenset({IFK, TEAMLEITUNG})

TRIGGERS = (
    Trigger(
        "einladen", "Zur Infoveranstaltung einladen", frozenset({SYSTEM, TEAMLEITUNG}), Platz, _platz, prepare=BUCHEN
    ),
    Trigger("teilgenommen", "An der Infoveranstaltung teilgenommen", frozenset({TEAMLEITUNG}), effect=_teilgenommen),
    Trigger(
        "nicht_erschienen",
        "Nicht zur Infoveranstaltung erschienen",
        frozenset({TEAMLEITUNG}),
        Platz,
        _versaeumt,
        prepare=BUCHEN,
    ),
    Trigger(
        "veranstaltung_abgesagt",
        "Infoveranstaltung abgesagt",
        frozenset({TEAMLEITUNG}),
        Umbuchung,
        _platz,
        prepare=BUCHEN,
    ),
    Trigger("beratung_vereinbart", "Beratung vereinbart", BERATUNG, BeratungVereinbart, _beratungstermin),
    Trigger("beratung_durchgefuehrt", "Beratung durchgeführt", BERATUNG),
    Trigger("wechsel_vollzogen", "Wechsel vollzogen", frozenset({EGS, IFK, TEAMLEITUNG}), WechselVollzogen, _dokumente),
    Trigger("kein_wechsel_erforderlich", "Kein Wechsel erforderlich", frozenset({EGS, IFK, TEAMLEITUNG})),
    Trigger("teilnahme_offen", "Teilnahme nicht erfasst", frozenset({SYSTEM})),
    Trigger("beratungsfrist_versaeumt", "Beratungsfrist versäumt", frozenset({SYSTEM})),
)

# --- transitions -----------------------------------------------------------------------------

KEIN_PLATZ = TaskSpec(
    "infoveranstaltung_platz", TEAMLEITUNG, "Keine Infoveranstaltung mit freiem Platz: Termin klären (R31)"
)
VERSAEUMT = TaskSpec(
    "infoveranstaltung_versaeumt",
    TEAMLEITUNG,
    "Wiederholt nicht zur Infoveranstaltung erschienen: weiteres Vorgehen klären (R33)",
)
TEILNAHME_ERFASSEN = TaskSpec("teilnahme_erfassen", TEAMLEITUNG, "Teilnahme an der Infoveranstaltung erfassen (R33)")


def _beratungstermin(f: RechtskreiswechselFacts, policy, now: datetime) -> datetime | None:
    return f.beratungstermin  # R18: due at the appointment


def _alg1_ende(f: RechtskreiswechselFacts, policy, now: datetime) -> datetime:
    return datetime.combine(f.alg1_ende, time(8, 0), tzinfo=UTC)  # R34: the switch when ALG I ends


BERATUNG_VEREINBAREN = TaskSpec(
    "beratung_vereinbaren",
    IFK,
    "Einzelberatung binnen der Frist nach der Infoveranstaltung vereinbaren (R32)",
    due=_beratungsfrist,  # R32: due with the deadline (from the event, or from recording before issue 19)
)
BERATUNG_FUEHREN = TaskSpec("beratung_fuehren", IFK, "Einzelberatung führen (R32)", due=_beratungstermin)
WECHSEL_VOLLZIEHEN = TaskSpec(
    "wechsel_vollziehen",
    IFK,
    "Beraten: zum Ende des ALG I den Wechsel mit der Agentur vollziehen (Unterlagen austauschen) oder beenden (R34)",
    due=_alg1_ende,
)
BERATUNG_UEBERFAELLIG = TaskSpec(
    "beratung_ueberfaellig", TEAMLEITUNG, "Einzelberatung nicht binnen vier Wochen nach der Infoveranstaltung (R32)"
)

TRANSITIONS = (
    # R30/R31: the timer (or the team) books the next event with a free place and invites.
    Transition(
        "einladen",
        ("vorgemerkt", "klaerung_team"),
        EINGELADEN,
        guards=(PLATZ_GEBUCHT,),
        letters=("einladung_infoveranstaltung",),
    ),
    Transition("einladen", ("vorgemerkt", "klaerung_team"), "klaerung_team", tasks=(KEIN_PLATZ,)),
    Transition("teilnahme_offen", (EINGELADEN,), None, tasks=(TEILNAHME_ERFASSEN,)),
    Transition(
        "teilgenommen",
        (EINGELADEN,),
        "infoveranstaltung_besucht",
        guards=(VERANSTALTUNG_BEGONNEN,),
        tasks=(BERATUNG_VEREINBAREN,),
    ),
    # R33: a missed event invites to the next one, until the threshold; then the team decides.
    Transition("nicht_erschienen", (EINGELADEN,), "klaerung_team", guards=(SCHWELLE,), tasks=(VERSAEUMT,)),
    Transition(
        "nicht_erschienen",
        (EINGELADEN,),
        EINGELADEN,
        guards=(PLATZ_GEBUCHT,),
        letters=("einladung_infoveranstaltung_erneut",),
    ),
    Transition("nicht_erschienen", (EINGELADEN,), "klaerung_team", tasks=(KEIN_PLATZ,)),
    # R31: a cancelled event re-invites its booked people to the next one and tells them.
    Transition(
        "veranstaltung_abgesagt",
        (EINGELADEN,),
        EINGELADEN,
        guards=(PLATZ_GEBUCHT,),
        letters=("absage_infoveranstaltung",),
    ),
    Transition(
        "veranstaltung_abgesagt",
        (EINGELADEN,),
        "klaerung_team",
        letters=("absage_infoveranstaltung",),
        tasks=(KEIN_PLATZ,),
    ),
    # R32: individual counselling within four weeks; missing it escalates but changes no state.
    Transition(
        "beratungsfrist_versaeumt",
        ("infoveranstaltung_besucht", "beratung_terminiert"),
        None,
        tasks=(BERATUNG_UEBERFAELLIG,),
    ),
    Transition(
        "beratung_vereinbart",
        ("infoveranstaltung_besucht", "beratung_terminiert", "klaerung_team"),
        "beratung_terminiert",
        letters=("einladung_beratung_rkw",),
        tasks=(BERATUNG_FUEHREN,),
    ),
    Transition(
        "beratung_durchgefuehrt",
        ("infoveranstaltung_besucht", "beratung_terminiert"),
        "beraten",
        tasks=(WECHSEL_VOLLZIEHEN,),
    ),
    # R34: the switch hands over to the Jobcenter and opens the Neuantrag with the ALG I facts.
    Transition("wechsel_vollzogen", OPEN, "an_jobcenter_uebergeben", spawns=(Spawn("neuantrag", _neuantrag_facts),)),
    Transition("kein_wechsel_erforderlich", OPEN, "kein_wechsel"),
)

RECHTSKREISWECHSEL = Process(
    name="rechtskreiswechsel",
    label="Rechtskreiswechsel",
    initial="vorgemerkt",
    facts=RechtskreiswechselFacts,
    start=RechtskreiswechselStart,
    states=described(STATES, texts.STATES),
    triggers=described(TRIGGERS, texts.TRIGGERS),
    transitions=TRANSITIONS,
    start_roles=frozenset({TEAMLEITUNG, EGS}),
    # Cases started before issue 19 keep the old R30 timing and R32 deadline (replay safety).
    patches=(
        PolicyPatch("r30-veranstaltung-drei-monate-vor-ende", {"rkw_einladung_vorlauf": timedelta(0)}),
        PolicyPatch(
            "r32-frist-ab-veranstaltung", {"rkw_frist_ab_veranstaltung": False, "rkw_teilnahme_vor_beginn": None}
        ),
    ),
)

__all__ = [
    "BUCHEN",
    "RECHTSKREISWECHSEL",
    "RechtskreiswechselFacts",
    "buchbar_ab",
    "bucht_platz",
    "minus_monate",
    "veranstaltung_ziel",
]
