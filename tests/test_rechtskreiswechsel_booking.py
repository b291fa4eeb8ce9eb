"""Information events as data (R31): the generated calendar and capacity-safe, idempotent
booking, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from activities.infoveranstaltungen import kalender_anlegen, platz_buchen, termine
from persistence import models as m
from persistence.db import Database
from persistence.rechtskreiswechsel import InfoBuchung, Infoveranstaltung
from statemachines.policy import InfoKalender

NOW = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
GEVELSBERG = InfoKalender().standort("Gevelsberg")


async def _cases(db: Database, n: int) -> list[str]:
    ids = [f"case-{i:03d}" for i in range(n)]
    async with db.unit_of_work() as session:
        session.add_all(
            m.Case(
                case_id=case_id,
                process="rechtskreiswechsel",
                state="vorgemerkt",
                person_id=None,
                facts={},
                deadlines={"items": []},
                deadline=None,
                overdue=False,
                final=False,
                version=0,
                workflow_id=f"rechtskreiswechsel-{case_id}",
                links={},
                created_at=NOW,
                updated_at=NOW,
            )
            for case_id in ids
        )
    return ids


async def _event(db: Database, kapazitaet: int, beginn: datetime = NOW + timedelta(days=10)) -> int:
    async with db.unit_of_work() as session:
        event = Infoveranstaltung(
            standort="Gevelsberg",
            beginn=beginn,
            dauer_minuten=90,
            adresse="Jobcenter",
            raum="Raum 1",
            kapazitaet=kapazitaet,
            belegt=0,
            status="geplant",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(event)
    return event.id


def _book(db: Database, case_id: str, sequence: int = 1, trigger: str = "einladen"):
    return platz_buchen(db, case_id=case_id, sequence=sequence, trigger=trigger, standort="Gevelsberg", ab=NOW, now=NOW)


def test_generate_two_events_a_month_on_first_and_third_tuesday_local_time():
    dates = termine(GEVELSBERG, 2027, 3)
    assert [d.isoformat() for d in dates] == ["2027-03-02T08:30:00+00:00", "2027-03-16T08:30:00+00:00"]
    assert [d.isoformat() for d in termine(GEVELSBERG, 2027, 4)] == [
        "2027-04-06T07:30:00+00:00",
        "2027-04-20T07:30:00+00:00",
    ]


async def test_generate_calendar_once_per_month_and_location(database: Database):
    kalender = InfoKalender(monate_voraus=2)
    assert await kalender_anlegen(database, kalender, NOW) == 2 * 2 * 3
    assert await kalender_anlegen(database, kalender, NOW) == 0
    async with database.unit_of_work(read_only=True) as session:
        per_location = dict(
            (
                await session.execute(
                    select(Infoveranstaltung.standort, func.count()).group_by(Infoveranstaltung.standort)
                )
            ).all()
        )
    assert per_location == {"Gevelsberg": 6, "Witten": 6}


async def test_book_exactly_capacity_under_fifty_concurrent_registrations(database: Database):
    """R31: 50 simultaneous bookings for an event with 20 places book exactly 20."""
    event_id = await _event(database, kapazitaet=20)
    cases = await _cases(database, 50)
    booked = await asyncio.gather(*(_book(database, case_id) for case_id in cases))
    assert sum(1 for b in booked if b is not None and b.id == event_id) == 20
    assert sum(1 for b in booked if b is None) == 30
    async with database.unit_of_work(read_only=True) as session:
        event = await session.get(Infoveranstaltung, event_id)
        rows = await session.scalar(
            select(func.count()).select_from(InfoBuchung).where(InfoBuchung.veranstaltung_id == event_id)
        )
    assert (event.belegt, rows) == (20, 20)


async def test_book_same_step_twice_returns_first_booking(database: Database):
    first_event = await _event(database, kapazitaet=5)
    [case_id] = await _cases(database, 1)
    first = await _book(database, case_id)
    again = await _book(database, case_id)
    assert first.id == again.id == first_event
    async with database.unit_of_work(read_only=True) as session:
        assert (await session.get(Infoveranstaltung, first_event)).belegt == 1


async def test_rebooking_releases_the_earlier_place(database: Database):
    early = await _event(database, kapazitaet=1)
    later = await _event(database, kapazitaet=1, beginn=NOW + timedelta(days=20))
    [case_id] = await _cases(database, 1)
    assert (await _book(database, case_id, sequence=1)).id == early
    moved = await platz_buchen(
        database,
        case_id=case_id,
        sequence=2,
        trigger="einladen",
        standort="Gevelsberg",
        ab=NOW + timedelta(days=15),
        now=NOW,
    )
    assert moved.id == later
    async with database.unit_of_work(read_only=True) as session:
        assert (await session.get(Infoveranstaltung, early)).belegt == 0
        statuses = list(
            await session.scalars(
                select(InfoBuchung.status).where(InfoBuchung.case_id == case_id).order_by(InfoBuchung.id)
            )
        )
    assert statuses == ["umgebucht", "gebucht"]


async def test_book_nothing_in_cancelled_event(database: Database):
    event_id = await _event(database, kapazitaet=5)
    async with database.unit_of_work() as session:
        (await session.get(Infoveranstaltung, event_id)).status = "abgesagt"
    [case_id] = await _cases(database, 1)
    assert await _book(database, case_id) is None
