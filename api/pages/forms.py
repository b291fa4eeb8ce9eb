"""A trigger's form, generated from its payload model, and the way back from form to data.

Each field of the model becomes an input: a select for a Literal (or an enum), a checkbox
choice (Ja / Nein / keine Angabe) for a bool, <input type=date> for a date,
<input type=datetime-local> for a datetime (read as Berlin time), a number for an int, a text
field for a string; a nested structure (lists of objects, e.g. a plan's steps) a JSON text
area. Labels are German (FIELD_LABELS, or the field's description). The data go to the use
case unchanged in meaning; its refusal (pydantic errors in the problem's `errors`) comes back
as German messages at the fields (`field_errors`).
"""

from __future__ import annotations

import enum
import json
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel

from api.pages.core import BERLIN

FIELD_LABELS = {
    "uebergabe": "Art der Übergabe",
    "termin": "Termin",
    "art": "Art des Kontaktversuchs",
    "alg1_ende": "Ende des ALG-I-Bezugs",
    "jugendlich": "Jugendlich (unter 25)",
    "schulpflicht_erfuellt": "Schulpflicht erfüllt",
    "sucht_erstausbildung": "Sucht eine Erstausbildung",
    "jobturbo": "Jobturbo",
    "ziel": "Ziel",
    "schritte": "Schritte",
    "schritt": "Schritt (Nummer im Plan)",
    "status": "Stand",
    "schritte_bis": "Termine der Schritte",
    "beteiligte": "Weitere Beteiligte",
    "initiiert_von": "Beantragt von",
    "anlass": "Anlass",
    "frist": "Frist",
    "fachkraft": "Fachkraft",
    "schlichtungsperson": "Schlichtungsperson",
    "unbefangen": "Unbefangen",
    "veranstaltung_id": "Veranstaltung (Nummer)",
    "beginn": "Beginn",
    "dauer_minuten": "Dauer in Minuten",
    "standort": "Standort",
    "adresse": "Adresse",
    "raum": "Raum",
    "abgesagte_veranstaltung_id": "Abgesagte Veranstaltung (Nummer)",
    "abgesagter_termin": "Abgesagter Termin",
    "dokumente": "Dokumente",
    "prozent": "Minderung in Prozent des Regelbedarfs",
    "monate": "Dauer in Monaten",
    "entzug": "Leistungen entfallen (Nichterreichbarkeit, R66)",
    "haertepruefung": "Ergebnis der Härteprüfung",
    "haertepruefung_am": "Härte geprüft am",
    "grund": "Grund",
    "betrifft": "Was kann nicht eingehalten werden",
    "gemeldet_am": "Gemeldet am",
    "ort": "Ort",
}
CHOICE_LABELS = {
    "warm": "Warme Übergabe",
    "aufgabe": "Als Aufgabe",
    "terminslot": "Terminslot",
    "telefon": "Telefonisch",
    "schriftlich": "Schriftlich",
    "elb": "Leistungsberechtigte Person",
    "jobcenter": "Jobcenter",
    "beide": "Beide",
    "massnahme_nicht_angetreten": "Maßnahme nicht angetreten",
    "termin_versaeumt": "Termin versäumt",
    "nachweis_fehlt": "Nachweis fehlt",
    "sonstiges": "Sonstiges",
    "keine_aussergewoehnliche_haerte": "Keine außergewöhnliche Härte",
    "haerte_durch_geringere_minderung_beruecksichtigt": "Härte durch geringere Minderung berücksichtigt",
    "wichtiger_grund": "Wichtiger Grund",
    "aussergewoehnliche_haerte": "Außergewöhnliche Härte",
    "kein_vorschlag": "Kein Vorschlag des Systems",
    "sonstiger_grund": "Sonstiger Grund",
    "kein_plan_vereinbart": "Kein Kooperationsplan vereinbart",
    "offen": "Offen",
    "erledigt": "Erledigt",
    "nicht_erledigt": "Nicht erledigt",
    "entfallen": "Entfallen",
    "vereinbarungen_nicht_eingehalten": "Vereinbarungen nicht eingehalten",
    "schritt": "Ein Schritt des Plans",
    "termin": "Ein Termin",
}
MESSAGES = {  # pydantic error types in German
    "missing": "Bitte ausfüllen.",
    "literal_error": "Bitte einen der angebotenen Werte wählen.",
    "enum": "Bitte einen der angebotenen Werte wählen.",
    "date_from_datetime_parsing": "Bitte ein gültiges Datum angeben (TT.MM.JJJJ).",
    "date_parsing": "Bitte ein gültiges Datum angeben (TT.MM.JJJJ).",
    "date_type": "Bitte ein gültiges Datum angeben (TT.MM.JJJJ).",
    "datetime_from_date_parsing": "Bitte Datum und Uhrzeit angeben.",
    "datetime_parsing": "Bitte Datum und Uhrzeit angeben.",
    "datetime_type": "Bitte Datum und Uhrzeit angeben.",
    "int_parsing": "Bitte eine ganze Zahl angeben.",
    "int_type": "Bitte eine ganze Zahl angeben.",
    "bool_parsing": "Bitte Ja oder Nein wählen.",
    "string_too_short": "Bitte ausfüllen.",
    "string_too_long": "Der Text ist zu lang.",
    "too_short": "Bitte mindestens einen Eintrag angeben.",
    "too_long": "Zu viele Einträge.",
    "list_type": "Bitte eine Liste angeben (JSON).",
    "json_invalid": "Kein gültiges JSON.",
    "extra_forbidden": "Diese Angabe ist hier nicht vorgesehen.",
    "greater_than": "Der Wert ist zu klein.",
    "greater_than_equal": "Der Wert ist zu klein.",
    "less_than_equal": "Der Wert ist zu groß.",
    "date_past": "Das Datum muss in der Vergangenheit liegen.",
    "date_future": "Das Datum muss in der Zukunft liegen.",
    "datetime_future": "Der Zeitpunkt muss in der Zukunft liegen.",
    "datetime_past": "Der Zeitpunkt muss in der Vergangenheit liegen.",
    "future_date": "Das Datum darf nicht in der Zukunft liegen.",
    "string_pattern_mismatch": "Das Format stimmt nicht.",
}
FALLBACK = "Die Angabe ist ungültig."


