"""schlichtung: mediation on the Kooperationsplan (§ 15a SGB II, R50–R56).

Always a child of a kooperationsplan case (which starts it and learns its end).
The four-week limit (R54) counts from the request and cannot be paused: every
open state carries the same deadline, computed from `beginn`, not from entering it.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from statemachines.descriptions import schlichtung as texts
from statemachines.kooperationsplan import Initiator, PlanFestgelegt, StaffId
from statemachines.plan_inhalt import PlanInhalt
from statemachines.roles import IFK, IFK_REHA, SCHLICHTUNGSSTELLE
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
    vorschlag_entwurf: str | None = None  # the proposal, stored as a plan draft (R53): agreed or not
    vorschlag_hash: str | None = None
    vorschlag_schritte_bis: list[date] = Field(default_factory=list)  # the proposal's step dates (R47)


class SchlichtungspersonBestellt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schlichtungsperson: StaffId  # a staff user id, never free text (it reaches the Temporal history)
    unbefangen: bool = Field(
        False, description="vom System geprüft (R52); eine Angabe wird überschrieben", json_schema_extra=SET_BY_SYSTEM
    )


class GespraechTerminiert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    termin: datetime


class Einigung(PlanFestgelegt):
    """Over the API the body is the proposal (PlanInhalt); it is stored as a draft of the plan and
    only its references reach the workflow, as for the plan itself."""


class Vorschlag(Einigung):
    """R53: the Schlichtungsperson's proposal, recorded before (or without) an agreement; kept as a
    stored draft so the Jobcenter can show it took it into account. Over the API the body is the plan."""


def _bestellt(f, d: SchlichtungspersonBestellt, now):
    return f.model_copy(update={"schlichtungsperson": d.schlichtungsperson, "unbefangen": d.unbefangen})


def _termin(f, d: GespraechTerminiert, now):
    return f.model_copy(update={"gespraech": d.termin})


def _einigung(f, d: Einigung, now):
    if not d.entwurf_geprueft:
        raise ValueError(f"Vorschlag {d.entwurf} ist unbekannt, schon verwendet oder verändert")
    return f.model_copy(
        update={
            "vorschlag_entwurf": d.entwurf,
            "vorschlag_hash": d.inhalt_hash,
            "vorschlag_schritte_bis": list(d.schritte_bis),
        }
    )


def _vorschlag(f, d: Vorschlag, now):
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
FRIST = Deadline(
    "frist_abgelaufen", "Schlichtungsfrist ab Antrag, ohne Pause (R54)", due=frist_ende, marks_overdue=True
)


def _bis_zur_frist(kind: str):
    """R18: the policy's handling time, but never after the R54 limit."""

    def due(f: SchlichtungFacts, policy, now: datetime) -> datetime:
        return min(now + policy.bearbeitungszeit(kind), frist_ende(f, policy, now))

    return due


def _gespraech(f: SchlichtungFacts, policy, now: datetime) -> datetime | None:
    return f.gespraech  # R18: due at the appointment


# R17: a new Schlichtung is the Schlichtungsstelle's, and so is each of its steps.
BESTELLEN = TaskSpec(
    "schlichtungsperson_bestellen",
    SCHLICHTUNGSSTELLE,
    "Schlichtung beantragt: unbefangene Schlichtungsperson bestellen (R52)",
    due=_bis_zur_frist("schlichtungsperson_bestellen"),
)
TERMINIEREN = TaskSpec(
    "schlichtungsgespraech_terminieren",
    SCHLICHTUNGSSTELLE,
    "Schlichtungsgespräch terminieren (R53)",
    due=_bis_zur_frist("schlichtungsgespraech_terminieren"),
)
GESPRAECH = TaskSpec("schlichtungsgespraech", SCHLICHTUNGSSTELLE, "Schlichtungsgespräch führen (R53)", due=_gespraech)

