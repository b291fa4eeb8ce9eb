"""Information events of the Rechtskreiswechsel (R31) and their bookings: data beside
the rechtskreiswechsel cases. A booking names a case, never a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models import Base

GEPLANT, ABGESAGT = "geplant", "abgesagt"  # event status
# Booking status: gebucht → teilgenommen | nicht_erschienen | abgesagt (its event) | umgebucht
GEBUCHT, TEILGENOMMEN, NICHT_ERSCHIENEN, UMGEBUCHT = "gebucht", "teilgenommen", "nicht_erschienen", "umgebucht"


class Infoveranstaltung(Base):
    """One information event; `belegt` counts its active bookings and never exceeds `kapazitaet`."""

    __tablename__ = "infoveranstaltungen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    standort: Mapped[str] = mapped_column(String(60), index=True)
    beginn: Mapped[datetime] = mapped_column(index=True)
    dauer_minuten: Mapped[int]
    adresse: Mapped[str] = mapped_column(String(200))
    raum: Mapped[str] = mapped_column(String(100))
    kapazitaet: Mapped[int]
    belegt: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default=GEPLANT)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("standort", "beginn", name="uq_infoveranstaltungen_standort_beginn"),)


class InfoBuchung(Base):
    """A case's place in an event, booked by the step (case, sequence, trigger): a retried
    booking activity finds its row instead of booking twice."""

    __tablename__ = "infoveranstaltung_buchungen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    veranstaltung_id: Mapped[int] = mapped_column(ForeignKey("infoveranstaltungen.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), index=True)
    sequence: Mapped[int]
    trigger: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default=GEBUCHT)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("case_id", "sequence", "trigger", name="uq_infoveranstaltung_buchungen_step"),)


class InfoKalenderMonat(Base):
    """A month whose events were generated from the calendar rule of a location (R31), once."""

    __tablename__ = "infokalender_monate"

    standort: Mapped[str] = mapped_column(String(60), primary_key=True)
    monat: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    created_at: Mapped[datetime]
