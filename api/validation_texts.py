"""German texts for pydantic's validation errors: every 422 names the field and what is wrong in
German, also for pydantic's built-in checks (api/errors.py applies it to every problem's `errors`).

Keyed by pydantic's error `type`; `{name}` placeholders come from the error's `ctx`. An error
without the ctx a text needs (e.g. kept from an older answer) gets the text's short form.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from pydantic_core.core_schema import ErrorType

_ZEITPUNKT = "Zeitpunkt erwartet (ISO 8601 mit Zeitzone, z. B. 2027-01-20T10:00:00+01:00)"
_DATUM = "Datum erwartet (JJJJ-MM-TT)"
_GANZZAHL = "ganze Zahl erwartet"
_ZAHL = "Zahl erwartet"
_OBJEKT = "Objekt erwartet ({...})"
_LISTE = "Liste erwartet ([...])"

# type -> (text with ctx placeholders, short text without them)
TEXTS: dict[str, tuple[str, str]] = {
    "missing": ("Pflichtfeld fehlt", ""),
    "extra_forbidden": ("unbekanntes Feld, nicht erlaubt", ""),
    "literal_error": ("erlaubt ist: {expected}", "Wert nicht erlaubt"),
    "enum": ("erlaubt ist: {expected}", "Wert nicht erlaubt"),
    "string_type": ("Text erwartet", ""),
    "string_unicode": ("Text in gültigem Unicode erwartet", ""),
    "string_not_ascii": ("nur ASCII-Zeichen erlaubt", ""),
    "string_too_short": ("zu kurz: mindestens {min_length} Zeichen", "zu kurz"),
    "string_too_long": ("zu lang: höchstens {max_length} Zeichen", "zu lang"),
    "string_pattern_mismatch": ("Format passt nicht (Muster {pattern})", "Format passt nicht"),
    "bool_type": ("Wahrheitswert erwartet (true oder false)", ""),
    "bool_parsing": ("Wahrheitswert erwartet (true oder false)", ""),
    "int_type": (_GANZZAHL, ""),
    "int_parsing": (_GANZZAHL, ""),
    "int_parsing_size": ("Zahl zu groß", ""),
    "int_from_float": ("ganze Zahl erwartet (ohne Nachkommastellen)", ""),
    "float_type": (_ZAHL, ""),
    "float_parsing": (_ZAHL, ""),
    "decimal_type": (_ZAHL, ""),
    "decimal_parsing": (_ZAHL, ""),
    "finite_number": ("endliche Zahl erwartet", ""),
    "multiple_of": ("muss ein Vielfaches von {multiple_of} sein", "kein erlaubtes Vielfaches"),
    "greater_than": ("muss größer als {gt} sein", "zu klein"),
    "greater_than_equal": ("muss mindestens {ge} sein", "zu klein"),
    "less_than": ("muss kleiner als {lt} sein", "zu groß"),
    "less_than_equal": ("darf höchstens {le} sein", "zu groß"),
    "too_short": ("zu wenige Einträge: mindestens {min_length}", "zu wenige Einträge"),
    "too_long": ("zu viele Einträge: höchstens {max_length}", "zu viele Einträge"),
    "list_type": (_LISTE, ""),
    "tuple_type": (_LISTE, ""),
    "set_type": (_LISTE, ""),
    "frozen_set_type": (_LISTE, ""),
    "iterable_type": (_LISTE, ""),
    "set_item_not_hashable": ("Eintrag nicht erlaubt", ""),
    "dict_type": (_OBJEKT, ""),
    "mapping_type": (_OBJEKT, ""),
    "model_type": (_OBJEKT, ""),
    "model_attributes_type": (_OBJEKT, ""),
    "dataclass_type": (_OBJEKT, ""),
    "invalid_key": ("ungültiger Schlüssel", ""),
    "none_required": ("hier ist kein Wert erlaubt (null)", ""),
    "date_type": (_DATUM, ""),
    "date_parsing": (_DATUM, ""),
    "date_from_datetime_parsing": (_DATUM, ""),
    "date_from_datetime_inexact": ("Datum ohne Uhrzeit erwartet (JJJJ-MM-TT)", ""),
    "date_past": ("Datum muss in der Vergangenheit liegen", ""),
    "date_future": ("Datum muss in der Zukunft liegen", ""),
    "datetime_type": (_ZEITPUNKT, ""),
    "datetime_parsing": (_ZEITPUNKT, ""),
    "datetime_from_date_parsing": (_ZEITPUNKT, ""),
    "datetime_object_invalid": (_ZEITPUNKT, ""),
    "datetime_past": ("Zeitpunkt muss in der Vergangenheit liegen", ""),
    "datetime_future": ("Zeitpunkt muss in der Zukunft liegen", ""),
    "timezone_aware": ("Zeitpunkt mit Zeitzone erwartet (z. B. +01:00)", ""),
    "timezone_naive": ("Zeitpunkt ohne Zeitzone erwartet", ""),
    "timezone_offset": ("falsche Zeitzone", ""),
    "time_type": ("Uhrzeit erwartet (HH:MM)", ""),
    "time_parsing": ("Uhrzeit erwartet (HH:MM)", ""),
    "time_delta_type": ("Dauer erwartet (ISO 8601, z. B. P14D)", ""),
    "time_delta_parsing": ("Dauer erwartet (ISO 8601, z. B. P14D)", ""),
    "uuid_type": ("UUID erwartet", ""),
    "uuid_parsing": ("UUID erwartet", ""),
    "uuid_version": ("UUID in falscher Version", ""),
    "url_type": ("Adresse (URL) erwartet", ""),
    "url_parsing": ("Adresse (URL) erwartet", ""),
    "url_syntax_violation": ("Adresse (URL) erwartet", ""),
    "url_too_long": ("Adresse (URL) zu lang", ""),
    "url_scheme": ("Adresse (URL) mit falschem Schema", ""),
    "json_invalid": ("kein gültiges JSON", ""),
    "json_type": ("JSON-Text erwartet", ""),
    "bytes_type": ("Text erwartet", ""),
    "bytes_too_short": ("zu kurz", ""),
    "bytes_too_long": ("zu lang", ""),
    "union_tag_invalid": ("unbekannte Art: erlaubt ist {expected_tags}", "unbekannte Art"),
    "union_tag_not_found": ("Angabe der Art fehlt ({discriminator})", "Angabe der Art fehlt"),
    "frozen_field": ("darf nicht geändert werden", ""),
    "frozen_instance": ("darf nicht geändert werden", ""),
    "recursion_loop": ("zu tief verschachtelt", ""),
}
FALLBACK = "ungültiger Wert"
PYDANTIC_TYPES = frozenset(get_args(ErrorType))
# Our own validators raise ValueError with German text; pydantic prefixes it in English.
_OWN_PREFIXES = ("Value error, ", "Assertion failed, ")
_ENGLISH_OR = re.compile(r"'\s+or\s+'")


def _expected(value: Any) -> str:
    """pydantic's "'a', 'b' or 'c'" in German."""
    return _ENGLISH_OR.sub("' oder '", str(value))


def german(error: dict[str, Any]) -> str:
    """The German text for one pydantic error (a dict as `ValidationError.errors()` gives it)."""
    kind, msg = str(error.get("type", "")), str(error.get("msg", ""))
    if kind in ("value_error", "assertion_error"):
        for prefix in _OWN_PREFIXES:
            msg = msg.removeprefix(prefix)
        return msg or FALLBACK
    if kind not in TEXTS:
        return FALLBACK if kind in PYDANTIC_TYPES or not msg else msg  # a type of our own has German text
    full, short = TEXTS[kind]
    ctx = error.get("ctx") or {}
    try:
        return full.format(**{k: _expected(v) for k, v in ctx.items()})
    except (KeyError, IndexError, ValueError):
        return short or full


def field_of(loc: list[Any]) -> str:
    """The field as people write it: `person.anschrift.plz`, `schritte[2].was` (without `body`)."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
