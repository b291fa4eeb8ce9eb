"""kooperationsplan: the jointly written one-page plan, its reviews and RFB (R40–R46, R50, R53, R55, R56).

The plan's text never reaches the workflow (see plan_inhalt.py): a plan transition
carries the id of a stored draft and its content hash; the facts count versions.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from statemachines.descriptions import kooperationsplan as texts
from statemachines.plan_inhalt import PlanInhalt
from statemachines.roles import IFK as IFK_ROLE
from statemachines.roles import IFK_REHA, LEISTUNG, TEAMLEITUNG
from statemachines.spec import (
    SET_BY_SYSTEM,
    SYSTEM,
    ChildEnded,
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

Initiator = Literal["elb", "jobcenter", "beide"]
SchrittStatus = Literal["offen", "erledigt", "nicht_erledigt", "entfallen"]  # R47
HASH = r"^[0-9a-f]{64}$"
# A staff user id (e.g. "ifk-2", "erika.muster@jobcenter.de"): no spaces, so free text (a name, a
# sentence about a citizen) cannot reach the facts, the audit trail or the Temporal history. The
# API also checks that the id is a known one (persistence/staff.py).
STAFF_ID = r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$"
StaffId = Annotated[str, Field(pattern=STAFF_ID, max_length=100, examples=["ifk-2"])]

# --- facts and payloads ----------------------------------------------------------------------


class KooperationsplanStart(BaseModel):
    """Facts given when the case is started (POST /cases), none of them personal data."""

    model_config = ConfigDict(extra="forbid")
    rehabilitand: bool = False  # reviews go to IFK-Reha
    beteiligte_fachkraefte: list[StaffId] = Field(
        default_factory=list, max_length=50, description="Staff user ids in the counselling (R52)"
    )


class KooperationsplanFacts(KooperationsplanStart):
    # Not the start's pattern: running cases replay and continue with the facts they were given.
    beteiligte_fachkraefte: list[str] = Field(default_factory=list)
    plan_version: int = 0  # the version in force or last in force; 0: never agreed
    plan_in_kraft: bool = False  # False in ohne_plan: R45
    plan_hash: str | None = None
    plan_entwurf: str | None = None  # the stored draft that became plan_version
    plan_gueltig_seit: datetime | None = None  # R42 counts from here
    schlichtung_beantragt_am: datetime | None = None
    schlichtung_initiiert_von: Initiator | None = None
    schlichtung_ergebnis: str | None = None  # the child's final state
    aufforderungen: int = 0
    letzte_versaeumnis_am: datetime | None = None  # the breach a Minderung counts from (R64, § 31b)
    letzte_pflicht: str | None = None
    minderung_ergebnis: str | None = None  # the last minderung child's final state
    mitwirkung_frist: date | None = None  # the last Aufforderung's own date, if it named one (R43)
    # grundsicherung_2026 (R63): the duties set by Verwaltungsakt, and the first invitation with RFB
    verwaltungsakt_seit: datetime | None = None  # the review (like R42) counts from here
    verwaltungsakte: int = 0
    einladungen_mit_rfb: int = 0
    # R46: the citizen's early reports that an agreement cannot be kept
    meldungen_nicht_einhaltbar: int = 0
    letzte_meldung_nicht_einhaltbar: date | None = None
    meldung_erfasst_am: datetime | None = None  # when the last report was recorded (to compare with the plan)
    # R53: a Schlichtung's proposal that found no agreement, kept (a stored draft) to be taken into account
    schlichtung_vorschlag_entwurf: str | None = None
    schlichtung_vorschlag_hash: str | None = None
    # R47: the steps of the plan in force, by number (1 = the plan's first step), without their text:
    # their due dates (empty for plans agreed before R47: no follow-ups), the status recorded for
    # a step other than "offen", and the steps whose due date has brought them back.
    schritte_bis: list[date] = Field(default_factory=list)
    schritt_status: dict[int, SchrittStatus] = Field(default_factory=dict)
    schritte_vorgelegt: list[int] = Field(default_factory=list)
    schritt_faellig_bis: date | None = None  # the due date of the last follow-up (its task's due date)


class PlanFestgelegt(BaseModel):
    """plan_vereinbart / fortgeschrieben. Over the API the body is the plan content
    (PlanInhalt); the API stores it as a draft and sends only these references."""

    model_config = ConfigDict(extra="forbid")
    entwurf: str = Field(min_length=1, max_length=36)
    inhalt_hash: str = Field(pattern=HASH)
    entwurf_geprueft: bool = Field(
        False, description="vom System gesetzt: Entwurf gespeichert und unverändert", json_schema_extra=SET_BY_SYSTEM
    )
    schritte_bis: list[date] = Field(
        default_factory=list,
        max_length=40,
        description="vom System gesetzt: die Termine der Schritte des Entwurfs (R47)",
        json_schema_extra=SET_BY_SYSTEM,
    )


class SchrittErfasst(BaseModel):
    """R47: the IFK records how a step of the plan in force went (the state stays)."""

    model_config = ConfigDict(extra="forbid")
    schritt: int = Field(ge=1, le=40, description="Nummer des Schritts im Plan (1 = erster Schritt)")
    status: SchrittStatus


class SchlichtungBeantragt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    initiiert_von: Initiator  # R51


class MitwirkungVersaeumt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    anlass: Literal["massnahme_nicht_angetreten", "termin_versaeumt", "nachweis_fehlt", "sonstiges"] = "sonstiges"
    frist: date | None = None  # by when to cooperate; otherwise the policy's mitwirkung_frist after the letter


class AbspracheNichtEinhaltbar(BaseModel):
    """R46: the citizen reports early that an agreement of the plan cannot be kept (no free text:
    what and why stay in the Gesprächsvermerk, R15)."""

    model_config = ConfigDict(extra="forbid")
    betrifft: Literal["schritt", "termin", "sonstiges"] = "sonstiges"
    gemeldet_am: date | None = Field(None, description="wann die Person es gemeldet hat; ohne Angabe: heute")


class VerwaltungsaktErlassen(BaseModel):
    """R63: the duties set by Verwaltungsakt with RFB (their text stays in the file, not here)."""

    model_config = ConfigDict(extra="forbid")
    anlass: Literal["kein_plan_vereinbart", "vereinbarungen_nicht_eingehalten"] = "kein_plan_vereinbart"


class PflichtenVerletzt(BaseModel):
    """R63/R65: a duty set by Verwaltungsakt (with RFB) not kept: a breach, heard in a minderung child."""

    model_config = ConfigDict(extra="forbid")
    anlass: Literal["massnahme_nicht_angetreten", "termin_versaeumt", "nachweis_fehlt", "sonstiges"] = "sonstiges"


class EinladungPotenzialanalyse(BaseModel):
    """R63: the first invitation to the Potenzialanalyse, with RFB (grundsicherung_2026 only)."""

    model_config = ConfigDict(extra="forbid")
    termin: datetime


class FachkraftBeteiligt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fachkraft: StaffId  # a staff user id, not citizen data


# --- effects, guards, deadline -----------------------------------------------------------------


def _in_kraft(
    f: KooperationsplanFacts, entwurf: str, inhalt_hash: str, now: datetime, schritte_bis: list[date] | None = None
) -> KooperationsplanFacts:
    """A new version is in force; its steps all start `offen` (R47). A step dated before the day of
    the agreement was talked about in it: only the steps due from that day on come back later."""
    schritte_bis = list(schritte_bis or [])
    return f.model_copy(
        update={
            "plan_version": f.plan_version + 1,
            "plan_in_kraft": True,
            "plan_hash": inhalt_hash,
            "plan_entwurf": entwurf,
            "plan_gueltig_seit": now,
            "schritte_bis": schritte_bis,
            "schritt_status": {},
            "schritte_vorgelegt": [nr for nr, bis in enumerate(schritte_bis, 1) if bis < now.date()],
            "schritt_faellig_bis": None,
        }
    )


def _plan_festlegen(f: KooperationsplanFacts, d: PlanFestgelegt, now: datetime) -> KooperationsplanFacts:
    if not d.entwurf_geprueft:
        raise ValueError(f"Planentwurf {d.entwurf} ist unbekannt, schon verwendet oder verändert")
    return _in_kraft(f, d.entwurf, d.inhalt_hash, now, d.schritte_bis)


def _offen(f: KooperationsplanFacts, nr: int) -> bool:
    return f.schritt_status.get(nr, "offen") == "offen"


def _schritt_erfasst(f: KooperationsplanFacts, d: SchrittErfasst, now: datetime) -> KooperationsplanFacts:
    """R47: a step's status; `offen` again takes a status back. A plan agreed before R47 does not
    know its number of steps here: the API checks the number against the stored version."""
    if f.schritte_bis and d.schritt > len(f.schritte_bis):
        raise ValueError(f"Schritt {d.schritt} gibt es im Plan nicht; er hat {len(f.schritte_bis)} Schritte")
    status = {nr: s for nr, s in f.schritt_status.items() if nr != d.schritt}
    if d.status != "offen":
        status[d.schritt] = d.status
    return f.model_copy(update={"schritt_status": dict(sorted(status.items()))})


def _tagesbeginn(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def schritt_faellig_am(f: KooperationsplanFacts, policy, entered_at: datetime) -> datetime | None:
    """R47: the earliest due date of an open step not yet brought back (start of that day, UTC)."""
    due = [bis for nr, bis in enumerate(f.schritte_bis, 1) if nr not in f.schritte_vorgelegt and _offen(f, nr)]
    return _tagesbeginn(min(due)) if due else None


def _schritte_vorlegen(f: KooperationsplanFacts, d: None, now: datetime) -> KooperationsplanFacts:
    """R47: every open step whose day has come is brought back for follow-up (Wiedervorlage)."""
    due = [
        (nr, bis)
        for nr, bis in enumerate(f.schritte_bis, 1)
        if nr not in f.schritte_vorgelegt and _offen(f, nr) and _tagesbeginn(bis) <= now
    ]
    if not due:
        return f
    return f.model_copy(
        update={
            "schritte_vorgelegt": sorted({*f.schritte_vorgelegt, *(nr for nr, _ in due)}),
            "schritt_faellig_bis": max(bis for _, bis in due),
        }
    )


def schritt_nachhalten_bis(f: KooperationsplanFacts, policy, now: datetime) -> datetime | None:
    """R47 with R18: the follow-up is due on the step's own date (end of that day, UTC)."""
    if f.schritt_faellig_bis is None:
        return None
    return datetime.combine(f.schritt_faellig_bis, time(23, 59), tzinfo=UTC)


