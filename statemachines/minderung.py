"""minderung: hearing and decision on a Leistungsminderung or on withholding benefits (R64–R67).

Always a child of the case that caused it (meldetermin or kooperationsplan). The hearing
letter goes out with the start; an answer or the end of the answer period (timer) opens the
decision for the `leistung` role, with the proposal the system computed from the regime
(statemachines/minderung_vorschlag.py) and the facts it rests on. Only `leistung` decides
(R67): no timer fires a decision, the only timers end the hearing period and the § 31b
six-month limit (`verfristet`). A decision records the amount and period decided and the
hardship check (required fields). Under § 7b (`nicht_erreichbar`, R66) benefits stay withheld
until the person reports in person; any staff role with contact records that and it ends at once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from statemachines.descriptions import minderung as texts
from statemachines.kooperationsplan import add_months
from statemachines.minderung_vorschlag import Anlass, Regime, Vorschlag, regeln, regime_am
from statemachines.roles import EGS, IFK, IFK_REHA, JOBCOACH, LEISTUNG, TEAMLEITUNG
from statemachines.spec import (
    SET_BY_SYSTEM,
    SYSTEM,
    Deadline,
    Guard,
    Process,
    State,
    TaskSpec,
    Transition,
    Trigger,
    described,
)

Pflicht = Literal["massnahme_nicht_angetreten", "termin_versaeumt", "nachweis_fehlt", "sonstiges"]
Haertepruefung = Literal["keine_aussergewoehnliche_haerte", "haerte_durch_geringere_minderung_beruecksichtigt"]
AbsehenGrund = Literal["wichtiger_grund", "aussergewoehnliche_haerte", "kein_vorschlag", "sonstiger_grund"]

# German labels for readers (Fallakte, pages): the values of the facts above.
ANLASS_LABELS = {
    "meldeversaeumnis": "Meldeversäumnis (§ 32 SGB II)",
    "pflichtverletzung": "Pflichtverletzung (§ 31 SGB II)",
    "nicht_erreichbar": "Nicht erreichbar (§ 7b SGB II)",
}
HAERTE_LABELS = {
    "keine_aussergewoehnliche_haerte": "Keine außergewöhnliche Härte",
    "haerte_durch_geringere_minderung_beruecksichtigt": "Härte durch geringere Minderung berücksichtigt",
}
ABSEHEN_LABELS = {
    "wichtiger_grund": "Wichtiger Grund",
    "aussergewoehnliche_haerte": "Außergewöhnliche Härte",
    "kein_vorschlag": "Kein Vorschlag des Systems",
    "sonstiger_grund": "Sonstiger Grund",
}

# --- facts and payloads ----------------------------------------------------------------------


class MinderungStart(BaseModel):
    """Built by the parent (meldetermin or kooperationsplan) when it opens the case."""

    model_config = ConfigDict(extra="forbid")
    anlass: Anlass
    ereignis_am: datetime  # the missed appointment or the breach: the § 31b limit counts from here
    regime: Regime | None = None  # None: the regime in force on the day of the event (R61)
    versaeumnisse_in_folge: int = Field(0, ge=0)  # R64/R66, from the meldetermin
    pflicht: Pflicht | None = None  # the breached duty (kooperationsplan)
    # the RFB the breach followed (kooperationsplan): the Aufforderung (R43) or the Verwaltungsakt (R63)
    grundlage: Literal["aufforderung", "verwaltungsakt"] | None = None

    @model_validator(mode="after")
    def _regime(self) -> MinderungStart:
        if self.ereignis_am.tzinfo is None:
            raise ValueError("ereignis_am braucht eine Zeitzone")
        if self.regime is None:
            self.regime = regime_am(self.ereignis_am.date())
        return self


class MinderungFacts(MinderungStart):
    anhoerung: Literal["stellungnahme", "keine_stellungnahme"] | None = None
    anhoerung_beendet_am: datetime | None = None
    vorschlag: Vorschlag | None = None
    schlichtung_laeuft: bool = False  # R55, checked again at the decision
    prozent: int | None = None
    monate: int | None = None
    beginn: date | None = None
    entzug: bool = False
    haertepruefung: Haertepruefung | None = None
    haertepruefung_am: date | None = None
    abgesehen_grund: AbsehenGrund | None = None
    entschieden_am: datetime | None = None
    gemeldet_am: datetime | None = None


class Anhoerungsende(BaseModel):
    """stellungnahme_eingegangen / anhoerungsfrist_abgelaufen: the system adds the proposal."""

    model_config = ConfigDict(extra="forbid")
    vorschlag: Vorschlag | None = Field(None, description="vom System berechnet", json_schema_extra=SET_BY_SYSTEM)
    schlichtung_laeuft: bool = Field(False, description="vom System geprüft (R55)", json_schema_extra=SET_BY_SYSTEM)


class Feststellung(BaseModel):
    """minderung_festgestellt (R65, R67): amount, period and the hardship check are required."""

    model_config = ConfigDict(extra="forbid")
    prozent: int = Field(0, ge=0, le=100, description="des Regelbedarfs; beim Entzug (R66) 0")
    monate: int = Field(0, ge=0, le=12, description="Dauer; beim Entzug (R66) 0: bis zur persönlichen Meldung")
    beginn: date = Field(description="erster Tag der Minderung oder des Entzugs")
    entzug: bool = Field(False, description="R66: Leistungen entfallen (nur bei Nichterreichbarkeit)")
    haertepruefung: Haertepruefung = Field(description="Ergebnis der Prüfung einer außergewöhnlichen Härte (R65)")
    haertepruefung_am: date = Field(description="wann die Härte geprüft wurde")
    schlichtung_laeuft: bool = Field(False, description="vom System geprüft (R55)", json_schema_extra=SET_BY_SYSTEM)
    verfuegbar_prozent: int = Field(
        0, ge=0, le=100, description="vom System berechnet: Obergrenze minus laufend", json_schema_extra=SET_BY_SYSTEM
    )
    geprueft: bool = Field(False, description="vom System gesetzt", json_schema_extra=SET_BY_SYSTEM)


class Absehen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grund: AbsehenGrund


# --- effects, guards, deadlines ----------------------------------------------------------------


def _anhoerung_beendet(antwort: str):
    def effect(f: MinderungFacts, d: Anhoerungsende, now: datetime) -> MinderungFacts:
        if d.vorschlag is None:
            raise ValueError("Der Vorschlag wurde nicht vom System berechnet")
        return f.model_copy(
            update={
                "anhoerung": antwort,
                "anhoerung_beendet_am": now,
                "vorschlag": d.vorschlag,
                "schlichtung_laeuft": d.schlichtung_laeuft,
            }
        )

    return effect


def _festgestellt(f: MinderungFacts, d: Feststellung, now: datetime) -> MinderungFacts:
    if not d.geprueft:
        raise ValueError("Die Entscheidung wurde nicht vom System geprüft")
    if f.anhoerung is None:  # R65: never without a hearing (the states already ensure it)
        raise ValueError("Ohne Anhörung keine Entscheidung (R65)")
    if f.anlass == "nicht_erreichbar":
        if not d.entzug or d.prozent or d.monate:
            raise ValueError("Bei Nichterreichbarkeit (R66): entzug = true, prozent und monate 0")
    else:
        if d.entzug:
            raise ValueError("entzug nur bei Nichterreichbarkeit (R66)")
        if d.prozent < 1 or d.monate < 1:
            raise ValueError("prozent und monate mindestens 1; sonst von der Minderung absehen")
        if d.prozent > d.verfuegbar_prozent:
            cap = f.vorschlag.obergrenze_prozent if f.vorschlag else "?"
            raise ValueError(
                f"prozent: höchstens {d.verfuegbar_prozent} % (Obergrenze {cap} % abzüglich laufender Minderungen, R65)"
            )
    return f.model_copy(
        update={
            "prozent": d.prozent,
            "monate": d.monate,
            "beginn": d.beginn,
            "entzug": d.entzug,
            "haertepruefung": d.haertepruefung,
            "haertepruefung_am": d.haertepruefung_am,
            "schlichtung_laeuft": d.schlichtung_laeuft,
            "entschieden_am": now,
        }
    )


def _abgesehen(f: MinderungFacts, d: Absehen, now: datetime) -> MinderungFacts:
    return f.model_copy(update={"abgesehen_grund": d.grund, "entschieden_am": now})


def _gemeldet(f: MinderungFacts, d: Any, now: datetime) -> MinderungFacts:
    return f.model_copy(update={"gemeldet_am": now})


def feststellung_frist(f: MinderungFacts, policy) -> datetime:
    """R64 (§ 31b): decided within six months (policy) of the missed appointment or breach."""
    return add_months(f.ereignis_am, policy.minderung_feststellung_monate)


def _frist_due(f: MinderungFacts, policy, entered_at: datetime) -> datetime:
    return feststellung_frist(f, policy)


def _keine_schlichtung(f: MinderungFacts, policy) -> bool:
    return not (f.schlichtung_laeuft and regeln(policy, f.regime or "").keine_minderung_in_schlichtung)


KEINE_SCHLICHTUNG = Guard(
    "keine_schlichtung",
    "Keine laufende Schlichtung: während der Schlichtung keine Leistungsminderung (R55)",
    _keine_schlichtung,
)
NICHT_ERREICHBAR = Guard(
    "nicht_erreichbar", "Anlass: nicht erreichbar (R66)", lambda f, p: f.anlass == "nicht_erreichbar"
)
ANGEHOERT = Guard("angehoert", "Anhörung abgeschlossen (R65)", lambda f, p: f.anhoerung is not None)

# R66 (§ 7b as amended): only regimes naming this variant (grundsicherung_2026, regimes.toml).
NICHT_ERREICHBAR_VARIANTE = "nicht_erreichbar"
FRIST = Deadline(
    "frist_fuer_feststellung_abgelaufen", "Entscheidung spätestens sechs Monate nach dem Ereignis (R64)", due=_frist_due
)
STATES = (
    State(
        "anhoerung",
        "Anhörung",
        deadlines=(Deadline("anhoerungsfrist_abgelaufen", "Antwortfrist der Anhörung", delay="anhoerung_frist"), FRIST),
    ),
    State("entscheidung_offen", "Entscheidung offen", deadlines=(FRIST,)),
    State("leistungen_entzogen", "Leistungen entzogen (nicht erreichbar)", variante=NICHT_ERREICHBAR_VARIANTE),
    State("festgestellt", "Minderung festgestellt", final=True),
    State("abgesehen", "Von der Minderung abgesehen", final=True),
    State("verfristet", "Verfristet", final=True),
    State("gemeldet", "Persönlich gemeldet", final=True, variante=NICHT_ERREICHBAR_VARIANTE),
)

KONTAKT = frozenset({EGS, JOBCOACH, IFK, IFK_REHA, LEISTUNG, TEAMLEITUNG})  # staff roles with contact
ENTSCHEIDER = frozenset({LEISTUNG})  # R67
VORSCHLAG = "minderung_vorschlag_berechnen"
ENTSCHEIDUNG = "minderung_entscheidung_pruefen"
TRIGGERS = (
    Trigger(
        "stellungnahme_eingegangen",
        "Stellungnahme eingegangen",
        frozenset({IFK, IFK_REHA, LEISTUNG}),
        Anhoerungsende,
        _anhoerung_beendet("stellungnahme"),
        prepare=VORSCHLAG,
    ),
    Trigger(
        "anhoerungsfrist_abgelaufen",
        "Anhörungsfrist abgelaufen",
        frozenset({SYSTEM}),
        Anhoerungsende,
        _anhoerung_beendet("keine_stellungnahme"),
        prepare=VORSCHLAG,
    ),
    Trigger(
        "minderung_festgestellt",
        "Minderung festgestellt",
        ENTSCHEIDER,
        Feststellung,
        _festgestellt,
        prepare=ENTSCHEIDUNG,
    ),
    Trigger("von_minderung_abgesehen", "Von der Minderung abgesehen", ENTSCHEIDER, Absehen, _abgesehen),
    Trigger("frist_fuer_feststellung_abgelaufen", "Frist für die Feststellung abgelaufen", frozenset({SYSTEM})),
    Trigger(
        "persoenlich_gemeldet", "Persönlich gemeldet", KONTAKT, effect=_gemeldet, variante=NICHT_ERREICHBAR_VARIANTE
    ),
)

ENTSCHEIDEN = TaskSpec(
    "minderung_entscheiden",
    LEISTUNG,
    "Über die Minderung entscheiden: Vorschlag, Anhörung und Härte prüfen (R65, R67)",
    due=_frist_due,  # the inbox orders open decisions by the § 31b limit
)
# R17/R66: while benefits are withheld Leistung follows up (housing costs to the landlord, the person's report).
NACHHALTEN = TaskSpec(
    "entzug_nachhalten",
    LEISTUNG,
    "Leistungen entzogen: Unterkunftskosten an die Vermieterin, persönliche Meldung erfassen (R66)",
)
BESCHEID = ("bescheid_minderung",)
OFFEN = ("anhoerung", "entscheidung_offen")

TRANSITIONS = (
    Transition("stellungnahme_eingegangen", ("anhoerung",), "entscheidung_offen", tasks=(ENTSCHEIDEN,)),
    Transition("anhoerungsfrist_abgelaufen", ("anhoerung",), "entscheidung_offen", tasks=(ENTSCHEIDEN,)),
    # R66: withheld until the person reports in person; R55: none during a Schlichtung (2023 law).
    Transition(
        "minderung_festgestellt",
        ("entscheidung_offen",),
        "leistungen_entzogen",
        guards=(ANGEHOERT, NICHT_ERREICHBAR, KEINE_SCHLICHTUNG),
        letters=BESCHEID,
        tasks=(NACHHALTEN,),
    ),
    Transition(
        "minderung_festgestellt",
        ("entscheidung_offen",),
        "festgestellt",
        guards=(ANGEHOERT, KEINE_SCHLICHTUNG),
        unless=(NICHT_ERREICHBAR,),
        letters=BESCHEID,
    ),
    Transition("von_minderung_abgesehen", OFFEN, "abgesehen", letters=("mitteilung_keine_minderung",)),
    Transition("frist_fuer_feststellung_abgelaufen", OFFEN, "verfristet"),
    Transition(
        "persoenlich_gemeldet",
        (*OFFEN, "leistungen_entzogen"),
        "gemeldet",
        guards=(NICHT_ERREICHBAR,),
        letters=("mitteilung_meldung",),
    ),
)

MINDERUNG = Process(
    name="minderung",
    label="Leistungsminderung",
    initial="anhoerung",
    facts=MinderungFacts,
    start=MinderungStart,
    states=described(STATES, texts.STATES),
    triggers=described(TRIGGERS, texts.TRIGGERS),
    transitions=TRANSITIONS,
    start_roles=frozenset(),  # only a meldetermin or kooperationsplan opens it
    start_letters=("anhoerung_minderung",),
)
