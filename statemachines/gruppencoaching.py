"""gruppencoaching: Bestands-eLb in the Jobakademie's group coaching (R20–R27).

The IFK offers group coaching and hands the case over in a joint Übergabegespräch
(R24); an optional Probezeit moves the case to the Jobcoaches, after which it
stays or goes back to the IFK with the Fallübergabe (R13). The group sessions,
their bookings and the R21 decision are data beside the case (persistence).
Eligibility (R26) is decided on non-personal facts the IFK records: no date of
birth travels to Temporal.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from statemachines.descriptions import gruppencoaching as texts
from statemachines.roles import IFK, JOBCOACH
from statemachines.spec import SYSTEM, Deadline, Guard, Process, State, TaskSpec, Transition, Trigger, described

# --- facts and payloads ----------------------------------------------------------------------


class GruppencoachingStart(BaseModel):
    """Facts the IFK gives when offering group coaching (POST /cases)."""

    model_config = ConfigDict(extra="forbid")
    jugendlich: bool = False  # under 25: R26 applies
    schulpflicht_erfuellt: bool | None = None  # R26: asked only of young people
    sucht_erstausbildung: bool = False  # R26: seeking a first apprenticeship
    jobturbo: bool = False  # R25: refugee after integration/language course


class GruppencoachingFacts(GruppencoachingStart):
    uebergabetermin: datetime | None = None
    probezeit: bool = False  # whether the case went through the optional Probezeit
    erstgespraech_am: datetime | None = None  # concept 5.2: the Jobcoaches' first talk with the person


class UebergabeVereinbart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    termin: datetime


class VoraussetzungenErfasst(BaseModel):
    """Corrected or completed eligibility facts; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")
    jugendlich: bool | None = None
    schulpflicht_erfuellt: bool | None = None
    sucht_erstausbildung: bool | None = None
    jobturbo: bool | None = None


# --- guards (R26, R25) -----------------------------------------------------------------------

SCHULPFLICHT_ERFUELLT = Guard(
    "schulpflicht_erfuellt",
    "Schulpflicht beendet (R26)",
    lambda f, p: not f.jugendlich or f.schulpflicht_erfuellt is True,
)
KEINE_ERSTAUSBILDUNG = Guard(
    "keine_erstausbildung",
    "sucht keine erste Ausbildung (R26)",
    lambda f, p: not f.jugendlich or not f.sucht_erstausbildung,
)
TEILNAHME_MOEGLICH = (SCHULPFLICHT_ERFUELLT, KEINE_ERSTAUSBILDUNG)
JOBTURBO = Guard("jobturbo", "Jobturbo (R25)", lambda f, p: f.jobturbo)

# --- effects ---------------------------------------------------------------------------------


def _set(**values):
    return lambda f, d, now: f.model_copy(update=values)


def _termin(f, d: UebergabeVereinbart, now):
    return f.model_copy(update={"uebergabetermin": d.termin})


def _voraussetzungen(f, d: VoraussetzungenErfasst, now):
    return f.model_copy(update=d.model_dump(exclude_none=True))


# --- states ----------------------------------------------------------------------------------

STATES = (
    State("angeboten", "Gruppencoaching angeboten"),
    State("uebergabe_terminiert", "Übergabegespräch terminiert"),
    State(
        "probezeit",
        "Probezeit bei den Jobcoaches",
        deadlines=(Deadline("probezeit_abgelaufen", "Ende der Probezeit", delay="gc_probezeit"),),
    ),
    State("probezeit_beendet", "Probezeit beendet, Entscheidung offen"),
    State("teilnahme", "Teilnahme am Gruppencoaching"),
    State("rueckgabe_ifk", "An IFK zurückgegeben", final=True),
    State("abgeschlossen", "Gruppencoaching abgeschlossen", final=True),
    State("nicht_angenommen", "Angebot nicht angenommen", final=True),
)

# --- triggers --------------------------------------------------------------------------------

BOTH = frozenset({IFK, JOBCOACH})

TRIGGERS = (
    Trigger(
        "voraussetzungen_erfasst", "Voraussetzungen erfasst", frozenset({IFK}), VoraussetzungenErfasst, _voraussetzungen
    ),
    Trigger("uebergabe_vereinbart", "Übergabegespräch vereinbart", BOTH, UebergabeVereinbart, _termin),
    Trigger("probezeit_begonnen", "Probezeit begonnen", BOTH, effect=_set(probezeit=True)),
    Trigger("teilnahme_begonnen", "Teilnahme ohne Probezeit begonnen", BOTH),
    Trigger("probezeit_abgelaufen", "Probezeit abgelaufen", frozenset({SYSTEM})),
    Trigger("verbleib_vereinbart", "Verbleib im Gruppencoaching vereinbart", frozenset({JOBCOACH})),
    Trigger("an_ifk_zurueckgegeben", "An IFK zurückgegeben", frozenset({JOBCOACH})),
    Trigger("gruppencoaching_beendet", "Gruppencoaching beendet", frozenset({JOBCOACH})),
    Trigger("arbeit_aufgenommen", "Arbeit oder Ausbildung aufgenommen", BOTH),
    Trigger("angebot_abgelehnt", "Angebot abgelehnt", BOTH),
    Trigger(
        "erstgespraech_gefuehrt",
        "Erstgespräch geführt",
        frozenset({JOBCOACH}),
        effect=lambda f, d, now: f.model_copy(update={"erstgespraech_am": f.erstgespraech_am or now}),
    ),
)

