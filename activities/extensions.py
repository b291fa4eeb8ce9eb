"""What a process may add to the common path, declared once per process (`ProcessIO`) and
collected in activities/registry.py:

- prepare activities: a trigger's `prepare` names one (statemachines/); the workflow runs it
  before the step to complete the payload (e.g. book a free place);
- a record hook: its own writes in record_transition's transaction (e.g. a plan version);
- payload converters: what the API sends the workflow instead of a trigger's request data
  (e.g. a stored plan draft's id instead of the plan's text);
- further activities its workflows call (e.g. the group-session check).

Defined here (not in the API) because the worker registers the activities: the API imports
this layer, never the other way round.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from persistence.db import Database
from statemachines.policy import Policy
from workflows.messages import TransitionRecord

# A process's own writes in the transition's transaction; returns extra context for its letters.
# Runs once per event, like everything in record_transition, and like it is sync code: the
# whole transaction runs in one database thread (Database.run).
RecordHook = Callable[[Session, TransitionRecord], dict[str, Any]]
# (db, case id, request data, acting user, the case's policy) -> what the workflow receives.
# Raises DomainError (e.g. INVALID) for content it cannot take.
PayloadConverter = Callable[[Database, str, dict[str, Any], str, Policy], Awaitable[dict[str, Any]]]
# Builds an activity (an `activity.defn` callable) bound to the database.
ActivityFactory = Callable[[Database], Callable[..., Awaitable[Any]]]


@dataclass(frozen=True)
class ProcessIO:
    process: str
    prepare: Mapping[str, ActivityFactory] = field(default_factory=dict)  # activity name (Trigger.prepare) -> it
    record_hook: RecordHook | None = None
    converters: Mapping[str, PayloadConverter] = field(default_factory=dict)  # trigger -> its converter
    activities: Mapping[str, ActivityFactory] = field(default_factory=dict)  # activity name -> it