def _ohne_plan(f, d, now):
    return f.model_copy(update={"plan_in_kraft": False})


def _schlichtung_beantragt(f, d: SchlichtungBeantragt, now):
    return f.model_copy(
        update={
            "schlichtung_beantragt_am": now,
            "schlichtung_initiiert_von": d.initiiert_von,
            "schlichtung_ergebnis": None,
            "schlichtung_vorschlag_entwurf": None,  # an earlier proposal stays stored (plan_versions, R53)
            "schlichtung_vorschlag_hash": None,
        }
    )


def _schlichtung_beendet(f: KooperationsplanFacts, d: ChildEnded, now: datetime) -> KooperationsplanFacts:
    """R53/R56: the agreed proposal becomes the new version; any other end leaves no plan, and a
    proposal that found no agreement is kept, so the Jobcenter can show it took it into account."""
    f = f.model_copy(update={"schlichtung_ergebnis": d.state})
    entwurf, inhalt_hash = d.facts.get("vorschlag_entwurf"), d.facts.get("vorschlag_hash")
    if d.state == "einigung" and entwurf and inhalt_hash:
        schritte_bis = [date.fromisoformat(bis) for bis in d.facts.get("vorschlag_schritte_bis") or []]
        return _in_kraft(f, entwurf, inhalt_hash, now, schritte_bis)
    if entwurf and inhalt_hash:
        f = f.model_copy(update={"schlichtung_vorschlag_entwurf": entwurf, "schlichtung_vorschlag_hash": inhalt_hash})
    return f.model_copy(update={"plan_in_kraft": False})


