"""Bodies of the Arbeitgeberservice API (R28): organisations, never Sozialdaten (extra fields are refused)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import CaseId, Strict

KontaktArt = Literal["arbeitgeber", "netzwerkpartner"]
# R28: the AGS work of the concept (section 4), each a priority-4 task for the Jobcoaches (R27).
AgsAufgabeArt = Literal["stellenakquise", "bewerbungstag", "begleitung_zum_arbeitgeber", "arbeitsmarktberatung_ifk"]
GespraechThema = Literal["kontakt_mit_arbeitgeber", "stellenakquise", "bewerbungstag", "netzwerk", "sonstiges"]


class KontaktCreate(BaseModel):
    """An employer or network partner: the organisation's data only."""

    model_config = Strict
    art: KontaktArt
    name: str = Field(min_length=1, max_length=200, examples=["Muster Logistik GmbH"])
    branche: str | None = Field(None, max_length=100)
    anschrift: str | None = Field(None, max_length=300)
    telefon: str | None = Field(None, max_length=50, pattern=r"^[0-9 +()/-]{3,50}$")
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class KontaktUpdate(BaseModel):
    """Only the fields given change."""

    model_config = Strict
    # Left out: unchanged; never null (a contact keeps its name: null answered 500 before).
    name: str = Field(None, min_length=1, max_length=200)
    branche: str | None = Field(None, max_length=100)
    anschrift: str | None = Field(None, max_length=300)
    telefon: str | None = Field(None, max_length=50, pattern=r"^[0-9 +()/-]{3,50}$")
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class KontaktPublic(BaseModel):
    id: int
    art: str
    name: str
    branche: str | None
    anschrift: str | None
    telefon: str | None
    email: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class GespraechCreate(BaseModel):
    """A conversation with the organisation (R15 text block „Kontakt mit Arbeitgeber“)."""

    model_config = Strict
    am: AwareDatetime
    thema: GespraechThema = "kontakt_mit_arbeitgeber"
    notiz: str = Field(min_length=1, max_length=4000)


class GespraechPublic(BaseModel):
    id: int
    kontakt_id: int
    am: datetime
    thema: str
    notiz: str
    erfasst_von: str
    created_at: datetime


class AgsAufgabeCreate(BaseModel):
    """AGS work for the Jobcoaches (R27 priority 4); a case only for accompanying a citizen."""

    model_config = Strict
    art: AgsAufgabeArt
    due: AwareDatetime
    kontakt_id: int | None = Field(None, ge=1)
    case_id: CaseId | None = None
    titel: str | None = Field(None, min_length=1, max_length=200)
