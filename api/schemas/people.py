"""People (R14) and the Fallakte (R13, R16): what staff find and see of a person."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from api.schemas.cases import DeadlinePublic, PersonPublic
from api.schemas.common import Named
from api.schemas.tasks import TaskPublic
from api.schemas.vermerke import VermerkPublic


class PersonTreffer(BaseModel):
    """A person found by the search, with the number of their cases the caller may read."""

    person_id: str
    kundennummer: str | None
    vorname: str
    nachname: str
    geburtsdatum: date | None
    faelle: int
    offene_faelle: int


class FallakteFall(BaseModel):
    """One case of the person: state with label, deadlines, open tasks."""

    case_id: str
    process: Named
    state: Named
    final: bool
    overdue: bool
    deadlines: list[DeadlinePublic]
    offene_aufgaben: list[TaskPublic]
    created_at: datetime
    updated_at: datetime
    url: str


class Vereinbarung(BaseModel):
    """The agreements in force: the current version of a Kooperationsplan (R40-R42)."""

    case_id: str
    version: int
    state: Named
    vereinbart_am: datetime
    ueberpruefung_faellig: datetime | None
    inhalt: dict
    url: str


class MinderungVorschlag(BaseModel):
    """What the system proposed (R65, R66): the Leistung role decided on it (R67)."""

    prozent: int
    monate: int
    entzug: bool
    stufe: int
    begruendung: list[str]


class MinderungEintrag(BaseModel):
    """A running or past Leistungsminderung of the person (R64–R67), from its case."""

    case_id: str
    state: Named
    laeuft: bool = Field(description="noch nicht abgeschlossen (Anhörung, Entscheidung offen, Entzug)")
    anlass: Named
    regime: Named
    ereignis_am: datetime
    vorschlag: MinderungVorschlag | None
    prozent: int | None = Field(description="entschieden: Prozent des Regelbedarfs")
    monate: int | None = Field(description="entschieden: Dauer in Monaten")
    beginn: date | None = Field(description="entschieden: erster Tag")
    entzug: bool = Field(description="R66: Leistungen entzogen bis zur persönlichen Meldung")
    haertepruefung: Named | None
    abgesehen_grund: Named | None
    entschieden_am: datetime | None
    frist_feststellung: datetime = Field(description="§ 31b: Entscheidung spätestens bis (R64)")
    url: str


class Fallakte(BaseModel):
    person: PersonPublic
    faelle: list[FallakteFall]
    offene_aufgaben: int
    letzte_vermerke: list[VermerkPublic]
    vereinbarungen: list[Vereinbarung]
    minderungen: list[MinderungEintrag] = Field(
        default_factory=list, description="laufende zuerst, dann nach dem Ereignis, neueste zuerst"
    )
