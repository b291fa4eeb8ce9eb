"""People (R14): one record per human. A new case attaches to a known person (by person id or
Kundennummer); staff find people by name, date of birth or Kundennummer, but only people with a
case in a process their role works on (access.py): anyone else is not revealed (UNKNOWN, or
simply not found).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from api.schemas.cases import CaseCreate, PersonCreate
from api.schemas.people import PersonTreffer
from api.usecases import access
from api.usecases.actors import User
from persistence import models as m
from persistence import people
from persistence.db import Database
from statemachines.refusals import invalid, unknown

MAX_TOKENS = 6
_DATE_DE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DIGITS = re.compile(r"^\d{1,20}$")
_cases = m.Case.__table__.c
_people = m.Person.__table__.c


def person_unknown(what: str):
    return unknown(f"Person {what} ist unbekannt.")


def visible(user: User, person_id: ColumnElement) -> ColumnElement[bool]:
    """People with at least one case the caller may read (participants: none)."""
    readable = sorted(access.processes(user))
    if not readable:
        return false()
    return exists().where(_cases.person_id == person_id, _cases.process.in_(readable))


async def visible_person(session: AsyncSession, user: User, *, person_id=None, kundennummer=None) -> m.Person:
    """The person by id or Kundennummer, or UNKNOWN when there is none the caller may see."""
    column = m.Person.person_id if person_id is not None else m.Person.kundennummer
    key = person_id if person_id is not None else people.format_kundennummer(int(kundennummer))
    found = await session.scalar(select(m.Person).where(column == key, visible(user, m.Person.person_id)))
    if found is None:
        raise person_unknown(key)
    return found


def choose(body: CaseCreate) -> str:
    """Which way the new case names its person: exactly one of person, person_id, kundennummer."""
    given = [name for name in ("person", "person_id", "kundennummer") if getattr(body, name) is not None]
    if len(given) != 1:
        raise invalid(
            "invalid-person",
            "Person angeben",
            "Genau eines angeben: person (neue Person), person_id oder kundennummer (bekannte Person).",
            errors=[
                {"loc": ["body", name], "msg": "genau eines von person, person_id, kundennummer", "type": "person"}
                for name in given or ("person",)
            ],
        )
    return given[0]


async def person_for_case(session: AsyncSession, user: User, body: CaseCreate, person_id: str, now: datetime) -> str:
    """The person id the new case belongs to: a new record for `body.person` (with the next
    Kundennummer), or the known person it names."""
    if body.person is None:
        known = await visible_person(session, user, person_id=body.person_id, kundennummer=body.kundennummer)
        return known.person_id
    session.add(await new_person(session, person_id, body.person, now))
    await session.flush()  # no ORM relationship orders the inserts for us
    return person_id


async def new_person(session: AsyncSession, person_id: str, p: PersonCreate, now: datetime) -> m.Person:
    a = p.anschrift
    person = m.Person(
        person_id=person_id,
        vorname=p.vorname,
        nachname=p.nachname,
        geburtsdatum=p.geburtsdatum,
        strasse=a.strasse if a else None,
        plz=a.plz if a else None,
        ort=a.ort if a else None,
        created_at=now,
        kundennummer=await people.next_kundennummer(session),
    )
    return people.with_search_keys(person)


# --- search ----------------------------------------------------------------------------------


def _date(token: str) -> date | None:
    match = _DATE_DE.match(token)
    if match:
        day, month, year = (int(g) for g in match.groups())
    elif match := _DATE_ISO.match(token):
        year, month, day = (int(g) for g in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        raise invalid(
            "invalid-query",
            "Ungültige Suche",
            f"{token} ist kein gültiges Datum (TT.MM.JJJJ oder JJJJ-MM-TT).",
            errors=[{"loc": ["query", "q"], "msg": "kein gültiges Datum", "type": "date"}],
        ) from None


def conditions(q: str) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a search: a date is the date of birth, digits a Kundennummer,
    every other word the start of the first or the last name (case and umlauts do not matter)."""
    tokens = [t for t in re.split(r"[\s,;]+", q.strip()) if t][:MAX_TOKENS]
    found: list[ColumnElement[bool]] = []
    for token in tokens:
        born = _date(token)
        if born is not None:
            found.append(_people.geburtsdatum == born)
        elif _DIGITS.match(token):
            found.append(_people.kundennummer == people.format_kundennummer(int(token)))
        elif key := people.search_key(token):
            low, high = people.prefix_range(key)
            found.append(
                or_(
                    and_(_people.nachname_suche >= low, _people.nachname_suche < high),
                    and_(_people.vorname_suche >= low, _people.vorname_suche < high),
                )
            )
    if not found:
        raise invalid(
            "invalid-query",
            "Ungültige Suche",
            "Suchbegriff fehlt: Name, Geburtsdatum (TT.MM.JJJJ) oder Kundennummer angeben.",
            errors=[{"loc": ["query", "q"], "msg": "kein verwertbarer Suchbegriff", "type": "missing"}],
        )
    return found


def search_query(user: User, q: str, limit: int):
    """The statement of GET /people (bench/people.py runs the same SQL directly)."""
    readable = sorted(access.processes(user)) or [""]
    mine = and_(_cases.person_id == _people.person_id, _cases.process.in_(readable))
    count = select(func.count()).where(mine).scalar_subquery()
    still_open = select(func.count()).where(mine, _cases.final.is_(False)).scalar_subquery()
    return (
        select(
            _people.person_id,
            _people.kundennummer,
            _people.vorname,
            _people.nachname,
            _people.geburtsdatum,
            count.label("faelle"),
            still_open.label("offene_faelle"),
        )
        .where(*conditions(q), visible(user, _people.person_id))
        .order_by(_people.nachname_suche, _people.vorname_suche, _people.geburtsdatum, _people.person_id)
        .limit(limit)
    )


class People:
    def __init__(self, db: Database):
        self.db = db

    async def search(self, user: User, q: str, limit: int) -> list[PersonTreffer]:
        """People matching every word of `q` who have a case the caller may read."""
        statement = search_query(user, q, limit)

        def read(session: Session) -> list[PersonTreffer]:
            return [PersonTreffer.model_validate(row, from_attributes=True) for row in session.execute(statement)]

        return await self.db.run(read, read_only=True)
