"""People (R14): one record per human, found again by Kundennummer or by name and date of birth.

Search keys: `vorname_suche` and `nachname_suche` hold the name lower-cased, umlauts spelled out
(ä -> ae, ß -> ss), accents dropped and everything but a-z and 0-9 removed, so "Köhler",
"KOEHLER" and "Koehler" meet. Letters and digits only, so a prefix is an index range
(`key >= "koe" AND key < "kof"`) under any collation, on SQLite and PostgreSQL alike.

Kundennummern are handed out from the one-row counter `counters.kundennummer`, incremented in the
transaction that creates the person (a concurrent creation waits for the row lock on PostgreSQL;
SQLite has one writer anyway), so numbers are unique and a rolled-back creation leaves no gap.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence import models as m

KUNDENNUMMER = "kundennummer"
KUNDENNUMMER_WIDTH = 8
# Spelled out before accents are dropped; the rest are letters NFKD does not take apart (Yılmaz, Søren).
_SPELLED = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d"}
)
_NOT_KEY = re.compile(r"[^a-z0-9]")


def search_key(text: str | None) -> str:
    """The search key of a name (see the module docstring): "Müller-Lüdenscheidt" -> "muellerluedenscheidt"."""
    if not text:
        return ""
    spelled = text.lower().translate(_SPELLED)
    plain = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode("ascii")
    return _NOT_KEY.sub("", plain)


def prefix_range(key: str) -> tuple[str, str]:
    """The index range of the keys starting with `key` (non-empty, a-z0-9 only)."""
    return key, key[:-1] + chr(ord(key[-1]) + 1)


def format_kundennummer(number: int) -> str:
    return str(number).zfill(KUNDENNUMMER_WIDTH)


NEXT_KUNDENNUMMER = (
    update(m.Counter).where(m.Counter.name == KUNDENNUMMER).values(value=m.Counter.value + 1).returning(m.Counter.value)
)


async def next_kundennummer(session: AsyncSession) -> str:
    """The next Kundennummer, counted in the caller's transaction."""
    number = (await session.execute(NEXT_KUNDENNUMMER)).scalar_one()
    return format_kundennummer(number)


def with_search_keys(person: m.Person) -> m.Person:
    person.vorname_suche = search_key(person.vorname)
    person.nachname_suche = search_key(person.nachname)
    return person
