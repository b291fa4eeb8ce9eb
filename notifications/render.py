"""Render the German letters and text blocks of the outbox from Jinja2 templates.

Plain text, no autoescape, and StrictUndefined: a template that asks for a value
the caller did not pass fails loudly instead of printing an empty line.
Letters carry no Rechtsfolgenbelehrung (R41, R43): they invite, they do not demand.
The exceptions: aufforderung_mitwirkung, the Aufforderung with RFB (R44, R45); under
grundsicherung_2026 only the duties by Verwaltungsakt and the first invitation to the
Potenzialanalyse (R63), offered only by that regime's process variants; and
einladung_meldetermin, the Meldeaufforderung (R64). The hearing and decision letters of a
Minderung (R64–R67) name it without being an RFB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import TypeAdapter

from statemachines.roles import LABELS

BRIEF, AKTE = "brief", "akte"
LOCAL_TIME = ZoneInfo("Europe/Berlin")


JOBAKADEMIE, IFK, SCHLICHTUNGSSTELLE, RKW = "jobakademie", "ifk", "schlichtungsstelle", "rechtskreiswechsel"
LEISTUNG = "leistung"


@dataclass(frozen=True)
class TemplateInfo:
    subject: str
    channel: str
    einheit: str = JOBAKADEMIE  # R19: the unit that signs it (runtime.settings.Briefkopf.einheiten)
    einladung: bool = False  # an invitation: withdrawn from the outbox when rebooked or the case moves on


TEMPLATES: dict[str, TemplateInfo] = {
    "einladung_clearing": TemplateInfo("Einladung zum Clearinggespräch", BRIEF, einladung=True),
    "einladung_alg1_ende": TemplateInfo(
        "Einladung: Clearing nach dem Ende Ihres Arbeitslosengeldes", BRIEF, einladung=True
    ),
    "einladung_alg1_termin": TemplateInfo(
        "Ihr Termin: Clearing nach dem Ende Ihres Arbeitslosengeldes", BRIEF, einladung=True
    ),
    "einladung_erneut": TemplateInfo("Neue Einladung und Angebot: Gruppencoaching", BRIEF, einladung=True),
    "fallubergabe": TemplateInfo("Fallübergabe", AKTE),
    # Rechtskreiswechsel (R31–R33)
    "einladung_infoveranstaltung": TemplateInfo(
        "Einladung zur Informationsveranstaltung: vom Arbeitslosengeld zum Bürgergeld", BRIEF, RKW, einladung=True
    ),
    "einladung_infoveranstaltung_erneut": TemplateInfo(
        "Neue Einladung zur Informationsveranstaltung", BRIEF, RKW, einladung=True
    ),
    "absage_infoveranstaltung": TemplateInfo(
        "Absage der Informationsveranstaltung und neuer Termin", BRIEF, RKW, einladung=True
    ),
    "einladung_beratung_rkw": TemplateInfo("Einladung zum Beratungsgespräch", BRIEF, RKW, einladung=True),
    # R19: the plan and the Schlichtung are the Jobcenter's IFK's and Schlichtungsstelle's, not the Jobakademie's
    "kooperationsplan": TemplateInfo("Ihr Kooperationsplan", BRIEF, IFK),
    "einladung_schlichtung": TemplateInfo(
        "Einladung zum Schlichtungsgespräch über Ihren Kooperationsplan", BRIEF, SCHLICHTUNGSSTELLE, einladung=True
    ),
    # R44/R45: the only template with a Rechtsfolgenbelehrung
    "aufforderung_mitwirkung": TemplateInfo("Aufforderung zur Mitwirkung mit Rechtsfolgenbelehrung", BRIEF, IFK),
    # R63, grundsicherung_2026 only: the duties by Verwaltungsakt, the first invitation to the Potenzialanalyse
    "pflichten_verwaltungsakt": TemplateInfo("Bescheid: Ihre Pflichten (mit Rechtsfolgenbelehrung)", BRIEF, IFK),
    "einladung_potenzialanalyse_rfb": TemplateInfo(
        "Einladung zur Potenzialanalyse (mit Rechtsfolgenbelehrung)", BRIEF, IFK, einladung=True
    ),
    "einladung_uebergabegespraech": TemplateInfo(
        "Einladung zum Übergabegespräch: Gruppencoaching", BRIEF, einladung=True
    ),
    # R64/R66: the Meldeaufforderung carries an RFB worded per regime; the caseworker's unit invites
    "einladung_meldetermin": TemplateInfo("Einladung zu einem Termin (Meldeaufforderung)", BRIEF, IFK, einladung=True),
    # R64–R67: hearing and decisions on a Minderung (they name the Minderung, they are no RFB); Leistung decides
    "anhoerung_minderung": TemplateInfo("Anhörung vor einer Entscheidung über Ihre Leistungen", BRIEF, LEISTUNG),
    "bescheid_minderung": TemplateInfo("Bescheid über eine Minderung Ihrer Leistungen", BRIEF, LEISTUNG),
    "mitteilung_keine_minderung": TemplateInfo("Keine Minderung Ihrer Leistungen", BRIEF, LEISTUNG),
    "mitteilung_meldung": TemplateInfo(
        "Ihre persönliche Meldung: Ihre Leistungen werden wieder gezahlt", BRIEF, LEISTUNG
    ),
}
EINLADUNGEN = frozenset(name for name, info in TEMPLATES.items() if info.einladung)
KUERZEL = {
    "neuantrag": "NA",
    "kooperationsplan": "KP",
    "schlichtung": "SL",
    "rechtskreiswechsel": "RKW",
    "meldetermin": "MT",
    "minderung": "MI",
}
RFB_TEMPLATES = frozenset(
    {"aufforderung_mitwirkung", "pflichten_verwaltungsakt", "einladung_potenzialanalyse_rfb", "einladung_meldetermin"}
)
MINDERUNG_TEMPLATES = frozenset(
    {"anhoerung_minderung", "bescheid_minderung", "mitteilung_keine_minderung", "mitteilung_meldung"}
)


@dataclass(frozen=True)
class Absender:
    """The Jobcenter and the unit that sends a letter, at the case's location (R19)."""

    name: str = "Jobcenter"
    abteilung: str = "Jobakademie"
    anschrift: tuple[str, ...] = ()
    telefon: str | None = None
    oeffnungszeiten: str | None = None
    ansprechpartner: str | None = None
    email: str | None = None
    raum: str | None = None  # where its appointments take place

    @property
    def ort(self) -> str:
        """The place of an appointment with this unit: its room and address."""
        return ", ".join(part for part in (self.raum, *self.anschrift) if part)


