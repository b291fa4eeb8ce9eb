"""Inputs and outputs of the case workflows and their activities.

One input model and one output model per message, so fields can be added later
without breaking running workflows. Nothing here may carry personal data: the
workflow knows a case id, a pseudonymous person id and non-personal facts.
Who fired a trigger and their free-text comment stay in the database
(`transition_requests`); Temporal only sees the request id and the role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from statemachines.policy import Policy


class DeadlineInfo(BaseModel):
    trigger: str
    label: str
    due: datetime
    marks_overdue: bool = False


class CaseInput(BaseModel):
    """Start (or continue-as-new) input of every case workflow."""

    case_id: str
    process: str
    person_id: str | None = None
    facts: dict[str, Any]
    policy: Policy = Field(default_factory=Policy)
    links: dict[str, str] = Field(default_factory=dict)  # process -> case id of a linked case
    parent_workflow_id: str | None = None  # set when this case reports its end to a parent
    # Carried across continue-as-new; empty on a fresh start.
    state: str | None = None
    sequence: int = 0
    entered_at: datetime | None = None
    fired: list[str] = Field(default_factory=list)
    overdue: bool = False


class TransitionRequest(BaseModel):
    trigger: str
    data: dict[str, Any] = Field(default_factory=dict)
    role: str
    request_id: str | None = None  # joins actor and comment from transition_requests


class CaseSnapshot(BaseModel):
    """The query result and the update result: what the workflow holds now."""

    case_id: str
    process: str
    state: str
    sequence: int
    facts: dict[str, Any]
    deadlines: list[DeadlineInfo] = Field(default_factory=list)
    overdue: bool = False
    final: bool = False
    links: dict[str, str] = Field(default_factory=dict)
    updated_at: datetime | None = None  # when the last transition happened (workflow time)


class TaskInfo(BaseModel):
    kind: str
    role: str
    title: str
    priority: int
    due: datetime
    vorrang: bool = False  # goes first in its queue, before the R27 priorities (R25 Jobturbo)


class TransitionRecord(BaseModel):
    """Input of `record_transition`: one audit event and everything it causes.

    sequence 0 is the start of the case (trigger "fall_angelegt", source None):
    recording it creates the read-model row if the API has not already.
    """

    case_id: str
    process: str
    person_id: str | None = None
    sequence: int
    trigger: str
    source: str | None
    dest: str
    entered: bool  # False for internal transitions: tasks of the state stay open
    role: str
    request_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    facts: dict[str, Any]
    occurred_at: datetime
    deadlines: list[DeadlineInfo] = Field(default_factory=list)
    overdue: bool = False
    final: bool = False
    letters: list[str] = Field(default_factory=list)
    tasks: list[TaskInfo] = Field(default_factory=list)
    links: dict[str, str] = Field(default_factory=dict)


class RecordResult(BaseModel):
    written: bool  # False when the event was already there (a retried activity)


class PrepareRequest(BaseModel):
    """Input of a trigger's `prepare` activity: it computes the payload the step needs."""

    case_id: str
    process: str
    trigger: str
    sequence: int  # the sequence the step will get: an idempotency key for the activity
    facts: dict[str, Any]
    data: dict[str, Any] = Field(default_factory=dict)
    now: datetime
    policy: Policy | None = None  # the case's policy (e.g. an R33 threshold the booking respects)


class PrepareResult(BaseModel):
    data: dict[str, Any]
