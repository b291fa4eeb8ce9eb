"""Participant access to one case (R22): issued by a Jobcoach or IFK, the token shown once."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ZugangPublic(BaseModel):
    id: int
    case_id: str
    issued_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    gueltig: bool


class ZugangIssued(ZugangPublic):
    token: str  # shown only in this answer; stored only as its hash
    hinweis: str = (
        "Das Token wird nur jetzt angezeigt. Es gilt als Bearer-Token der Rolle teilnehmende für diesen Fall."
    )
