"""An erasure under Art. 17 DSGVO, as its caller sees it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class LoeschungPublic(BaseModel):
    loeschung_id: int
    case_ids: list[str]
    counts: dict[str, int]
    erased_at: datetime
    actor: str
