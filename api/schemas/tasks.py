"""The staff inbox: tasks, and what a caller sends to add, hand over or take one."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from api.schemas.common import CaseId, Strict


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
    vorrang: bool = False  # R25 Jobturbo: first within its R27 priority
    ref: str | None = None  # a subject other than a case, e.g. "sitzung:42"
    link: str | None = None  # where to act: the case, or e.g. the session
    closed_at: datetime | None = None
    closed_by: str | None = None


class TaskCreate(BaseModel):
    """A task by hand (e.g. for the Arbeitgeberservice, R27 priority 4)."""

    model_config = Strict
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{1,59}$", examples=["ags_stellenangebot"])
    role: str = Field(max_length=40)
    title: str = Field(min_length=1, max_length=300)
    priority: int = Field(
        5, ge=1, le=5, description="R27: 1 Gruppensitzung, 2 Clearingtermin, 3 warme Übergabe, 4 AGS, 5 sonst"
    )
    due: AwareDatetime
    case_id: CaseId | None = None


class TaskReassign(BaseModel):
    """Give the task to another role and/or person; at least one of them."""

    model_config = Strict
    role: str | None = Field(None, max_length=40)
    assignee: str | None = Field(None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _something(self) -> TaskReassign:
        if self.role is None and self.assignee is None:
            raise ValueError("role oder assignee angeben")
        return self
