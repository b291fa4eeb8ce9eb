"""Request and response bodies of the information-event API (R31–R33)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import COMMENT_LENGTH, CaseId, Strict


class InfoveranstaltungCreate(BaseModel):
    """A further event at a configured location; room, address and places default to the location's rule."""

    model_config = Strict
    standort: str = Field(min_length=1, max_length=60, examples=["Gevelsberg"])
    beginn: AwareDatetime = Field(examples=["2027-03-02T09:30:00+01:00"])
    dauer_minuten: int = Field(90, ge=15, le=480)
    adresse: str | None = Field(None, min_length=1, max_length=200)
    raum: str | None = Field(None, min_length=1, max_length=100)
    kapazitaet: int | None = Field(None, ge=1, le=1000)


class InfoveranstaltungUpdate(BaseModel):
    """Only the fields given change. A new time needs an event without bookings (cancel it instead)."""

    model_config = Strict
    beginn: AwareDatetime | None = None
    dauer_minuten: int | None = Field(None, ge=15, le=480)
    adresse: str | None = Field(None, min_length=1, max_length=200)
    raum: str | None = Field(None, min_length=1, max_length=100)
    kapazitaet: int | None = Field(None, ge=1, le=1000)


class InfoveranstaltungPublic(BaseModel):
    id: int
    standort: str
    beginn: datetime
    dauer_minuten: int
    adresse: str
    raum: str
    kapazitaet: int
    belegt: int
    frei: int
    status: str  # geplant | abgesagt


class BuchungPublic(BaseModel):
    case_id: str
    case_url: str
    status: str  # gebucht | teilgenommen | nicht_erschienen | abgesagt | umgebucht
    created_at: datetime


class InfoveranstaltungDetail(InfoveranstaltungPublic):
    buchungen: list[BuchungPublic]


class TeilnahmeCreate(BaseModel):
    """R32/R33: whether the booked person came; fires teilgenommen or nicht_erschienen on the case."""

    model_config = Strict
    case_id: CaseId
    erschienen: bool
    comment: str | None = Field(None, max_length=COMMENT_LENGTH)


class UmbuchungPublic(BaseModel):
    case_id: str
    status: int  # HTTP status of the case's transition
    veranstaltung_id: int | None  # the new event (None: no free place, or the case could not move)
    detail: str | None = None


class AbsagePublic(BaseModel):
    veranstaltung: InfoveranstaltungPublic
    umgebucht: list[UmbuchungPublic]
