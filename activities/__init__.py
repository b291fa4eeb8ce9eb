"""Temporal activities: the only code that does I/O for the workflows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.cases import CaseActivities
from activities.gruppencoaching import GruppencoachingActivities
from activities.kooperationsplan import RECORD_HOOKS, KooperationsplanActivities
from activities.rechtskreiswechsel import RechtskreiswechselActivities
from notifications import Absender
from persistence.db import Database


def all_activities(db: Database, absender: Absender | None = None) -> list[Callable[..., Any]]:
    """Every activity the worker registers, bound to the database (one line per module)."""
    cases = CaseActivities(db, absender, hooks=RECORD_HOOKS)
    kooperationsplan = KooperationsplanActivities(db)
    gruppencoaching = GruppencoachingActivities(db)
    rechtskreiswechsel = RechtskreiswechselActivities(db)
    return [cases.record_transition, gruppencoaching.pruefe_sitzung, *kooperationsplan.activities(), rechtskreiswechsel.infoveranstaltung_buchen]


__all__ = ["CaseActivities", "GruppencoachingActivities", "all_activities"]