def aktenzeichen(process: str, case_id: str) -> str:
    """R19: a readable reference instead of the internal id: process abbreviation and short id."""
    kurz = KUERZEL.get(process, process[:3].upper())
    return f"{kurz}-{case_id.replace('-', '')[:8].upper()}"


ZAHLWORTE = ("null", "eine", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf")


def dauer(value: Any, dativ: bool = False) -> str:
    """A policy's duration in German words: "zwei Wochen", "zehn Tage" (`dativ`: "einer Woche", "zehn Tagen")."""
    td = value if isinstance(value, timedelta) else TypeAdapter(timedelta).validate_python(value)
    days = td.days
    number, singular, plural = (days // 7, "Woche", "Wochen") if days and days % 7 == 0 else (days, "Tag", "Tage")
    if number == 1:
        return (
            ("einer " if dativ else "eine ") + singular
            if singular == "Woche"
            else ("einem Tag" if dativ else "einen Tag")
        )
    word = ZAHLWORTE[number] if number < len(ZAHLWORTE) else str(number)
    return f"{word} {plural}{'n' if dativ and plural == 'Tage' else ''}"


def monate(n: int) -> str:
    """ "einen Monat", "drei Monate" (accusative, as in "für einen Monat")."""
    return "einen Monat" if n == 1 else f"{ZAHLWORTE[n] if n < len(ZAHLWORTE) else n} Monate"


def stufen(regeln: Any) -> str:
    """R65: a regime's steps of a Minderung for breaches of duty (MinderungsRegeln), in German words:
    the RFB names the law the case runs under, not one written into the template."""
    steps = list(regeln.pflichtverletzung_stufen)
    basis = "Prozent des für Sie maßgebenden Regelbedarfs"
    if len(steps) == 1:
        prozent, dauer_monate = steps[0]
        return f"bei jeder Pflichtverletzung um {prozent} {basis} für {monate(dauer_monate)}"
    tage = regeln.wiederholung_innerhalb.days
    innerhalb = (
        "innerhalb eines Jahres"
        if tage in (365, 366)
        else f"innerhalb von {dauer(regeln.wiederholung_innerhalb, dativ=True)}"
    )
    (p0, m0), *rest = steps
    parts = [f"bei der ersten Pflichtverletzung um {p0} {basis} für {monate(m0)}"]
    for i, (prozent, dauer_monate) in enumerate(rest, start=2):
        if i == len(steps) and len(steps) > 2:
            parts.append(f"bei jeder weiteren um {prozent} Prozent für {monate(dauer_monate)}")
        elif i == 2:
            wer = "einer" if len(steps) > 2 else "jeder"
            parts.append(
                f"bei {wer} wiederholten Pflichtverletzung {innerhalb} um {prozent} Prozent für {monate(dauer_monate)}"
            )
        else:
            parts.append(f"bei der {i}. Pflichtverletzung {innerhalb} um {prozent} Prozent für {monate(dauer_monate)}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    channel: str


def _local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TIME) if value.tzinfo is not None else value


def _as_datetime(value: Any) -> datetime | date:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value)
    raise TypeError(f"not a date or time: {value!r}")


def datum(value: Any) -> str:
    """TT.MM.JJJJ; instants are shown in German local time."""
    parsed = _as_datetime(value)
    if isinstance(parsed, datetime):
        parsed = _local(parsed)
    return parsed.strftime("%d.%m.%Y")


def uhrzeit(value: Any) -> str:
    """HH:MM Uhr in German local time."""
    parsed = _as_datetime(value)
    if not isinstance(parsed, datetime):
        raise TypeError(f"a date has no time of day: {value!r}")
    return _local(parsed).strftime("%H:%M Uhr")


def datum_uhrzeit(value: Any) -> str:
    return f"{datum(value)}, {uhrzeit(value)}"


def rolle(role: str) -> str:
    return LABELS.get(role, role)


def name(person: Mapping[str, Any] | Any) -> str:
    get = person.get if isinstance(person, Mapping) else lambda key: getattr(person, key, None)
    return " ".join(part for part in (get("vorname"), get("nachname")) if part)


def janein(value: Any) -> str:
    return "ja" if value else "nein"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        datum=datum,
        uhrzeit=uhrzeit,
        datum_uhrzeit=datum_uhrzeit,
        rolle=rolle,
        name=name,
        janein=janein,
        dauer=dauer,
        stufen=stufen,
    )
    return env


_ENV = _environment()


def render(template: str, context: dict[str, Any]) -> Rendered:
    """Render a registered template; raises KeyError for an unknown template name."""
    info = TEMPLATES[template]
    values = {"absender": Absender(), **context, "betreff": info.subject}
    body = _ENV.get_template(f"{template}.txt.j2").render(values)
    return Rendered(subject=info.subject, body=body, channel=info.channel)