def _nicht_einhaltbar(f: KooperationsplanFacts, d: AbspracheNichtEinhaltbar, now: datetime) -> KooperationsplanFacts:
    return f.model_copy(
        update={
            "meldungen_nicht_einhaltbar": f.meldungen_nicht_einhaltbar + 1,
            "letzte_meldung_nicht_einhaltbar": d.gemeldet_am or now.date(),
            "meldung_erfasst_am": now,
        }
    )


def _aufforderung(f, d: MitwirkungVersaeumt, now):
    return f.model_copy(
        update={
            "aufforderungen": f.aufforderungen + 1,
            "letzte_versaeumnis_am": now,
            "letzte_pflicht": d.anlass,
            "mitwirkung_frist": d.frist,
        }
    )


def _pflichten_verletzt(f: KooperationsplanFacts, d: PflichtenVerletzt, now: datetime) -> KooperationsplanFacts:
    """No Aufforderung first: the Verwaltungsakt already carried the RFB (R63)."""
    return f.model_copy(update={"letzte_versaeumnis_am": now, "letzte_pflicht": d.anlass})


def _minderung_beendet(f: KooperationsplanFacts, d: ChildEnded, now: datetime) -> KooperationsplanFacts:
    return f.model_copy(update={"minderung_ergebnis": d.state})


def _minderung_start(f: KooperationsplanFacts, d: MitwirkungVersaeumt | PflichtenVerletzt) -> dict[str, Any]:
    """R65: a breach after an Aufforderung with RFB, or of duties set by Verwaltungsakt (R63), goes
    to a hearing (the regime of its day, R61)."""
    return {"anlass": "pflichtverletzung", "ereignis_am": f.letzte_versaeumnis_am.isoformat(), "pflicht": d.anlass}


def _va_minderung_start(f: KooperationsplanFacts, d: PflichtenVerletzt) -> dict[str, Any]:
    """R63/R65: the breach of duties set by Verwaltungsakt; the letters name the act as its RFB."""
    return _minderung_start(f, d) | {"grundlage": "verwaltungsakt"}


