"""The read model of a case (its `cases` row) from what the workflow reports: one mapping for
record_transition (a TransitionRecord), the API's case creation (the start) and the API's
answer to a transition (the workflow's CaseSnapshot, as the row will be once recorded)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from persistence.db import as_utc
from workflows.messages import CaseSnapshot, DeadlineInfo, TransitionRecord


def read_model(
    *,
    state: str,
    facts: dict[str, Any],
    deadlines: Sequence[DeadlineInfo],
    overdue: bool,
    final: bool,
    sequence: int,
    links: Mapping[str, Any],
    at: datetime,
) -> dict[str, Any]:
    """The columns of `cases` that a transition changes, after event `sequence` at `at`."""
    return {
        "state": state,
        "facts": facts,
        "deadlines": {"items": [d.model_dump(mode="json") for d in deadlines]},
        "deadline": as_utc(min((d.due for d in deadlines), default=None)),  # the earliest pending
        "overdue": overdue,
        "final": final,
        "version": sequence,
        "links": dict(links),
        "updated_at": as_utc(at),
    }


def of_record(rec: TransitionRecord, links: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """After a recorded event; `links` are the row's links so far (the event's are added)."""
    return read_model(
        state=rec.dest,
        facts=rec.facts,
        deadlines=rec.deadlines,
        overdue=rec.overdue,
        final=rec.final,
        sequence=rec.sequence,
        links={**(links or {}), **rec.links},
        at=rec.occurred_at,
    )


def of_snapshot(snap: CaseSnapshot, links: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """As the workflow answered a transition (the row may lag behind it by a commit)."""
    return read_model(
        state=snap.state,
        facts=snap.facts,
        deadlines=snap.deadlines,
        overdue=snap.overdue,
        final=snap.final,
        sequence=snap.sequence,
        links={**(links or {}), **snap.links},
        at=snap.updated_at or now,
    )