# --- tasks (R27; Jobturbo cases go first in the Jobcoaches' queue, R25) -----------------------


# A scheduled appointment, ranked like R27's scheduled clearing appointments.
def _uebergabetermin(f: GruppencoachingFacts, policy, now: datetime) -> datetime | None:
    return f.uebergabetermin  # R18: due at the appointment


UEBERGABEGESPRAECH = TaskSpec(
    "uebergabegespraech",
    JOBCOACH,
    "Übergabegespräch gemeinsam mit der IFK führen (R24)",
    priority=2,
    precedence=JOBTURBO,
    due=_uebergabetermin,
)
# R17: the IFK offered it (R24) and acts next: agree the Übergabegespräch or record the refusal.
UEBERGABE_VEREINBAREN = TaskSpec(
    "uebergabe_vereinbaren", IFK, "Gruppencoaching angeboten: Übergabegespräch vereinbaren (R24)"
)
BEGLEITEN = TaskSpec(
    "gruppencoaching_begleiten",
    JOBCOACH,
    "Teilnahme am Gruppencoaching begleiten, das Ende erfassen (R24)",
    precedence=JOBTURBO,
)
FALLUEBERNAHME_JA = TaskSpec(
    "fallubernahme", JOBCOACH, "Fall im Gruppencoaching übernehmen (Fallübergabe liegt bei, R13)", precedence=JOBTURBO
)
PROBEZEIT_ENTSCHEIDEN = TaskSpec(
    "probezeit_entscheidung",
    JOBCOACH,
    "Probezeit beendet: Verbleib oder Rückgabe an die IFK entscheiden (R24)",
    precedence=JOBTURBO,
)
RUECKNAHME_IFK = TaskSpec(
    "fallubernahme", IFK, "Fall aus dem Gruppencoaching zurücknehmen (Fallübergabe liegt bei, R13)"
)

TO_JA = {"letters": ("fallubergabe",), "tasks": (FALLUEBERNAHME_JA,)}  # R13: every switch is documented
TO_IFK = {"letters": ("fallubergabe",), "tasks": (RUECKNAHME_IFK,)}
IN_PROBEZEIT = ("probezeit", "probezeit_beendet")

TRANSITIONS = (
    Transition("voraussetzungen_erfasst", ("angeboten",), None),
    # R24/R26: the joint Übergabegespräch, only for those who may take part.
    Transition(
        "uebergabe_vereinbart",
        ("angeboten", "uebergabe_terminiert"),
        "uebergabe_terminiert",
        guards=TEILNAHME_MOEGLICH,
        letters=("einladung_uebergabegespraech",),
        tasks=(UEBERGABEGESPRAECH,),
    ),
    # The R26 facts can change only while angeboten, so the guards above cover these steps too.
    Transition("probezeit_begonnen", ("uebergabe_terminiert",), "probezeit", **TO_JA),
    Transition("teilnahme_begonnen", ("uebergabe_terminiert",), "teilnahme", **TO_JA),
    # R24: after the Probezeit the case stays or goes back; deciding early is allowed.
    Transition("probezeit_abgelaufen", ("probezeit",), "probezeit_beendet", tasks=(PROBEZEIT_ENTSCHEIDEN,)),
    Transition("verbleib_vereinbart", IN_PROBEZEIT, "teilnahme", tasks=(BEGLEITEN,)),
    Transition("an_ifk_zurueckgegeben", (*IN_PROBEZEIT, "teilnahme"), "rueckgabe_ifk", **TO_IFK),
    Transition("gruppencoaching_beendet", ("teilnahme",), "abgeschlossen", **TO_IFK),
    Transition("arbeit_aufgenommen", (*IN_PROBEZEIT, "teilnahme"), "abgeschlossen"),
    Transition("angebot_abgelehnt", ("angeboten", "uebergabe_terminiert"), "nicht_angenommen"),
    # Concept 5.2: the Jobcoaches document their first talk with the Bestands-eLb (usually the
    # Übergabegespräch, R24); the state stays, and the date of the first one is kept.
    Transition("erstgespraech_gefuehrt", ("uebergabe_terminiert", *IN_PROBEZEIT, "teilnahme"), None),
)

# Cases in these states book group sessions (R22); new applicants share the sessions.
SITZUNGEN_BUCHBAR: dict[str, frozenset[str]] = {
    "gruppencoaching": frozenset({*IN_PROBEZEIT, "teilnahme"}),
    "neuantrag": frozenset({"gruppencoaching"}),
}

GRUPPENCOACHING = Process(
    name="gruppencoaching",
    label="Gruppencoaching (Bestands-eLb)",
    initial="angeboten",
    facts=GruppencoachingFacts,
    start=GruppencoachingStart,
    states=described(STATES, texts.STATES),
    triggers=described(TRIGGERS, texts.TRIGGERS),
    transitions=TRANSITIONS,
    start_roles=frozenset({IFK}),  # R24: the IFK offers it
    start_tasks=(UEBERGABE_VEREINBAREN,),
)

__all__ = ["GRUPPENCOACHING", "SITZUNGEN_BUCHBAR", "GruppencoachingFacts", "GruppencoachingStart"]