def _verwaltungsakt(f: KooperationsplanFacts, d: VerwaltungsaktErlassen, now: datetime) -> KooperationsplanFacts:
    return f.model_copy(
        update={"plan_in_kraft": False, "verwaltungsakt_seit": now, "verwaltungsakte": f.verwaltungsakte + 1}
    )


def _plan_statt_verwaltungsakt(f: KooperationsplanFacts, d: PlanFestgelegt, now: datetime) -> KooperationsplanFacts:
    """plan_vereinbart: a plan agreed replaces the duties set by Verwaltungsakt (R63)."""
    return _plan_festlegen(f, d, now).model_copy(update={"verwaltungsakt_seit": None})


def _eingeladen_mit_rfb(f: KooperationsplanFacts, d: EinladungPotenzialanalyse, now: datetime):
    return f.model_copy(update={"einladungen_mit_rfb": f.einladungen_mit_rfb + 1})


def _fachkraft(f: KooperationsplanFacts, d: FachkraftBeteiligt, now):
    return f.model_copy(
        update={"beteiligte_fachkraefte": list(dict.fromkeys([*f.beteiligte_fachkraefte, d.fachkraft]))}
    )


def add_months(when: datetime, months: int) -> datetime:
    """The same day `months` later, clamped to the month's end (31 Aug + 6 → 28/29 Feb)."""
    years, month0 = divmod(when.month - 1 + months, 12)
    year, month = when.year + years, month0 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


def ueberpruefung_faellig_am(f: KooperationsplanFacts, policy, entered_at: datetime) -> datetime:
    """R42: at the latest N months after the agreement or update (not after re-entering aktiv)."""
    return add_months(f.plan_gueltig_seit or entered_at, policy.kp_ueberpruefung_monate)


def ueberpruefung_abschliessen_bis(f: KooperationsplanFacts, policy, entered_at: datetime) -> datetime | None:
    """R42: the joint review itself has a period of its own (policy; None: none), from entering it."""
    return None if policy.kp_ueberpruefung_frist is None else entered_at + policy.kp_ueberpruefung_frist


def va_ueberpruefung_am(f: KooperationsplanFacts, policy, entered_at: datetime) -> datetime:
    """R63 with R42: duties set by Verwaltungsakt are reviewed like a plan, counted from the act."""
    return add_months(f.verwaltungsakt_seit or entered_at, policy.kp_ueberpruefung_monate)


def _schlichtung_start(f: KooperationsplanFacts, d: SchlichtungBeantragt) -> dict[str, Any]:
    return {
        "initiiert_von": d.initiiert_von,
        "beginn": f.schlichtung_beantragt_am.isoformat(),  # R54 runs from the request
        "beteiligte_fachkraefte": list(f.beteiligte_fachkraefte),
    }


SCHLICHTUNG_VERFUEGBAR = Guard(
    "schlichtung_verfuegbar", "Schlichtung verfügbar (R50, R60)", lambda f, p: p.schlichtung_verfuegbar
)
EINIGUNG = Guard(
    "einigung",
    "Schlichtung mit Einigung beendet (R53)",
    lambda f, p: f.schlichtung_ergebnis == "einigung" and f.plan_in_kraft,
)
PLAN_IN_KRAFT = Guard("plan_in_kraft", "Kooperationsplan in Kraft (R44)", lambda f, p: f.plan_in_kraft)
ERSTE_EINLADUNG = Guard(
    "erste_einladung",
    "Erste Einladung zur Potenzialanalyse (R63)",
    lambda f, p: f.einladungen_mit_rfb == 1,  # guards see the facts after the effect: this one is the first
)
REHA = Guard("rehabilitand", "Rehabilitand: IFK-Reha", lambda f, p: f.rehabilitand)
MELDUNG_UNGEKLAERT = Guard(
    "meldung_ungeklaert",
    "Gemeldete Absprache noch ungeklärt (R46)",
    # reported after the plan in force was agreed or updated: no review has ended in a new version since
    lambda f, p: (
        p.kp_gemeldete_absprache_ueberpruefen
        and f.meldung_erfasst_am is not None
        and (f.plan_gueltig_seit is None or f.meldung_erfasst_am > f.plan_gueltig_seit)
    ),
)
VORGELEGTE_ERFASST = Guard(
    "vorgelegte_schritte_erfasst",
    "Alle fälligen Schritte haben einen Stand (R47)",
    lambda f, p: all(not _offen(f, nr) for nr in f.schritte_vorgelegt),
)

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
        deadlines=(
            Deadline(
                "ueberpruefung_faellig",
                "Überprüfung spätestens nach der Frist (R42)",
                due=ueberpruefung_faellig_am,
                marks_overdue=True,
            ),
            # R47: fires again for every later due date (repeats), not once per entry.
            Deadline("schritt_faellig", "Ein Schritt des Plans ist fällig (R47)", due=schritt_faellig_am, repeats=True),
        ),
    ),
    State(
        "in_ueberpruefung",
        "Plan in Überprüfung",
        deadlines=(
            Deadline(
                "ueberpruefung_ueberfaellig",
                "Überprüfung innerhalb der Frist abschließen (R42)",
                due=ueberpruefung_abschliessen_bis,
                marks_overdue=True,
            ),
        ),
    ),
    State(
        "in_schlichtung",
        "In Schlichtung",
        refusals={"mitwirkung_versaeumt": R55, "leistungsbezug_beendet": ERST_SCHLICHTUNG},
    ),
    State("ohne_plan", "Ohne Plan (RFB-Pflicht)"),
    State("aufforderung_mit_rfb", "Aufforderung mit RFB"),
    State(
        "pflichten_per_verwaltungsakt",
        "Pflichten per Verwaltungsakt (RFB)",
        deadlines=(
            Deadline(
                "ueberpruefung_faellig",
                "Überprüfung der Pflichten spätestens nach der Frist (R63, R42)",
                due=va_ueberpruefung_am,
                marks_overdue=True,
            ),
        ),
        variante="pflichten_per_verwaltungsakt",
    ),
    State("beendet", "Beendet", final=True),
)
OPEN = tuple(s.name for s in STATES if not s.final)

