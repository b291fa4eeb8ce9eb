"""kooperationsplan: the jointly written one-page plan, its reviews and RFB (R40–R46, R50, R55, R56).

The plan's text never reaches the workflow (see plan_inhalt.py): a plan transition
carries the id of a stored draft and its content hash; the facts count versions.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from statemachines.plan_inhalt import PlanInhalt
from statemachines.spec import SYSTEM, ChildEnded, Deadline, Guard, Process, Spawn, State, TaskSpec, Transition, Trigger

Initiator = Literal["elb", "jobcenter", "beide"]
HASH = r"^[0-9a-f]{64}$"

# --- facts and payloads ----------------------------------------------------------------------


class KooperationsplanStart(BaseModel):
    """Facts given when the case is started (POST /cases), none of them personal data."""

    model_config = ConfigDict(extra="forbid")
    rehabilitand: bool = False  # reviews go to IFK-Reha
    beteiligte_fachkraefte: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="Staff user ids in the counselling (R52)"
    )


class KooperationsplanFacts(KooperationsplanStart):
    plan_version: int = 0  # the version in force or last in force; 0: never agreed
    plan_in_kraft: bool = False  # False in ohne_plan: R45
    plan_hash: str | None = None
    plan_entwurf: str | None = None  # the stored draft that became plan_version
    plan_gueltig_seit: datetime | None = None  # R42 counts from here
    schlichtung_beantragt_am: datetime | None = None
    schlichtung_initiiert_von: Initiator | None = None
    schlichtung_ergebnis: str | None = None  # the child's final state
    aufforderungen: int = 0


class PlanFestgelegt(BaseModel):
    """plan_vereinbart / fortgeschrieben. Over the API the body is the plan content
    (PlanInhalt); the API stores it as a draft and sends only these references."""

    model_config = ConfigDict(extra="forbid")
    entwurf: str = Field(min_length=1, max_length=36)
    inhalt_hash: str = Field(pattern=HASH)
    entwurf_geprueft: bool = Field(False, description="vom System gesetzt: Entwurf gespeichert und unverändert")


class SchlichtungBeantragt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    initiiert_von: Initiator  # R51


class MitwirkungVersaeumt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    anlass: Literal["massnahme_nicht_angetreten", "termin_versaeumt", "nachweis_fehlt", "sonstiges"] = "sonstiges"
    frist: date | None = None  # by when to cooperate; the letter says two weeks otherwise


class FachkraftBeteiligt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fachkraft: str = Field(min_length=1, max_length=100)  # a staff user id, not citizen data


# --- effects, guards, deadline -----------------------------------------------------------------


def _in_kraft(f: KooperationsplanFacts, entwurf: str, inhalt_hash: str, now: datetime) -> KooperationsplanFacts:
    return f.model_copy(
        update={
            "plan_version": f.plan_version + 1,
            "plan_in_kraft": True,
            "plan_hash": inhalt_hash,
            "plan_entwurf": entwurf,
            "plan_gueltig_seit": now,
        }
    )


def _plan_festlegen(f: KooperationsplanFacts, d: PlanFestgelegt, now: datetime) -> KooperationsplanFacts:
    if not d.entwurf_geprueft:
        raise ValueError(f"Planentwurf {d.entwurf} ist unbekannt, schon verwendet oder verändert")
    return _in_kraft(f, d.entwurf, d.inhalt_hash, now)


def _ohne_plan(f, d, now):
    return f.model_copy(update={"plan_in_kraft": False})


def _schlichtung_beantragt(f, d: SchlichtungBeantragt, now):
    return f.model_copy(
        update={"schlichtung_beantragt_am": now, "schlichtung_initiiert_von": d.initiiert_von, "schlichtung_ergebnis": None}
    )


def _schlichtung_beendet(f: KooperationsplanFacts, d: ChildEnded, now: datetime) -> KooperationsplanFacts:
    """R53/R56: the agreed proposal becomes the new version; any other end leaves no plan."""
    f = f.model_copy(update={"schlichtung_ergebnis": d.state})
    entwurf, inhalt_hash = d.facts.get("vorschlag_entwurf"), d.facts.get("vorschlag_hash")
    if d.state == "einigung" and entwurf and inhalt_hash:
        return _in_kraft(f, entwurf, inhalt_hash, now)
    return f.model_copy(update={"plan_in_kraft": False})


def _aufforderung(f, d, now):
    return f.model_copy(update={"aufforderungen": f.aufforderungen + 1})


def _fachkraft(f: KooperationsplanFacts, d: FachkraftBeteiligt, now):
    return f.model_copy(update={"beteiligte_fachkraefte": list(dict.fromkeys([*f.beteiligte_fachkraefte, d.fachkraft]))})


def add_months(when: datetime, months: int) -> datetime:
    """The same day `months` later, clamped to the month's end (31 Aug + 6 → 28/29 Feb)."""
    years, month0 = divmod(when.month - 1 + months, 12)
    year, month = when.year + years, month0 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


