"""Temporal activities: the only code that does I/O for the workflows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.cases import CaseActivities
from activities.child_ends import ChildEndActivities
from activities.gruppencoaching import GruppencoachingActivities
from activities.registry import process_activities, record_hooks
from persistence.db import Database
from runtime.settings import Briefkopf


def all_activities(db: Database, briefkopf: Briefkopf | None = None) -> list[Callable[..., Any]]:
    """Every activity the worker registers, bound to the database: record_transition with each
    process's record hook, and each process's own activities (activities/registry.py); letters
    carry the sender of `briefkopf` (R19, settings)."""
    cases = CaseActivities(db, briefkopf, hooks=record_hooks())
    return [
        cases.record_transition,
        cases.find_lost_step,
        ChildEndActivities(db).check_child_end,
        *process_activities(db).values(),
    ]


__all__ = ["CaseActivities", "GruppencoachingActivities", "all_activities"]
