"""Render the German letters and text blocks of the outbox from Jinja2 templates.

Plain text, no autoescape, and StrictUndefined: a template that asks for a value
the caller did not pass fails loudly instead of printing an empty line.
Letters carry no Rechtsfolgenbelehrung (R41, R43): they invite, they do not demand.
The one exception is aufforderung_mitwirkung, the Aufforderung with RFB (R44, R45).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

BRIEF, AKTE = "brief", "akte"
LOCAL_TIME = ZoneInfo("Europe/Berlin")

ROLE_LABELS = {
    "egs": "Eingangszone (EGS)",
    "jobcoach": "Jobcoach",
    "ifk": "IFK",
    "ifk_reha": "IFK-Reha",
    "leistung": "Leistungsabteilung",
    "teamleitung": "Teamleitung",
    "schlichtungsstelle": "Schlichtungsstelle",
    "teilnehmende": "Teilnehmende",
    "system": "System",
}


@dataclass(frozen=True)
class TemplateInfo:
    subject: str
    channel: str


TEMPLATES: dict[str, TemplateInfo] = {
    "einladung_clearing": TemplateInfo("Einladung zum Clearinggespräch", BRIEF),
    "einladung_alg1_ende": TemplateInfo("Einladung: Clearing nach dem Ende Ihres Arbeitslosengeldes", BRIEF),
    "einladung_erneut": TemplateInfo("Neue Einladung und Angebot: Gruppencoaching", BRIEF),
    "fallubergabe": TemplateInfo("Fallübergabe", AKTE),
    # Rechtskreiswechsel (R31–R33)
    "einladung_infoveranstaltung": TemplateInfo("Einladung zur Informationsveranstaltung: vom Arbeitslosengeld zum Bürgergeld", BRIEF),
    "einladung_infoveranstaltung_erneut": TemplateInfo("Neue Einladung zur Informationsveranstaltung", BRIEF),
    "absage_infoveranstaltung": TemplateInfo("Absage der Informationsveranstaltung und neuer Termin", BRIEF),
    "einladung_beratung_rkw": TemplateInfo("Einladung zum Beratungsgespräch", BRIEF),
    "kooperationsplan": TemplateInfo("Ihr Kooperationsplan", BRIEF),
    "einladung_schlichtung": TemplateInfo("Einladung zum Schlichtungsgespräch über Ihren Kooperationsplan", BRIEF),
    # R44/R45: the only template with a Rechtsfolgenbelehrung
    "aufforderung_mitwirkung": TemplateInfo("Aufforderung zur Mitwirkung mit Rechtsfolgenbelehrung", BRIEF),
    "einladung_uebergabegespraech": TemplateInfo("Einladung zum Übergabegespräch: Gruppencoaching", BRIEF),
}


@dataclass(frozen=True)
class Absender:
    """The Jobcenter as sender of the letters."""

    name: str = "Jobcenter"
    abteilung: str = "Jobakademie"
    anschrift: tuple[str, ...] = ()
    telefon: str | None = None


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
    return ROLE_LABELS.get(role, role)


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
    env.filters.update(datum=datum, uhrzeit=uhrzeit, datum_uhrzeit=datum_uhrzeit, rolle=rolle, name=name, janein=janein)
    return env


_ENV = _environment()


def render(template: str, context: dict[str, Any]) -> Rendered:
    """Render a registered template; raises KeyError for an unknown template name."""
    info = TEMPLATES[template]
    values = {"absender": Absender(), **context, "betreff": info.subject}
    body = _ENV.get_template(f"{template}.txt.j2").render(values)
    return Rendered(subject=info.subject, body=body, channel=info.channel)
