"""Helpers for the Rechtskreiswechsel tests: dates relative to the test server's clock,
starting a case, and terminating the Neuantrag cases it spawns (ABANDON children
outlive the test and would stall time skipping for later tests)."""

from __future__ import annotations

import asyncio
import calendar
from datetime import date, datetime, timedelta

import pytest

from statemachines import Policy
from tests.cases import snapshot, start_case
from tests.conftest import _settle as settle
from tests.conftest import _terminate as terminate

GEVELSBERG = "Gevelsberg"


def plus_monate(day: date, months: int) -> date:
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


async def now(env) -> datetime:
    return await env.get_current_time()


async def start_rkw(
    client, task_queue: str, alg1_ende: date, *, standort: str = GEVELSBERG, policy: Policy | None = None
):
    facts = {"alg1_ende": alg1_ende.isoformat(), "standort": standort}
    return await start_case(client, task_queue, facts, process="rechtskreiswechsel", policy=policy)


async def eventually(probe, predicate=bool, attempts: int = 200):
    """Poll until `predicate(value)` holds (timer work and activities finish asynchronously)."""
    value = None
    for _ in range(attempts):
        value = await probe()
        if predicate(value):
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not reached, last value: {value!r}")


async def in_state(handle, state: str):
    return await eventually(lambda: snapshot(handle), lambda s: s.state == state)


@pytest.fixture
async def spawned(env):
    """Workflow ids of spawned Neuantrag cases; terminated after the test (request this
    fixture after `worker`, so it is torn down while the worker still runs)."""
    ids: list[str] = []
    yield ids
    await settle(env.client, ids)  # before the worker stops: nothing may be left in flight
    await terminate(env.client, ids)


__all__ = ["GEVELSBERG", "eventually", "in_state", "now", "plus_monate", "spawned", "start_rkw"]


async def event_begun(env, facts: dict, after: timedelta = timedelta(minutes=5)) -> None:
    """Skip to just after the booked information event began (R32: attendance only from then)."""
    termin = datetime.fromisoformat(facts["veranstaltung_termin"])
    await env.sleep(max(termin + after - await now(env), timedelta(0)))
