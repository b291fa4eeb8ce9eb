"""Cases: start one, fire a trigger, read it, its audit trail and its letters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from api.schemas.common import COMMENT_LENGTH, MAX_KEYS, CaseId, Named, Strict
from api.schemas.kooperationsplan import SchrittStand
from api.schemas.tasks import TaskPublic

T = TypeVar("T")


class AnschriftCreate(BaseModel):
    model_config = Strict
    strasse: str = Field(min_length=1, max_length=200)
    plz: str = Field(pattern=r"^\d{5}$")
    ort: str = Field(min_length=1, max_length=100)


class PersonCreate(BaseModel):
    """Personal data: stored only in the people table, never sent to Temporal."""

    model_config = Strict
    vorname: str = Field(min_length=1, max_length=100)
    nachname: str = Field(min_length=1, max_length=100)
    geburtsdatum: date | None = None
    anschrift: AnschriftCreate | None = None


class PersonPublic(BaseModel):
    person_id: str
    kundennummer: str | None = None
    vorname: str
    nachname: str
    geburtsdatum: date | None
    anschrift: AnschriftCreate | None


class CaseCreate(BaseModel):
    """Exactly one of `person` (a new person), `person_id` or `kundennummer` (a person already
    known, R14: the new case attaches to that record)."""

    model_config = Strict
    process: str = Field(max_length=40, examples=["neuantrag"])
    person: PersonCreate | None = None
    person_id: CaseId | None = None
    kundennummer: str | None = Field(None, pattern=r"^\d{1,20}$", examples=["00000042"])
    facts: dict[str, Any] = Field(
        default_factory=dict, max_length=MAX_KEYS, examples=[{"antragsweg": "persoenlich", "rehabilitand": False}]
    )
    rechtlicher_beginn: date | None = Field(
        None,
        description="Rechtlicher Beginn des Falls (nicht in der Zukunft; leer: heute). Er bestimmt den Rechtsstand "
        "(R61), z. B. ein 2025 begonnener Plan, den ein Jobcenter bei der Einführung übernimmt.",
        examples=["2025-03-01"],
    )


class TransitionCreate(BaseModel):
    model_config = Strict
    trigger: str = Field(max_length=60, examples=["an_clearing_uebergeben"])
    data: dict[str, Any] = Field(default_factory=dict, max_length=MAX_KEYS, examples=[{"uebergabe": "warm"}])
    comment: str | None = Field(None, max_length=COMMENT_LENGTH)


class DeadlinePublic(BaseModel):
    trigger: str
    label: str
    due: datetime
    marks_overdue: bool = False


class TriggerOption(Named):
    """A trigger the caller may fire now, with the JSON schema of its `data` (None: no data)."""

    payload_schema: dict[str, Any] | None = None


class CaseSummary(BaseModel):
    case_id: str
    process: str
    state: Named
    overdue: bool
    deadline: datetime | None
    final: bool
    version: int
    updated_at: datetime


class CasePublic(CaseSummary):
    process_label: str
    facts: dict[str, Any]
    allowed_triggers: list[TriggerOption]  # for the caller's roles only
    deadlines: list[DeadlinePublic]
    offene_aufgaben: list[TaskPublic] = Field(default_factory=list)  # the case's open tasks, every role's
    workflow_id: str
    temporal_ui_url: str
    links: dict[str, Any]
    person: PersonPublic | None
    created_at: datetime
    regime: str | None = Field(None, description="Rechtsstand (R61), z. B. grundsicherung_2026; leer: vor 0010")
    # Operator actions in the Temporal UI (README "Operations"): why the case closed outside its
    # process (terminiert, abgebrochen, fehlgeschlagen, zeitüberschritten), and whether its workflow
    # is paused (then transitions answer 409 until it is unpaused).
    closed_reason: str | None = None
    angehalten: bool = False
    plan_schritte: list[SchrittStand] | None = Field(
        None, description="Kooperationsplan: die Schritte des geltenden Plans und ihr Stand (R47); sonst leer"
    )


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class EventPublic(BaseModel):
    sequence: int
    trigger: Named
    from_state: Named | None
    to_state: Named
    actor: str
    role: str
    comment: str | None
    data: dict[str, Any]
    occurred_at: datetime
    regime: str | None = None  # the legal regime the step was taken under (R61)


class NotificationPublic(BaseModel):
    id: int
    case_id: str
    sequence: int
    template: str
    channel: str
    subject: str
    body: str
    status: str
    created_at: datetime
