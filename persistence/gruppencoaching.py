"""Group sessions and their bookings (R20–R22): data beside the gruppencoaching and
neuantrag cases. A booking names a case, never a person: the person is behind the case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, Select, String, Text, UniqueConstraint, and_, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models import Base, Case, Task

# Session status: geplant → bestaetigt (enough bookings at the R21 check) or
# entscheidung_offen (too few) → entschieden (the coaches' R21 decision is recorded).
GEPLANT, BESTAETIGT, ENTSCHEIDUNG_OFFEN, ENTSCHIEDEN = "geplant", "bestaetigt", "entscheidung_offen", "entschieden"
GEBUCHT, STORNIERT = "gebucht", "storniert"


class Sitzung(Base):
    """One group session of the weekly schedule."""

    __tablename__ = "gc_sitzungen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    beginn: Mapped[datetime] = mapped_column(unique=True)
    dauer_minuten: Mapped[int]
    kapazitaet: Mapped[int]
    min_teilnehmende: Mapped[int]
    pruefung_um: Mapped[datetime]  # R21: when the minimum is checked (beginn − Vorlauf)
    status: Mapped[str] = mapped_column(String(30), default=GEPLANT, index=True)
    gebucht_bei_pruefung: Mapped[int | None]
    entscheidung: Mapped[str | None] = mapped_column(
        String(30)
    )  # durchfuehren | verkuerzen | minigruppe | einzelcoaching
    entschieden_von: Mapped[str | None] = mapped_column(String(100))
    entschieden_am: Mapped[datetime | None]
    kommentar: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Buchung(Base):
    """A case's place in a session; cancelling keeps the row (status storniert)."""

    __tablename__ = "gc_buchungen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sitzung_id: Mapped[int] = mapped_column(ForeignKey("gc_sitzungen.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=GEBUCHT)
    anwesend: Mapped[bool | None] = mapped_column(Boolean)
    gebucht_von: Mapped[str] = mapped_column(String(100))
    gebucht_am: Mapped[datetime]
    storniert_am: Mapped[datetime | None]
    anwesenheit_von: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("sitzung_id", "case_id", name="uq_gc_buchungen_sitzung_case"),)


async def aufgabe_oeffnen(session, *, kind: str, ref: str, role: str, title: str, due: datetime, now: datetime):
    """Open the task of `kind` for `ref`, or open it again (R21 decisions are unique per kind and session)."""
    task = await session.scalar(select(Task).where(Task.kind == kind, Task.ref == ref))
    if task is None:
        task = Task(case_id=None, sequence=None, kind=kind, ref=ref, state=None, priority=1, created_at=now)
        session.add(task)
    task.role, task.title, task.due, task.status = role, title, due, "offen"
    task.assignee, task.closed_at, task.closed_by = None, None, None
    return task


def ausfaelle_count(sitzung_id: int) -> Select:
    """R21: booked places recorded as not attended (Ausfälle)."""
    return (
        select(func.count())
        .select_from(Buchung)
        .where(Buchung.sitzung_id == sitzung_id, Buchung.status == GEBUCHT, Buchung.anwesend.is_(False))
    )


def gebucht_count(sitzung_id: int, buchbar: dict[str, frozenset[str]]) -> Select:
    """Booked places of a session that count: bookings of cases still in a bookable state."""
    still_bookable = or_(
        *(and_(Case.process == p, Case.state.in_(sorted(states))) for p, states in sorted(buchbar.items()))
    )
    return (
        select(func.count())
        .select_from(Buchung)
        .join(Case, Case.case_id == Buchung.case_id)
        .where(Buchung.sitzung_id == sitzung_id, Buchung.status == GEBUCHT, still_bookable)
    )
