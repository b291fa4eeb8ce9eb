"""The Kooperationsplan's versions (R41, R42); the plan's content is statemachines.plan_inhalt.PlanInhalt."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from statemachines.kooperationsplan import SchrittStatus
from statemachines.plan_inhalt import PlanInhalt, Wer


class SchrittStand(BaseModel):
    """R47: a step of the plan with its status; `nr` is what schritt_erfasst names."""

    nr: int = Field(description="Nummer des Schritts im Plan (1 = erster Schritt)")
    was: str
    wer: Wer
    bis: date
    durch: str | None = None
    status: SchrittStatus


class PlanVersionPublic(BaseModel):
    version: int
    status: str  # gueltig | abgeloest
    quelle: str  # vereinbart | fortgeschrieben | schlichtung
    gueltig_ab: datetime | None
    erstellt_von: str
    inhalt: PlanInhalt
    aenderungen: list[str]  # what changed against the version before (R42)
    schritte: list[SchrittStand] = Field(default_factory=list)  # each step's status in this version (R47)
    pdf_url: str


class SchlichtungsvorschlagPublic(BaseModel):
    """R53: a Schlichtung's proposal, kept whether or not it was agreed (an agreement is its own version)."""

    entwurf: str  # the id the plan case's facts name (schlichtung_vorschlag_entwurf)
    erstellt_von: str
    erstellt_am: datetime
    inhalt: PlanInhalt
    aenderungen: list[str]  # what it changes against the plan version in force when it was made