IFK = frozenset({IFK_ROLE, IFK_REHA})
TRIGGERS = (
    Trigger("potenzialanalyse_abgeschlossen", "Potenzialanalyse abgeschlossen", IFK),
    Trigger(
        "plan_vereinbart",
        "Plan vereinbart",
        IFK,
        PlanFestgelegt,
        _plan_statt_verwaltungsakt,
        prepare="kp_entwurf_pruefen",
        api_payload=PlanInhalt,
    ),
    Trigger("keine_einigung", "Keine Einigung", IFK, effect=_ohne_plan),
    Trigger("schlichtung_beantragt", "Schlichtung beantragt", IFK, SchlichtungBeantragt, _schlichtung_beantragt),
    Trigger("schlichtung_beendet", "Schlichtung beendet", frozenset({SYSTEM}), ChildEnded, _schlichtung_beendet),
    Trigger("ueberpruefung_faellig", "Überprüfung fällig", frozenset({SYSTEM})),
    Trigger(
        "fortgeschrieben",
        "Plan fortgeschrieben",
        IFK,
        PlanFestgelegt,
        _plan_festlegen,
        prepare="kp_entwurf_pruefen",
        api_payload=PlanInhalt,
    ),
    Trigger("mitwirkung_versaeumt", "Mitwirkung versäumt", IFK, MitwirkungVersaeumt, _aufforderung),
    # The API checks the step against the stored plan (its converter), then sends the same data.
    Trigger("schritt_erfasst", "Schritt erfasst", IFK, SchrittErfasst, _schritt_erfasst, api_payload=SchrittErfasst),
    Trigger("schritt_faellig", "Schritt fällig", frozenset({SYSTEM}), effect=_schritte_vorlegen),
    Trigger("mitwirkung_erbracht", "Mitwirkung erbracht", IFK),
    Trigger(
        "absprache_nicht_einhaltbar",
        "Absprache nicht einhaltbar (Meldung der Person)",
        IFK,
        AbspracheNichtEinhaltbar,
        _nicht_einhaltbar,
    ),
    Trigger("ueberpruefung_ueberfaellig", "Überprüfung überfällig", frozenset({SYSTEM})),
    Trigger("minderung_beendet", "Minderungsverfahren beendet", frozenset({SYSTEM}), ChildEnded, _minderung_beendet),
    Trigger("erarbeitung_aufgenommen", "Neuer Anlauf für einen Plan", IFK),
    Trigger(
        "fachkraft_beteiligt",
        "Fachkraft an der Beratung beteiligt",
        IFK | {TEAMLEITUNG},
        FachkraftBeteiligt,
        _fachkraft,
    ),
    Trigger("leistungsbezug_beendet", "Leistungsbezug beendet", IFK | {LEISTUNG}),
    Trigger(
        "verwaltungsakt_erlassen",
        "Pflichten per Verwaltungsakt festgelegt",
        IFK,
        VerwaltungsaktErlassen,
        _verwaltungsakt,
        variante="pflichten_per_verwaltungsakt",
    ),
    Trigger(
        "pflichten_verletzt",
        "Pflichten aus dem Verwaltungsakt verletzt",
        IFK,
        PflichtenVerletzt,
        _pflichten_verletzt,
        variante="pflichten_per_verwaltungsakt",
    ),
    Trigger(
        "potenzialanalyse_einladung_mit_rfb",
        "Zur Potenzialanalyse eingeladen (mit RFB)",
        IFK,
        EinladungPotenzialanalyse,
        _eingeladen_mit_rfb,
        variante="einladung_mit_rfb",
    ),
)

