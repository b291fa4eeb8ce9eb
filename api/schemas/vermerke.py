"""Gesprächsvermerke (R15): a conversation documented on a case without changing its state."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import COMMENT_LENGTH, Named, Strict


class VermerkCreate(BaseModel):
    model_config = Strict
    textbaustein: str = Field(max_length=60, examples=["beratungsgespraech"])
    text: str = Field(min_length=1, max_length=COMMENT_LENGTH, examples=["Bewerbungsunterlagen besprochen."])
    gespraech_am: AwareDatetime | None = Field(None, description="Wann das Gespräch war (Standard: jetzt)")


class VermerkPublic(BaseModel):
    id: int
    case_id: str
    nummer: int
    textbaustein: Named
    text: str | None  # None once erased (Art. 17 DSGVO)
    gespraech_am: datetime
    actor: str
    role: str
    created_at: datetime


class TextbausteinPublic(BaseModel):
    name: str
    label: str
    vorlage: str
