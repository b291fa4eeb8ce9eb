"""Information events (R31) as data: the calendar generated from its rule, and booking a place.

Used by the booking activity and by the API. Booking is capacity-safe on both
backends: the place is taken with one conditional UPDATE (`belegt < kapazitaet`),
which SQLite runs under BEGIN IMMEDIATE and PostgreSQL re-checks on the locked row
after a concurrent commit, so a full event is never overbooked. It is idempotent
per (case, sequence, trigger): a retried activity finds its booking.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from persistence.db import Database
from persistence.rechtskreiswechsel import (
    ABGESAGT,
    GEBUCHT,
    GEPLANT,
    NICHT_ERSCHIENEN,
    UMGEBUCHT,
    InfoBuchung,
    InfoKalenderMonat,
    Infoveranstaltung,
)
from statemachines.policy import InfoKalender, InfoStandort

LOCAL = ZoneInfo("Europe/Berlin")
HOLDS_PLACE_NO_MORE = (UMGEBUCHT, ABGESAGT)  # these release the place they held
# What becomes of the case's previous booking when a step books again.
PREVIOUS = {"nicht_erschienen": NICHT_ERSCHIENEN, "veranstaltung_abgesagt": ABGESAGT}


def termine(rule: InfoStandort, year: int, month: int) -> list[datetime]:
    """The rule's events in one month (the n-th weekdays at local time), as UTC instants."""
    first = date(year, month, 1)
    offset = (rule.wochentag - first.weekday()) % 7
    days = [first + timedelta(days=offset + 7 * (n - 1)) for n in sorted(set(rule.wochen)) if n >= 1]
    return [datetime.combine(d, rule.beginn, tzinfo=LOCAL).astimezone(UTC) for d in days if d.month == month]


def _months(start: date, count: int) -> list[tuple[int, int]]:
    index = start.year * 12 + start.month - 1
    return [divmod(i, 12) for i in range(index, index + count)]


async def kalender_anlegen(db: Database, kalender: InfoKalender, ab: datetime, standort: str | None = None) -> int:
    """Generate each location's events for the months from `ab` on (`monate_voraus`), once per
    month: a month generated before (even if its events were cancelled or changed) is left alone."""
    created = 0
    months = [(y, m + 1) for y, m in _months(ab.astimezone(LOCAL).date(), kalender.monate_voraus + 1)]
    for rule in kalender.standorte:
        if standort is not None and rule.name != standort:
            continue
        keys = [f"{y:04d}-{m:02d}" for y, m in months]
        async with db.unit_of_work(read_only=True) as session:
            done = set(
                await session.scalars(
                    select(InfoKalenderMonat.monat).where(
                        InfoKalenderMonat.standort == rule.name, InfoKalenderMonat.monat.in_(keys)
                    )
                )
            )
        if len(done) == len(keys):
            continue
        try:
            async with db.unit_of_work() as session:
                for (y, m), key in zip(months, keys, strict=True):
                    if key not in done and await session.get(InfoKalenderMonat, (rule.name, key)) is None:
                        created += await _generate_month(session, rule, y, m, key)
        except IntegrityError:
            pass  # generated concurrently by another booking or request: theirs is as good
    return created


async def _generate_month(session: AsyncSession, rule: InfoStandort, year: int, month: int, key: str) -> int:
    now = datetime.now(UTC)
    session.add(InfoKalenderMonat(standort=rule.name, monat=key, created_at=now))
    created = 0
    for beginn in termine(rule, year, month):
        taken = await session.scalar(
            select(Infoveranstaltung.id).where(
                Infoveranstaltung.standort == rule.name, Infoveranstaltung.beginn == beginn
            )
        )
        if taken is None:  # the team lead may have added one at that time already
            session.add(
                Infoveranstaltung(
                    standort=rule.name,
                    beginn=beginn,
                    dauer_minuten=rule.dauer_minuten,
                    adresse=rule.adresse,
                    raum=rule.raum,
                    kapazitaet=rule.kapazitaet,
                    belegt=0,
                    status=GEPLANT,
                    created_at=now,
                    updated_at=now,
                )
            )
            created += 1
    await session.flush()
    return created


async def platz_buchen(
    db: Database,
    *,
    case_id: str,
    sequence: int,
    trigger: str,
    standort: str,
    ab: datetime,
    now: datetime,
    buchen: bool = True,
) -> Infoveranstaltung | None:
    """Close the case's current booking and book the next event at `standort` from `ab` on with a
    free place (None: no free place, or `buchen` is False). Repeatable per (case, sequence, trigger)."""
    async with db.unit_of_work() as session:
        earlier = await session.scalar(
            select(InfoBuchung).where(
                InfoBuchung.case_id == case_id, InfoBuchung.sequence == sequence, InfoBuchung.trigger == trigger
            )
        )
        if earlier is not None:
            return await session.get(Infoveranstaltung, earlier.veranstaltung_id)
        await _close_current(session, case_id, PREVIOUS.get(trigger, UMGEBUCHT), now)
        if not buchen:
            return None
        tried: set[int] = set()
        while True:
            candidate = await session.scalar(
                select(Infoveranstaltung.id)
                .where(
                    Infoveranstaltung.standort == standort,
                    Infoveranstaltung.status == GEPLANT,
                    Infoveranstaltung.beginn >= ab,
                    Infoveranstaltung.belegt < Infoveranstaltung.kapazitaet,
                    Infoveranstaltung.id.not_in(tried),
                )
                .order_by(Infoveranstaltung.beginn, Infoveranstaltung.id)
                .limit(1)
            )
            if candidate is None:
                return None
            tried.add(candidate)
            if await take_place(session, candidate):
                session.add(
                    InfoBuchung(
                        veranstaltung_id=candidate,
                        case_id=case_id,
                        sequence=sequence,
                        trigger=trigger,
                        status=GEBUCHT,
                        created_at=now,
                        updated_at=now,
                    )
                )
                await session.flush()
                return await session.get(Infoveranstaltung, candidate, populate_existing=True)


async def take_place(session: AsyncSession, veranstaltung_id: int) -> bool:
    """One place, atomically: False when the event is full or cancelled (never overbooked)."""
    taken = await session.execute(
        update(Infoveranstaltung)
        .where(
            Infoveranstaltung.id == veranstaltung_id,
            Infoveranstaltung.status == GEPLANT,
            Infoveranstaltung.belegt < Infoveranstaltung.kapazitaet,
        )
        .values(belegt=Infoveranstaltung.belegt + 1)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


async def _close_current(session: AsyncSession, case_id: str, status: str, now: datetime) -> None:
    current = list(
        await session.scalars(select(InfoBuchung).where(InfoBuchung.case_id == case_id, InfoBuchung.status == GEBUCHT))
    )
    for booking in current:
        booking.status, booking.updated_at = status, now
        if status in HOLDS_PLACE_NO_MORE:
            await session.execute(
                update(Infoveranstaltung)
                .where(Infoveranstaltung.id == booking.veranstaltung_id, Infoveranstaltung.belegt > 0)
                .values(belegt=Infoveranstaltung.belegt - 1)
                .execution_options(synchronize_session=False)
            )