def ueberpruefung_faellig_am(f: KooperationsplanFacts, policy, entered_at: datetime) -> datetime:
    """R42: at the latest N months after the agreement or update (not after re-entering aktiv)."""
    return add_months(f.plan_gueltig_seit or entered_at, policy.kp_ueberpruefung_monate)


def _schlichtung_start(f: KooperationsplanFacts, d: SchlichtungBeantragt) -> dict[str, Any]:
    return {
        "initiiert_von": d.initiiert_von,
        "beginn": f.schlichtung_beantragt_am.isoformat(),  # R54 runs from the request
        "beteiligte_fachkraefte": list(f.beteiligte_fachkraefte),
    }


SCHLICHTUNG_VERFUEGBAR = Guard("schlichtung_verfuegbar", "Schlichtung verfügbar (R50, R60)", lambda f, p: p.schlichtung_verfuegbar)
EINIGUNG = Guard("einigung", "Schlichtung mit Einigung beendet (R53)", lambda f, p: f.schlichtung_ergebnis == "einigung" and f.plan_in_kraft)
PLAN_IN_KRAFT = Guard("plan_in_kraft", "Kooperationsplan in Kraft (R44)", lambda f, p: f.plan_in_kraft)
REHA = Guard("rehabilitand", "Rehabilitand: IFK-Reha", lambda f, p: f.rehabilitand)

# --- states, triggers, transitions -------------------------------------------------------------

R55 = "Während der Schlichtung keine Leistungsminderung (R55): keine Aufforderung mit Rechtsfolgenbelehrung"
# The Schlichtung reports its end to this case, so it must not outlive it: withdraw it first.
ERST_SCHLICHTUNG = "Erst die laufende Schlichtung beenden (z. B. zurücknehmen), dann den Fall abschließen"

STATES = (
    State("potenzialanalyse", "Potenzialanalyse"),
    State("in_erarbeitung", "Plan in Erarbeitung"),
    State(
        "aktiv",
        "Plan aktiv",
        deadlines=(Deadline("ueberpruefung_faellig", "Überprüfung spätestens nach der Frist (R42)", due=ueberpruefung_faellig_am),),
    ),
    State("in_ueberpruefung", "Plan in Überprüfung"),
    State("in_schlichtung", "In Schlichtung", refusals={"mitwirkung_versaeumt": R55, "leistungsbezug_beendet": ERST_SCHLICHTUNG}),
    State("ohne_plan", "Ohne Plan (RFB-Pflicht)"),
    State("aufforderung_mit_rfb", "Aufforderung mit RFB"),
    State("beendet", "Beendet", final=True),
)
OPEN = tuple(s.name for s in STATES if not s.final)

IFK = frozenset({"ifk", "ifk_reha"})
TRIGGERS = (
    Trigger("potenzialanalyse_abgeschlossen", "Potenzialanalyse abgeschlossen", IFK),
    Trigger("plan_vereinbart", "Plan vereinbart", IFK, PlanFestgelegt, _plan_festlegen, prepare="kp_entwurf_pruefen", api_payload=PlanInhalt),
    Trigger("keine_einigung", "Keine Einigung", IFK, effect=_ohne_plan),
    Trigger("schlichtung_beantragt", "Schlichtung beantragt", IFK, SchlichtungBeantragt, _schlichtung_beantragt),
    Trigger("schlichtung_beendet", "Schlichtung beendet", frozenset({SYSTEM}), ChildEnded, _schlichtung_beendet),
    Trigger("ueberpruefung_faellig", "Überprüfung fällig", frozenset({SYSTEM})),
    Trigger("fortgeschrieben", "Plan fortgeschrieben", IFK, PlanFestgelegt, _plan_festlegen, prepare="kp_entwurf_pruefen", api_payload=PlanInhalt),
    Trigger("mitwirkung_versaeumt", "Mitwirkung versäumt", IFK, MitwirkungVersaeumt, _aufforderung),
    Trigger("mitwirkung_erbracht", "Mitwirkung erbracht", IFK),
    Trigger("erarbeitung_aufgenommen", "Neuer Anlauf für einen Plan", IFK),
    Trigger("fachkraft_beteiligt", "Fachkraft an der Beratung beteiligt", IFK | {"teamleitung"}, FachkraftBeteiligt, _fachkraft),
    Trigger("leistungsbezug_beendet", "Leistungsbezug beendet", IFK | {"leistung"}),
)

