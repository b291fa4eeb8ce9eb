"""schlichtung: mediation on the Kooperationsplan (§ 15a SGB II, R50–R56).

Always a child of a kooperationsplan case (which starts it and learns its end).
The four-week limit (R54) counts from the request and cannot be paused: every
open state carries the same deadline, computed from `beginn`, not from entering it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from statemachines.kooperationsplan import HASH, Initiator
from statemachines.plan_inhalt import PlanInhalt
from statemachines.spec import SYSTEM, Deadline, Guard, Process, State, Transition, Trigger

# --- facts and payloads ----------------------------------------------------------------------


class SchlichtungStart(BaseModel):
    """Built by the parent kooperationsplan when it spawns the Schlichtung."""

    model_config = ConfigDict(extra="forbid")
    initiiert_von: Initiator  # R51
    beginn: datetime  # R54: the limit runs from here
    beteiligte_fachkraefte: list[str] = Field(default_factory=list)  # from the plan case (R52)


class SchlichtungFacts(SchlichtungStart):
    schlichtungsperson: str | None = None  # a staff user id
    unbefangen: bool | None = None  # R52, checked against the plan case's audit trail
    gespraech: datetime | None = None
    vorschlag_entwurf: str | None = None  # the agreed proposal, stored as a plan draft (R53)
    vorschlag_hash: str | None = None


class SchlichtungspersonBestellt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schlichtungsperson: str = Field(min_length=1, max_length=100)
    unbefangen: bool = Field(False, description="vom System geprüft (R52); eine Angabe wird überschrieben")


class GespraechTerminiert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    termin: datetime


class Einigung(BaseModel):
    """Over the API the body is the proposal (PlanInhalt); it is stored as a draft of the plan."""

    model_config = ConfigDict(extra="forbid")
    entwurf: str = Field(min_length=1, max_length=36)
    inhalt_hash: str = Field(pattern=HASH)
    entwurf_geprueft: bool = Field(False, description="vom System gesetzt: Entwurf gespeichert und unverändert")


def _bestellt(f, d: SchlichtungspersonBestellt, now):
    return f.model_copy(update={"schlichtungsperson": d.schlichtungsperson, "unbefangen": d.unbefangen})


def _termin(f, d: GespraechTerminiert, now):
    return f.model_copy(update={"gespraech": d.termin})


def _einigung(f, d: Einigung, now):
    if not d.entwurf_geprueft:
        raise ValueError(f"Vorschlag {d.entwurf} ist unbekannt, schon verwendet oder verändert")
    return f.model_copy(update={"vorschlag_entwurf": d.entwurf, "vorschlag_hash": d.inhalt_hash})


def frist_ende(f: SchlichtungFacts, policy, entered_at: datetime) -> datetime:
    """R54: four weeks (policy) after the request, whatever happened since."""
    return f.beginn + policy.schlichtung_frist


UNBEFANGEN = Guard(
    "unbefangen",
    "Schlichtungsperson war nicht mit dem Fall befasst (R52)",
    # None until the prepare activity has checked a name: the trigger stays offered, and the
    # check's result (never False in committed facts) decides in the update handler.
    lambda f, p: f.unbefangen is not False,
)
FRIST = Deadline("frist_abgelaufen", "vier Wochen ab Antrag, ohne Pause (R54)", due=frist_ende)

STATES = (
    State("beantragt", "Schlichtung beantragt", deadlines=(FRIST,)),
    State("schlichtungsperson_bestellt", "Schlichtungsperson bestellt", deadlines=(FRIST,)),
    State("gespraech_terminiert", "Schlichtungsgespräch terminiert", deadlines=(FRIST,)),
    State("einigung", "Einigung", final=True),
    State("keine_einigung", "Keine Einigung", final=True),
    State("frist_abgelaufen", "Frist abgelaufen", final=True),
    State("zurueckgenommen", "Zurückgenommen", final=True),
)
OPEN = ("beantragt", "schlichtungsperson_bestellt", "gespraech_terminiert")
BESTELLT = ("schlichtungsperson_bestellt", "gespraech_terminiert")

STELLE = frozenset({"schlichtungsstelle"})
TRIGGERS = (
    Trigger(
        "schlichtungsperson_bestellt", "Schlichtungsperson bestellt", STELLE, SchlichtungspersonBestellt, _bestellt,
        prepare="schlichtung_befangenheit_pruefen",
    ),
    Trigger("gespraech_terminiert", "Schlichtungsgespräch terminiert", STELLE, GespraechTerminiert, _termin),
    Trigger("einigung", "Einigung erzielt", STELLE, Einigung, _einigung, prepare="kp_entwurf_pruefen", api_payload=PlanInhalt),
    Trigger("keine_einigung", "Keine Einigung", STELLE),
    Trigger("frist_abgelaufen", "Frist abgelaufen", frozenset({SYSTEM})),
    Trigger("zurueckgenommen", "Schlichtung zurückgenommen", STELLE | {"ifk", "ifk_reha"}),
)

TRANSITIONS = (
    # R52: only someone who never worked on the plan case; a new appointment replaces the old.
    Transition("schlichtungsperson_bestellt", ("beantragt", "schlichtungsperson_bestellt"), "schlichtungsperson_bestellt", guards=(UNBEFANGEN,)),
    Transition("gespraech_terminiert", BESTELLT, "gespraech_terminiert", letters=("einladung_schlichtung",)),
    # R53/R54: it ends with an agreement, without one, or at the latest after four weeks.
    Transition("einigung", BESTELLT, "einigung"),
    Transition("keine_einigung", BESTELLT, "keine_einigung"),
    Transition("frist_abgelaufen", OPEN, "frist_abgelaufen"),
    Transition("zurueckgenommen", OPEN, "zurueckgenommen"),
)

SCHLICHTUNG = Process(
    name="schlichtung",
    label="Schlichtung",
    initial="beantragt",
    facts=SchlichtungFacts,
    start=SchlichtungStart,
    states=STATES,
    triggers=TRIGGERS,
    transitions=TRANSITIONS,
    start_roles=frozenset(),  # only the kooperationsplan starts it (schlichtung_beantragt)
)