NICHT_REHA = Guard("kein_rehabilitand", "kein Rehabilitand: IFK", lambda f, p: not f.rehabilitand)
FRIST_ABGELAUFEN = Guard(
    "schlichtungsfrist_abgelaufen",
    "Schlichtung ohne Ergebnis in der Frist beendet (R54)",
    lambda f, p: f.schlichtung_ergebnis == "frist_abgelaufen",
)


def _ifk(kind: str, title: str, due=None) -> tuple[TaskSpec, TaskSpec]:
    """R17: the case's own caseworker acts next: the IFK, or the IFK-Reha for rehabilitants."""
    return (
        TaskSpec(kind, IFK_ROLE, title, due=due, when=NICHT_REHA),
        TaskSpec(kind, IFK_REHA, title, due=due, when=REHA),
    )


def mitwirkung_bis(f: KooperationsplanFacts, policy, now: datetime) -> datetime:
    """R43: the Aufforderung's own date (end of that day, UTC), else the policy's period from the letter."""
    if f.mitwirkung_frist is not None:
        return datetime.combine(f.mitwirkung_frist, time(23, 59), tzinfo=UTC)
    return now + policy.mitwirkung_frist


POTENZIALANALYSE = _ifk("potenzialanalyse", "Potenzialanalyse durchführen (R40)")
ERARBEITEN = _ifk("kp_erarbeiten", "Kooperationsplan gemeinsam erarbeiten (R40, R41)")
UEBERPRUEFEN = _ifk("kp_ueberpruefen", "Kooperationsplan gemeinsam überprüfen und fortschreiben (R42)")
# R46: the citizen's early report leads to a joint review of the plan: together find a solution.
NICHT_EINHALTBAR = _ifk(
    "kp_ueberpruefen", "Absprache nicht einhaltbar gemeldet: Plan gemeinsam überprüfen und anpassen (R46, R42)"
)
ABSPRACHE_KLAEREN = _ifk(
    "absprache_klaeren",
    "Absprache nicht einhaltbar gemeldet: gemeinsam eine Lösung finden, wichtigen Grund prüfen (R46)",
)
UEBERPRUEFUNG_UEBERFAELLIG = TaskSpec(
    "kp_ueberpruefung_ueberfaellig",
    TEAMLEITUNG,
    "Überprüfung des Kooperationsplans über die Frist hinaus offen: nachhalten (R42)",
)
NEUER_ANLAUF = _ifk("kp_neuer_anlauf", "Ohne Kooperationsplan: neuen Anlauf für einen Plan nehmen (R45)")
MITWIRKUNG_NACHHALTEN = _ifk(
    "mitwirkung_nachhalten", "Aufforderung zur Mitwirkung: Frist nachhalten (R43)", due=mitwirkung_bis
)
NACH_EINIGUNG = _ifk("schlichtung_ergebnis", "Schlichtung mit Einigung beendet: neue Planversion besprechen (R53)")
SCHRITT_NACHHALTEN = _ifk(
    "kp_schritt_nachhalten",
    "Schritt des Kooperationsplans fällig: nachhalten und Stand erfassen (R47)",
    due=schritt_nachhalten_bis,
)
OHNE_EINIGUNG = _ifk("schlichtung_ergebnis", "Schlichtung ohne Einigung beendet: weiter ohne Plan (R56)")
VORSCHLAG_OFFEN = Guard(
    "schlichtungsvorschlag_offen",
    "Vorschlag der Schlichtung ohne Einigung festgehalten (R53)",
    lambda f, p: f.schlichtung_vorschlag_entwurf is not None and not f.plan_in_kraft,
)
VORSCHLAG_BERUECKSICHTIGEN = _ifk(
    "schlichtung_ergebnis",
    "Schlichtung ohne Einigung beendet: Vorschlag der Schlichtung beim neuen Anlauf berücksichtigen (R53, R56)",
)
PLAN_BRIEF = ("kooperationsplan",)
MINDERUNG_PATCH = "kp-pflichtverletzung-minderung"  # workflow.patched id of the minderung child
AUFFORDERUNG = ("aufforderung_mitwirkung",)  # with an RFB (R43–R45)
VERWALTUNGSAKT = ("pflichten_verwaltungsakt",)  # grundsicherung_2026: the duties with RFB (R63)
EINLADUNG_RFB = ("einladung_potenzialanalyse_rfb",)  # grundsicherung_2026: the first invitation (R63)
VA_UEBERPRUEFEN = TaskSpec(
    "kp_va_ueberpruefen", IFK_ROLE, "Pflichten aus dem Verwaltungsakt überprüfen, Plan neu anbieten (R63)"
)
VA_UEBERPRUEFEN_REHA = TaskSpec(
    "kp_va_ueberpruefen", IFK_REHA, "Pflichten aus dem Verwaltungsakt überprüfen, Plan neu anbieten (R63)"
)

