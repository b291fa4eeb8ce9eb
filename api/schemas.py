"""Request and response bodies of the REST API (XCreate / XPublic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")
Strict = ConfigDict(extra="forbid")  # every request body refuses unknown fields (422)
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
CaseId = Annotated[str, Field(pattern=UUID_PATTERN, max_length=36, examples=["3f2b8c1e-5d4a-4e7b-9c0d-1a2b3c4d5e6f"])]
MAX_KEYS = 50  # facts and transition data: a handful of declared fields, checked by the process
COMMENT_LENGTH = 2000
MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits in PostgreSQL; larger ones would overflow in SQL
Id = Annotated[int, Path(ge=1, le=MAX_ID)]  # an id in the path
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]  # an optional id filter
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


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
    vorname: str
    nachname: str
    geburtsdatum: date | None
    anschrift: AnschriftCreate | None


class CaseCreate(BaseModel):
    model_config = Strict
    process: str = Field(max_length=40, examples=["neuantrag"])
    person: PersonCreate
    facts: dict[str, Any] = Field(default_factory=dict, max_length=MAX_KEYS, examples=[{"antragsweg": "persoenlich", "rehabilitand": False}])


class TransitionCreate(BaseModel):
    model_config = Strict
    trigger: str = Field(max_length=60, examples=["an_clearing_uebergeben"])
    data: dict[str, Any] = Field(default_factory=dict, max_length=MAX_KEYS, examples=[{"uebergabe": "warm"}])
    comment: str | None = Field(None, max_length=COMMENT_LENGTH)


class Named(BaseModel):
    name: str
    label: str


class DeadlinePublic(BaseModel):
    trigger: str
    label: str
    due: datetime
    marks_overdue: bool = False


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
    allowed_triggers: list[Named]
    deadlines: list[DeadlinePublic]
    workflow_id: str
    temporal_ui_url: str
    links: dict[str, Any]
    person: PersonPublic | None
    created_at: datetime


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


class TriggerPublic(BaseModel):
    name: str
    label: str
    roles: list[str]
    timer: bool
    payload_schema: dict[str, Any] | None


class DeadlineDecl(BaseModel):
    trigger: str
    label: str
    policy_setting: str | None
    marks_overdue: bool


class StatePublic(BaseModel):
    name: str
    label: str
    final: bool
    initial: bool
    deadlines: list[DeadlineDecl]


class TransitionDecl(BaseModel):
    trigger: str
    source: list[str]
    dest: str | None
    guards: list[str]
    letters: list[str]
    tasks: list[str]


class ProcessPublic(BaseModel):
    name: str
    label: str
    initial: str
    roles: list[str]
    states: list[StatePublic]
    triggers: list[TriggerPublic]
    transitions: list[TransitionDecl]
    start_schema: dict[str, Any]


class TaskPublic(BaseModel):
    id: int
    case_id: str | None
    case_url: str | None
    kind: str
    role: str
    title: str
    priority: int
    due: datetime
    overdue: bool
    status: str
    assignee: str | None
    created_at: datetime
    vorrang: bool = False  # R25 Jobturbo: first in the queue
    ref: str | None = None  # a subject other than a case, e.g. "sitzung:42"
    link: str | None = None  # where to act: the case, or e.g. the session
    closed_at: datetime | None = None
    closed_by: str | None = None


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


class Health(BaseModel):
    status: str
    temporal: bool
    database: bool


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ProblemPublic(BaseModel):
    """An error as application/problem+json (RFC 9457); some carry more members
    (e.g. `allowed_triggers`, `roles`, `state`)."""

    model_config = ConfigDict(extra="allow", title="Problem")
    type: str = Field(examples=["/problems/not-found"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemError] | None = None