@dataclass
class Field:
    name: str
    label: str
    kind: str  # select, bool, date, datetime, number, text, json
    required: bool
    choices: list[tuple[str, str]] = field(default_factory=list)
    hint: str = ""


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without Optional, and whether None was allowed."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _field(name: str, info) -> Field:
    annotation, _ = _unwrap(info.annotation)
    label = FIELD_LABELS.get(name) or (info.description or name.replace("_", " ")).capitalize()
    required = info.is_required()
    if typing.get_origin(annotation) is Literal:
        choices = [(str(v), CHOICE_LABELS.get(str(v), str(v))) for v in typing.get_args(annotation)]
        return Field(name, label, "select", required, choices)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        choices = [(str(v.value), CHOICE_LABELS.get(str(v.value), str(v.value))) for v in annotation]
        return Field(name, label, "select", required, choices)
    if annotation is bool:
        return Field(name, label, "bool", required, [("true", "Ja"), ("false", "Nein")])
    if annotation is datetime:
        return Field(name, label, "datetime", required)
    if annotation is date:
        return Field(name, label, "date", required)
    if annotation is int:
        return Field(name, label, "number", required)
    if annotation is str:
        return Field(name, label, "text", required)
    hint = "Als JSON-Liste, z. B. " + _example(annotation)
    return Field(name, label, "json", required, hint=hint)


def _example(annotation: Any) -> str:
    args = typing.get_args(annotation)
    inner = args[0] if args else None
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return json.dumps([dict.fromkeys(inner.model_fields, "…")], ensure_ascii=False)
    return '["…"]'


def fields_of(model: type[BaseModel] | None) -> list[Field]:
    if model is None:
        return []
    return [_field(name, info) for name, info in model.model_fields.items() if not _set_by_system(info)]


def _set_by_system(info) -> bool:
    """A field a prepare activity fills in (statemachines.spec.SET_BY_SYSTEM): no input for it."""
    extra = info.json_schema_extra
    return isinstance(extra, dict) and extra.get("readOnly") is True


def data_of(model: type[BaseModel] | None, form: dict[str, list[str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """The payload from a form: empty inputs are left out (the model says what is required), a
    datetime-local is Berlin time, a JSON area is parsed. Returns the data and errors found here."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields_of(model):
        raw = (form.get(f.name) or [""])[0].strip()
        if raw == "":
            continue
        if f.kind == "bool":
            data[f.name] = raw == "true"
        elif f.kind == "datetime":
            try:
                data[f.name] = datetime.fromisoformat(raw).replace(tzinfo=BERLIN).isoformat()
            except ValueError:
                errors[f.name] = MESSAGES["datetime_parsing"]
        elif f.kind == "number":
            try:
                data[f.name] = int(raw)
            except ValueError:
                errors[f.name] = MESSAGES["int_parsing"]
        elif f.kind == "json":
            try:
                data[f.name] = json.loads(raw)
            except ValueError:
                errors[f.name] = MESSAGES["json_invalid"]
        else:
            data[f.name] = raw
    return data, errors


def field_errors(errors: list[dict[str, Any]] | None) -> dict[str, str]:
    """pydantic errors (as a problem's `errors`) by field, in German."""
    found: dict[str, str] = {}
    for e in errors or []:
        loc = [str(p) for p in e.get("loc", []) if p not in ("body", "data")]
        name = loc[0] if loc else ""
        message = MESSAGES.get(str(e.get("type", "")), FALLBACK)
        if len(loc) > 1:
            message = f"{message} ({'.'.join(loc[1:])})"
        found.setdefault(name, message)
    return found


def form_values(form: dict[str, list[str]]) -> dict[str, str]:
    return {k: v[0] for k, v in form.items() if k != "csrf"}
