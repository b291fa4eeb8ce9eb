"""The content of a Kooperationsplan (R40, R41): goal, steps with who and by when, others involved.

This is Sozialdaten: it is validated here, stored in `plan_versions` and rendered
into letters and the plan document, but it never travels to Temporal. Workflows
only see a draft id and the content hash (`inhalt_hash`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Wer = Literal["elb", "jobcenter", "dritte"]
WER_LABELS: dict[str, str] = {"elb": "Ich", "jobcenter": "Jobcenter", "dritte": "Andere"}


class Schritt(BaseModel):
    """One step: what, who (the citizen, the Jobcenter, a third party) and by when."""

    model_config = ConfigDict(extra="forbid")
    was: Annotated[Text, StringConstraints(max_length=400)]
    wer: Wer
    bis: date
    durch: Annotated[Text, StringConstraints(max_length=120)] | None = Field(
        None, description="bei wer=dritte: wer genau (z. B. ein Bildungsträger)"
    )


class PlanInhalt(BaseModel):
    """What staff and citizen agreed (R40): the request body of plan_vereinbart, fortgeschrieben
    and of the Schlichtung's einigung (the proposal). Whether it fits on one DIN-A4 page (R41)
    is checked by rendering it."""

    model_config = ConfigDict(extra="forbid")
    ziel: Annotated[Text, StringConstraints(max_length=600)]
    schritte: list[Schritt] = Field(min_length=1, max_length=40)
    beteiligte: list[Annotated[Text, StringConstraints(max_length=160)]] = Field(
        default_factory=list,
        max_length=20,
        description="wer außerdem beteiligt ist (Stellen, keine Namen Dritter nötig)",
    )

    def schritte_von(self, wer: Wer) -> list[Schritt]:
        return [s for s in self.schritte if s.wer == wer]


def inhalt_hash(inhalt: PlanInhalt) -> str:
    """A stable fingerprint of the content (sorted JSON): travels to Temporal instead of the text."""
    canonical = json.dumps(inhalt.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _schritt_text(s: Schritt) -> str:
    return f"{WER_LABELS[s.wer]}: {s.was} (bis {s.bis.strftime('%d.%m.%Y')})"


def aenderungen(alt: PlanInhalt | None, neu: PlanInhalt) -> list[str]:
    """What changed from one plan version to the next, in German, for the version history (R42)."""
    if alt is None:
        return ["Erste Fassung des Plans"]
    changes: list[str] = []
    if alt.ziel != neu.ziel:
        changes.append(f"Ziel geändert: {neu.ziel}")
    before = {_schritt_text(s) for s in alt.schritte}
    after = {_schritt_text(s) for s in neu.schritte}
    changes += [f"Schritt neu: {text}" for text in (_schritt_text(s) for s in neu.schritte) if text not in before]
    changes += [f"Schritt entfallen: {text}" for text in (_schritt_text(s) for s in alt.schritte) if text not in after]
    added, dropped = set(neu.beteiligte) - set(alt.beteiligte), set(alt.beteiligte) - set(neu.beteiligte)
    changes += [f"Neu beteiligt: {b}" for b in neu.beteiligte if b in added]
    changes += [f"Nicht mehr beteiligt: {b}" for b in alt.beteiligte if b in dropped]
    return changes or ["Inhalt unverändert (erneut vereinbart)"]