UEBERPRUEFEN = TaskSpec("kp_ueberpruefen", "ifk", "Kooperationsplan gemeinsam überprüfen und fortschreiben (R42)")
UEBERPRUEFEN_REHA = TaskSpec("kp_ueberpruefen", "ifk_reha", "Kooperationsplan gemeinsam überprüfen und fortschreiben (R42)")
PLAN_BRIEF = ("kooperationsplan",)
AUFFORDERUNG = ("aufforderung_mitwirkung",)  # the only letter with an RFB (R43–R45)

TRANSITIONS = (
    # R40: the plan is written jointly after the Potenzialanalyse.
    Transition("potenzialanalyse_abgeschlossen", ("potenzialanalyse",), "in_erarbeitung"),
    Transition("plan_vereinbart", ("in_erarbeitung", "ohne_plan"), "aktiv", letters=PLAN_BRIEF),
    Transition("erarbeitung_aufgenommen", ("ohne_plan",), "in_erarbeitung"),
    # R42: reviewed at the latest every six months; every update is a new version.
    Transition("ueberpruefung_faellig", ("aktiv",), "in_ueberpruefung", guards=(REHA,), tasks=(UEBERPRUEFEN_REHA,)),
    Transition("ueberpruefung_faellig", ("aktiv",), "in_ueberpruefung", tasks=(UEBERPRUEFEN,)),
    Transition("fortgeschrieben", ("in_ueberpruefung", "aktiv"), "aktiv", letters=PLAN_BRIEF),
    # R45/R50: no agreement; either without a plan, or a Schlichtung (a child case, R51–R54).
    Transition("keine_einigung", ("in_erarbeitung", "in_ueberpruefung"), "ohne_plan"),
    Transition(
        "schlichtung_beantragt",
        ("in_erarbeitung", "in_ueberpruefung"),
        "in_schlichtung",
        guards=(SCHLICHTUNG_VERFUEGBAR,),
        spawns=(Spawn("schlichtung", _schlichtung_start, report=True),),
    ),
    Transition("schlichtung_beendet", ("in_schlichtung",), "aktiv", guards=(EINIGUNG,), letters=PLAN_BRIEF),
    Transition("schlichtung_beendet", ("in_schlichtung",), "ohne_plan"),  # R56
    # R43–R45: an Aufforderung with RFB when cooperation fails (never during a Schlichtung, R55).
    Transition("mitwirkung_versaeumt", ("aktiv", "ohne_plan"), "aufforderung_mit_rfb", letters=AUFFORDERUNG),
    Transition("mitwirkung_versaeumt", ("aufforderung_mit_rfb",), None, letters=AUFFORDERUNG),
    Transition("mitwirkung_erbracht", ("aufforderung_mit_rfb",), "aktiv", guards=(PLAN_IN_KRAFT,)),  # R44: back without RFB
    Transition("mitwirkung_erbracht", ("aufforderung_mit_rfb",), "ohne_plan"),
    Transition("fachkraft_beteiligt", OPEN, None),
    Transition("leistungsbezug_beendet", tuple(s for s in OPEN if s != "in_schlichtung"), "beendet"),
)

RFB_STATES = frozenset({"ohne_plan", "aufforderung_mit_rfb"})


def _derived(state: str, facts: KooperationsplanFacts) -> dict[str, Any]:
    """rfb_pflicht (R45): without a plan in force, and while an Aufforderung with RFB runs."""
    return {"rfb_pflicht": state in RFB_STATES}


KOOPERATIONSPLAN = Process(
    name="kooperationsplan",
    label="Kooperationsplan",
    initial="potenzialanalyse",
    facts=KooperationsplanFacts,
    start=KooperationsplanStart,
    states=STATES,
    triggers=TRIGGERS,
    transitions=TRANSITIONS,
    start_roles=IFK,
    on_child_end={"schlichtung": "schlichtung_beendet"},
    derived=_derived,
)
