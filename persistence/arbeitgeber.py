"""Arbeitgeberservice (R28): employers and network partners as contacts, and the conversations
with them. Organisation data only, never Sozialdaten: a contact names an organisation, not a
citizen; a citizen an AGS task is about is reached through a case id on the task."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models import Base

ARTEN = ("arbeitgeber", "netzwerkpartner")


class AgsKontakt(Base):
    __tablename__ = "ags_kontakte"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    art: Mapped[str] = mapped_column(String(20), index=True)  # arbeitgeber | netzwerkpartner
    name: Mapped[str] = mapped_column(String(200), index=True)  # the organisation
    branche: Mapped[str | None] = mapped_column(String(100))
    anschrift: Mapped[str | None] = mapped_column(String(300))
    telefon: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AgsGespraech(Base):
    """A conversation with an employer or partner (R15 text block „Kontakt mit Arbeitgeber“)."""

    __tablename__ = "ags_gespraeche"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kontakt_id: Mapped[int] = mapped_column(ForeignKey("ags_kontakte.id"), index=True)
    am: Mapped[datetime]
    thema: Mapped[str] = mapped_column(String(40))
    notiz: Mapped[str] = mapped_column(Text)
    erfasst_von: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
