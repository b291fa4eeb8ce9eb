"""Temporal activities: the only code that does I/O for the workflows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.cases import CaseActivities
from notifications import Absender
from persistence.db import Database


def all_activities(db: Database, absender: Absender | None = None) -> list[Callable[..., Any]]:
    """Every activity the worker registers, bound to the database (one line per module)."""
    cases = CaseActivities(db, absender)
    return [cases.record_transition]


__all__ = ["CaseActivities", "all_activities"]