TRANSITIONS = (
    # R40: the plan is written jointly after the Potenzialanalyse.
    Transition("potenzialanalyse_abgeschlossen", ("potenzialanalyse",), "in_erarbeitung", tasks=ERARBEITEN),
    Transition(
        "plan_vereinbart", ("in_erarbeitung", "ohne_plan", "pflichten_per_verwaltungsakt"), "aktiv", letters=PLAN_BRIEF
    ),
    Transition("erarbeitung_aufgenommen", ("ohne_plan",), "in_erarbeitung", tasks=ERARBEITEN),
    # R42: reviewed at the latest every six months; every update is a new version. Two declarations
    # for the two roles' tasks as before (the guarded one first): running cases replay unchanged.
    Transition("ueberpruefung_faellig", ("aktiv",), "in_ueberpruefung", guards=(REHA,), tasks=UEBERPRUEFEN),
    Transition("ueberpruefung_faellig", ("aktiv",), "in_ueberpruefung", tasks=UEBERPRUEFEN),
    Transition("fortgeschrieben", ("in_ueberpruefung", "aktiv"), "aktiv", letters=PLAN_BRIEF),
    # R42: the review has a period of its own; past it the case is overdue and the Teamleitung follows it up.
    Transition("ueberpruefung_ueberfaellig", ("in_ueberpruefung",), None, tasks=(UEBERPRUEFUNG_UEBERFAELLIG,)),
    # R46: the citizen reports early that an agreement cannot be kept: a joint review of the plan;
    # during a review it is recorded; while an Aufforderung runs the IFK looks for a solution.
    Transition("absprache_nicht_einhaltbar", ("aktiv",), "in_ueberpruefung", tasks=NICHT_EINHALTBAR),
    Transition("absprache_nicht_einhaltbar", ("in_ueberpruefung",), None),
    Transition(
        "absprache_nicht_einhaltbar",
        ("aufforderung_mit_rfb", "pflichten_per_verwaltungsakt"),
        None,
        tasks=ABSPRACHE_KLAEREN,
    ),
    # R47: a step's due date brings it back to the IFK (a task due that day); the IFK records each
    # step's status while the plan is in force and at the review, which starts from them. The
    # follow-up tasks close once every step brought back has a status.
    Transition("schritt_faellig", ("aktiv",), None, tasks=SCHRITT_NACHHALTEN),
    Transition(
        "schritt_erfasst",
        ("aktiv", "in_ueberpruefung"),
        None,
        guards=(VORGELEGTE_ERFASST,),
        closes=("kp_schritt_nachhalten",),
    ),
    Transition("schritt_erfasst", ("aktiv", "in_ueberpruefung"), None),
    # R45/R50: no agreement; either without a plan, or a Schlichtung (a child case, R51–R54).
    Transition("keine_einigung", ("in_erarbeitung", "in_ueberpruefung"), "ohne_plan", tasks=NEUER_ANLAUF),
    Transition(
        "schlichtung_beantragt",
        ("in_erarbeitung", "in_ueberpruefung"),
        "in_schlichtung",
        guards=(SCHLICHTUNG_VERFUEGBAR,),
        spawns=(Spawn("schlichtung", _schlichtung_start, report=True),),
    ),
    # R17: the end of a Schlichtung is the IFK's; one ended by its time limit leaves the case overdue (R18).
    Transition(
        "schlichtung_beendet",
        ("in_schlichtung",),
        "aktiv",
        guards=(EINIGUNG,),
        letters=PLAN_BRIEF,
        tasks=NACH_EINIGUNG,
    ),
    Transition(
        "schlichtung_beendet",
        ("in_schlichtung",),
        "ohne_plan",
        guards=(FRIST_ABGELAUFEN,),
        tasks=OHNE_EINIGUNG,
        marks_overdue=True,
    ),
    # R53: a proposal that found no agreement is kept; the IFK takes it into account (R56).
    Transition(
        "schlichtung_beendet",
        ("in_schlichtung",),
        "ohne_plan",
        guards=(VORSCHLAG_OFFEN,),
        tasks=VORSCHLAG_BERUECKSICHTIGEN,
    ),
    Transition("schlichtung_beendet", ("in_schlichtung",), "ohne_plan", tasks=OHNE_EINIGUNG),  # R56
    # R43–R45: an Aufforderung with RFB when cooperation fails (never during a Schlichtung, R55);
    # also during a review (R42, R44): the plan stays in force until it is updated.
    Transition(
        "mitwirkung_versaeumt",
        ("aktiv", "ohne_plan", "in_ueberpruefung"),
        "aufforderung_mit_rfb",
        letters=AUFFORDERUNG,
        tasks=MITWIRKUNG_NACHHALTEN,
    ),
    # R65: not kept after the Aufforderung with RFB: a breach of duty, heard in a minderung child
    # (before the patch: one more Aufforderung; the letter is the record's, replay ignores it).
    # The IFK keeps following up the cooperation; the decision is Leistung's in the child.
    Transition(
        "mitwirkung_versaeumt",
        ("aufforderung_mit_rfb",),
        None,
        spawns=(Spawn("minderung", _minderung_start, report=True, patch=MINDERUNG_PATCH),),
        tasks=MITWIRKUNG_NACHHALTEN,
        closes=("mitwirkung_nachhalten",),
    ),
    Transition("minderung_beendet", OPEN, None),
    # R44 with R46: back without RFB; a reported agreement that no updated plan has settled yet (its
    # review was interrupted by the Aufforderung, or it was reported during it) goes to the review.
    Transition(
        "mitwirkung_erbracht",
        ("aufforderung_mit_rfb",),
        "in_ueberpruefung",
        guards=(PLAN_IN_KRAFT, MELDUNG_UNGEKLAERT),
        tasks=NICHT_EINHALTBAR,
    ),
    Transition(
        "mitwirkung_erbracht", ("aufforderung_mit_rfb",), "aktiv", guards=(PLAN_IN_KRAFT,)
    ),  # R44: back without RFB
    Transition("mitwirkung_erbracht", ("aufforderung_mit_rfb",), "ohne_plan", tasks=NEUER_ANLAUF),
    # R63 (grundsicherung_2026 only): without a plan, or when agreements are not kept, the duties by
    # Verwaltungsakt with RFB; reviewed like a plan; an agreed plan (without RFB) replaces them.
    Transition(
        "verwaltungsakt_erlassen",
        ("ohne_plan", "aufforderung_mit_rfb", "pflichten_per_verwaltungsakt"),
        "pflichten_per_verwaltungsakt",
        letters=VERWALTUNGSAKT,
    ),
    # R63/R65: a duty set by Verwaltungsakt not kept is a breach: heard in a minderung child at once
    # (the act carried the RFB). A new trigger: no recorded history holds it, so replay is unaffected.
    Transition(
        "pflichten_verletzt",
        ("pflichten_per_verwaltungsakt",),
        None,
        spawns=(Spawn("minderung", _va_minderung_start, report=True),),
    ),
    Transition(
        "ueberpruefung_faellig", ("pflichten_per_verwaltungsakt",), None, guards=(REHA,), tasks=(VA_UEBERPRUEFEN_REHA,)
    ),
    Transition("ueberpruefung_faellig", ("pflichten_per_verwaltungsakt",), None, tasks=(VA_UEBERPRUEFEN,)),
    Transition(
        "potenzialanalyse_einladung_mit_rfb",
        ("potenzialanalyse",),
        None,
        guards=(ERSTE_EINLADUNG,),
        letters=EINLADUNG_RFB,
    ),
    Transition("fachkraft_beteiligt", OPEN, None),
    Transition("leistungsbezug_beendet", tuple(s for s in OPEN if s != "in_schlichtung"), "beendet"),
)

