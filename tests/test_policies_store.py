"""Policies as stored (persistence/policies.py), on SQLite and PostgreSQL: once per content, named
by the hash of their values (and regime), read back as they were; concurrent stores of the same
new policy do not collide."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from persistence import models as m
from persistence import policies
from persistence.db import Database
from statemachines import Policy
from tests.cases import rows

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CHANGED = Policy(schlichtung_verfuegbar=False, clearing_kontakt_nach=timedelta(days=10))


async def test_store_policy_once_per_content_and_read_it_back(database: Database):
    first = await database.run(lambda s: policies.store(s, Policy(), NOW))
    again = await database.run(lambda s: policies.store(s, Policy(), NOW + timedelta(days=1)))
    other = await database.run(lambda s: policies.store(s, CHANGED, NOW))
    assert first == again == policies.policy_id(policies.policy_values(Policy())) and other != first
    assert len(await rows(database, m.StoredPolicy)) == 2
    assert await database.run(lambda s: policies.load(s, other), read_only=True) == CHANGED
    assert await database.run(lambda s: policies.load(s, "0" * 64), read_only=True) is None


async def test_policy_id_names_content_and_regime():
    values = policies.policy_values(Policy())
    assert policies.policy_id(values) == policies.policy_id(dict(reversed(values.items())))  # key order is no content
    assert policies.policy_id(values, "buergergeld_2023") != policies.policy_id(values)
    assert policies.policy_id(policies.policy_values(CHANGED)) != policies.policy_id(values)


async def test_store_same_new_policy_concurrently_keeps_one_row(database: Database):
    stored = await asyncio.gather(*(database.run(lambda s: policies.store(s, CHANGED, NOW)) for _ in range(6)))
    assert len(set(stored)) == 1 and len(await rows(database, m.StoredPolicy)) == 1


async def test_record_transition_reads_each_stored_policy_once(database: Database):
    """The activity keeps the policies it read (their id is their content): a second letter of a case
    with the same policy asks the database no more; an unknown id is not kept."""
    from activities.cases import CaseActivities

    key = await database.run(lambda s: policies.store(s, CHANGED, NOW))
    recorder, reads = CaseActivities(database), []
    original = policies.load

    def counted(session, policy_key):
        reads.append(policy_key)
        return original(session, policy_key)

    policies.load = counted
    try:
        for _ in range(3):
            assert await database.run(lambda s: recorder._policy(s, key), read_only=True) == CHANGED
        assert await database.run(lambda s: recorder._policy(s, "0" * 64), read_only=True) is None
        assert await database.run(lambda s: recorder._policy(s, "0" * 64), read_only=True) is None
    finally:
        policies.load = original
    assert reads == [key, "0" * 64, "0" * 64]
