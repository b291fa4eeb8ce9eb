"""meldetermin: an invitation to an appointment with RFB (Meldeaufforderung, § 32 SGB II, R64, R66).

The invitation letter (date, place, RFB worded per regime) goes out with the start of the
case. A timer fires `termin_verstrichen` some time after the appointment (policy) if nothing
was recorded; the case then waits in `versaeumt` with a task. A miss without good reason
opens a `minderung` child (hearing and decision, R64–R67). The person's count of consecutive
missed appointments is kept across their meldetermin cases (the read model, counted by the
`meldetermin_versaeumnis_pruefen` activity; an attended appointment resets it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from statemachines.descriptions import meldetermin as texts
from statemachines.minderung_vorschlag import Anlass, Regime, regeln, regime_am
from statemachines.roles import EGS, IFK, IFK_REHA, JOBCOACH
from statemachines.spec import (
    SET_BY_SYSTEM,
    SYSTEM,
    Deadline,
    Guard,
    Process,
    Spawn,
    State,
    TaskSpec,
    Transition,
    Trigger,
    described,
)

# A place of an appointment (a site and a room), never a person's data: one line, no free prose.
ORT = r"^[^\n\r]{1,200}$"


class MeldeterminStart(BaseModel):
    """POST /cases with process meldetermin."""

    model_config = ConfigDict(extra="forbid")
    termin: datetime = Field(description="Datum und Uhrzeit des Termins (mit Zeitzone)")
    ort: str = Field(pattern=ORT, max_length=200, examples=["Jobcenter Gevelsberg, Raum 1.12"])
    regime: Regime | None = Field(None, description="Rechtsstand (R61); ohne Angabe der am Termin geltende")

    @field_validator("termin")
    @classmethod
    def _future(cls, termin: datetime, info: ValidationInfo) -> datetime:
        """R64: an invitation is to an appointment still ahead. Checked when a case is started (the
        use case passes `now` in the context), never when the facts are read again later."""
        now = (info.context or {}).get("now")
        if now is not None and termin.tzinfo is not None and termin <= now:
            raise PydanticCustomError("datetime_future", "Der Termin muss in der Zukunft liegen.")
        return termin

    @model_validator(mode="after")
    def _regime(self) -> MeldeterminStart:
        if self.termin.tzinfo is None:
            raise ValueError("termin braucht eine Zeitzone, z. B. 2026-09-01T09:30:00+02:00")
        if self.regime is None:
            self.regime = regime_am(self.termin.date())
        return self


class MeldeterminFacts(MeldeterminStart):
    versaeumnisse_in_folge: int = 0  # with this one, when it was missed without good reason
    schlichtung_laeuft: bool = False  # R55, checked when kein_wichtiger_grund is recorded
    minderung_anlass: Anlass | None = None


class Versaeumnis(BaseModel):
    """kein_wichtiger_grund: completed by the `meldetermin_versaeumnis_pruefen` activity."""

    model_config = ConfigDict(extra="forbid")
    versaeumnisse_in_folge: int = Field(0, ge=0, description="vom System gezählt", json_schema_extra=SET_BY_SYSTEM)
    schlichtung_laeuft: bool = Field(False, description="vom System geprüft (R55)", json_schema_extra=SET_BY_SYSTEM)
    minderung_anlass: Anlass | None = Field(
        None, description="vom System bestimmt (R64, R66)", json_schema_extra=SET_BY_SYSTEM
    )
    geprueft: bool = Field(False, description="vom System gesetzt", json_schema_extra=SET_BY_SYSTEM)


def _versaeumnis(f: MeldeterminFacts, d: Versaeumnis, now):
    if not d.geprueft or d.minderung_anlass is None:
        raise ValueError("Das Versäumnis wurde nicht vom System gezählt")
    return f.model_copy(
        update={
            "versaeumnisse_in_folge": d.versaeumnisse_in_folge,
            "schlichtung_laeuft": d.schlichtung_laeuft,
            "minderung_anlass": d.minderung_anlass,
        }
    )


def termin_verstrichen_am(f: MeldeterminFacts, policy, entered_at: datetime) -> datetime:
    return f.termin + policy.meldetermin_nachfrist


def _minderung_start(f: MeldeterminFacts, d: Any) -> dict[str, Any]:
    return {
        "anlass": f.minderung_anlass,
        "regime": f.regime,
        "ereignis_am": f.termin.isoformat(),
        "versaeumnisse_in_folge": f.versaeumnisse_in_folge,
    }


def _keine_schlichtung(f: MeldeterminFacts, policy) -> bool:
    return not (f.schlichtung_laeuft and regeln(policy, f.regime or "").keine_minderung_in_schlichtung)


KEINE_SCHLICHTUNG = Guard(
    "keine_schlichtung",
    "Keine laufende Schlichtung: während der Schlichtung keine Leistungsminderung (R55)",
    _keine_schlichtung,
)

STATES = (
    State(
        "eingeladen",
        "Eingeladen",
        deadlines=(Deadline("termin_verstrichen", "Termin verstrichen (Nachfrist, R64)", due=termin_verstrichen_am),),
    ),
    State("versaeumt", "Termin versäumt"),
    State("wahrgenommen", "Termin wahrgenommen", final=True),
    State("entschuldigt", "Entschuldigt (wichtiger Grund)", final=True),
    State("minderung_eingeleitet", "Minderung eingeleitet", final=True),
    State("abgesagt", "Termin abgesagt", final=True),
)

FACHKRAFT = frozenset({IFK, IFK_REHA})
TRIGGERS = (
    Trigger("erschienen", "Erschienen", FACHKRAFT | {EGS, JOBCOACH}),
    Trigger("termin_verstrichen", "Termin verstrichen", frozenset({SYSTEM})),
    Trigger("nicht_erschienen", "Nicht erschienen", FACHKRAFT | {EGS, JOBCOACH}),
    Trigger("wichtiger_grund_anerkannt", "Wichtiger Grund anerkannt", FACHKRAFT),
    Trigger(
        "kein_wichtiger_grund",
        "Kein wichtiger Grund",
        FACHKRAFT,
        Versaeumnis,
        _versaeumnis,
        prepare="meldetermin_versaeumnis_pruefen",
    ),
    Trigger("termin_abgesagt", "Termin abgesagt", FACHKRAFT),
)


def _klaeren_bis(f: Any, policy: Any, now: datetime) -> datetime:
    return now + policy.meldetermin_klaeren_in


KLAEREN = TaskSpec(
    "meldetermin_klaeren",
    IFK,
    "Versäumten Meldetermin klären: wichtiger Grund? (R64)",
    due=_klaeren_bis,
)

TRANSITIONS = (
    Transition("erschienen", ("eingeladen", "versaeumt"), "wahrgenommen"),
    Transition("termin_verstrichen", ("eingeladen",), "versaeumt", tasks=(KLAEREN,)),
    Transition("nicht_erschienen", ("eingeladen",), "versaeumt", tasks=(KLAEREN,)),
    Transition("wichtiger_grund_anerkannt", ("versaeumt",), "entschuldigt"),
    Transition(
        "kein_wichtiger_grund",
        ("versaeumt",),
        "minderung_eingeleitet",
        guards=(KEINE_SCHLICHTUNG,),
        spawns=(Spawn("minderung", _minderung_start),),
    ),
    Transition("termin_abgesagt", ("eingeladen",), "abgesagt"),
)

MELDETERMIN = Process(
    name="meldetermin",
    label="Meldetermin",
    initial="eingeladen",
    facts=MeldeterminFacts,
    start=MeldeterminStart,
    states=described(STATES, texts.STATES),
    triggers=described(TRIGGERS, texts.TRIGGERS),
    transitions=TRANSITIONS,
    start_roles=FACHKRAFT,
    start_letters=("einladung_meldetermin",),
)