RFB_STATES = frozenset({"ohne_plan", "aufforderung_mit_rfb", "pflichten_per_verwaltungsakt"})


def _derived(state: str, facts: KooperationsplanFacts) -> dict[str, Any]:
    """rfb_pflicht (R45): without a plan in force, and while an Aufforderung with RFB runs."""
    return {"rfb_pflicht": state in RFB_STATES}


KOOPERATIONSPLAN = Process(
    name="kooperationsplan",
    label="Kooperationsplan",
    initial="potenzialanalyse",
    facts=KooperationsplanFacts,
    start=KooperationsplanStart,
    states=described(STATES, texts.STATES),
    triggers=described(TRIGGERS, texts.TRIGGERS),
    transitions=TRANSITIONS,
    start_roles=IFK,
    start_tasks=POTENZIALANALYSE,
    on_child_end={"schlichtung": "schlichtung_beendet", "minderung": "minderung_beendet"},
    derived=_derived,
    # Cases started before issue 19 part B keep a review without a period of its own, cases started
    # before the R46 follow-up return to the active plan after an Aufforderung (replay safety).
    patches=(
        PolicyPatch("r42-ueberpruefung-frist", {"kp_ueberpruefung_frist": None}),
        PolicyPatch("r46-gemeldete-absprache-ueberpruefen", {"kp_gemeldete_absprache_ueberpruefen": False}),
    ),
)
