"""Policies (R60) as stored: once per content, so a case names its policy by a hash.

`store` writes a policy unless it is there (both backends: INSERT … ON CONFLICT DO NOTHING, so
concurrent case creations with the same new policy do not collide); `load` reads its values.
Sync code: it runs inside the callers' transactions (the API's unit of work via run_sync,
record_transition in its database thread).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from persistence.models import StoredPolicy
from statemachines.policy import Policy

_table = StoredPolicy.__table__
_INSERT = {
    name: dialect.insert(_table).on_conflict_do_nothing(index_elements=["policy_id"])
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_VALUES = select(_table.c.policy_values).where(_table.c.policy_id == bindparam("policy_id"))


def policy_id(values: dict[str, Any], regime: str | None = None) -> str:
    """The content hash naming a policy: its values (as JSON) and the regime they belong to."""
    canonical = json.dumps({"regime": regime, "values": values}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def policy_values(policy: Policy) -> dict[str, Any]:
    return policy.model_dump(mode="json")


def store(session: Session, policy: Policy, now: datetime, regime: str | None = None) -> str:
    """The policy's id, after storing it if it is new."""
    values = policy_values(policy)
    key = policy_id(values, regime)
    row = {"policy_id": key, "regime": regime, "policy_values": values, "created_at": now}
    session.execute(_INSERT[session.get_bind().dialect.name], row)
    return key


def load(session: Session, key: str) -> Policy | None:
    values = session.scalar(_VALUES, {"policy_id": key})
    return None if values is None else Policy.model_validate(values)
