"""Request and response bodies of the group sessions and bookings (R20–R22)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import COMMENT_LENGTH, CaseId, Strict

Entscheidung = Literal["durchfuehren", "verkuerzen", "minigruppe", "einzelcoaching"]


class SitzungsplanCreate(BaseModel):
    """Generate the weekly schedule (R20) for `wochen` weeks from the week of `von`."""

    model_config = Strict
    von: date
    wochen: int = Field(1, ge=1, le=12)


class SitzungPublic(BaseModel):
    id: int
    beginn: datetime
    ende: datetime
    dauer_minuten: int
    kapazitaet: int
    min_teilnehmende: int
    gebucht: int
    frei: int
    pruefung_um: datetime
    status: str
    entscheidung: Entscheidung | None
    workflow_id: str


class EntscheidungCreate(BaseModel):
    """R21: the coaches' decision on a session with too few bookings."""

    model_config = Strict
    entscheidung: Entscheidung
    dauer_minuten: int | None = Field(None, ge=15, le=480, description="nur bei verkuerzen: die neue Dauer")
    kommentar: str | None = Field(None, max_length=COMMENT_LENGTH)

    @model_validator(mode="after")
    def _dauer_only_when_shortened(self) -> EntscheidungCreate:
        if (self.entscheidung == "verkuerzen") != (self.dauer_minuten is not None):
            raise ValueError("dauer_minuten gehört zu verkuerzen, und nur dazu")
        return self


class BuchungCreate(BaseModel):
    """Participants book for their own case (omit case_id); Jobcoaches name the case."""

    model_config = Strict
    case_id: CaseId | None = None


class AnwesenheitUpdate(BaseModel):
    model_config = Strict
    anwesend: bool


class BuchungPublic(BaseModel):
    id: int
    sitzung_id: int
    sitzung_beginn: datetime
    case_id: str
    status: Literal["gebucht", "storniert"]
    anwesend: bool | None
    gebucht_am: datetime
    storniert_am: datetime | None


class SitzungDetail(SitzungPublic):
    buchungen: list[BuchungPublic]