STATES = (
    State("beantragt", "Schlichtung beantragt", deadlines=(FRIST,)),
    State("schlichtungsperson_bestellt", "Schlichtungsperson bestellt", deadlines=(FRIST,)),
    State("gespraech_terminiert", "Schlichtungsgespräch terminiert", deadlines=(FRIST,)),
    State("einigung", "Einigung", final=True),
    State("keine_einigung", "Keine Einigung", final=True),
    State("frist_abgelaufen", "Frist abgelaufen", final=True),
    State("zurueckgenommen", "Zurückgenommen", final=True),
    # R62: the alternative transitional rule ends running Schlichtungen at the change of law.
    State("durch_rechtsaenderung_beendet", "Durch Rechtsänderung beendet", final=True),
)
OPEN = ("beantragt", "schlichtungsperson_bestellt", "gespraech_terminiert")
BESTELLT = ("schlichtungsperson_bestellt", "gespraech_terminiert")

STELLE = frozenset({SCHLICHTUNGSSTELLE})
TRIGGERS = (
    Trigger(
        "schlichtungsperson_bestellt",
        "Schlichtungsperson bestellt",
        STELLE,
        SchlichtungspersonBestellt,
        _bestellt,
        prepare="schlichtung_befangenheit_pruefen",
    ),
    Trigger("gespraech_terminiert", "Schlichtungsgespräch terminiert", STELLE, GespraechTerminiert, _termin),
    Trigger(
        "einigung",
        "Einigung erzielt",
        STELLE,
        Einigung,
        _einigung,
        prepare="kp_entwurf_pruefen",
        api_payload=PlanInhalt,
    ),
    Trigger("keine_einigung", "Keine Einigung", STELLE),
    Trigger(
        "vorschlag_unterbreitet",
        "Vorschlag der Schlichtung festgehalten",
        STELLE,
        Vorschlag,
        _vorschlag,
        prepare="kp_entwurf_pruefen",
        api_payload=PlanInhalt,
    ),
    Trigger("frist_abgelaufen", "Frist abgelaufen", frozenset({SYSTEM})),
    Trigger("zurueckgenommen", "Schlichtung zurückgenommen", STELLE | {IFK, IFK_REHA}),
    # Fired only by `fahrplan regime switch` under the rule "beenden" (R62), never by a person.
    Trigger("durch_rechtsaenderung_beendet", "Durch Rechtsänderung beendet", frozenset({SYSTEM})),
)

TRANSITIONS = (
    # R52: only someone who never worked on the plan case; a new appointment replaces the old.
    Transition(
        "schlichtungsperson_bestellt",
        ("beantragt", "schlichtungsperson_bestellt"),
        "schlichtungsperson_bestellt",
        guards=(UNBEFANGEN,),
        tasks=(TERMINIEREN,),
    ),
    Transition(
        "gespraech_terminiert",
        BESTELLT,
        "gespraech_terminiert",
        letters=("einladung_schlichtung",),
        tasks=(GESPRAECH,),
    ),
    # R53/R54: it ends with an agreement, without one, or at the latest after four weeks.
    Transition("einigung", BESTELLT, "einigung"),
    Transition("keine_einigung", BESTELLT, "keine_einigung"),
    # R53: the proposal is recorded; without agreement the plan case keeps it (to be taken into account).
    Transition("vorschlag_unterbreitet", BESTELLT, None),
    Transition("frist_abgelaufen", OPEN, "frist_abgelaufen"),
    Transition("zurueckgenommen", OPEN, "zurueckgenommen"),
    Transition("durch_rechtsaenderung_beendet", OPEN, "durch_rechtsaenderung_beendet"),  # R62
)

SCHLICHTUNG = Process(
    name="schlichtung",
    label="Schlichtung",
    initial="beantragt",
    facts=SchlichtungFacts,
    start=SchlichtungStart,
    states=described(STATES, texts.STATES),
    triggers=described(TRIGGERS, texts.TRIGGERS),
    transitions=TRANSITIONS,
    start_roles=frozenset(),  # only the kooperationsplan starts it (schlichtung_beantragt)
    start_tasks=(BESTELLEN,),
)
