"""Counting the round trips to PostgreSQL that a piece of work makes, by psycopg's waits.

psycopg waits once for every exchange with the server (BEGIN, a statement, COMMIT, a ping).
`counted()` counts those of the calling task and of what it hands on with its context: the
database threads of `Database.run` run with a copy of the caller's context, so a worker's
activities, which run in contexts of their own, are not counted in an API request's count."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import psycopg
from psycopg.waiting import Wait

_COUNTER: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("round_trips", default=None)


@contextlib.contextmanager
def counted(monkeypatch) -> Iterator[list[str]]:
    """The round trips made inside the block, one entry each (the kind of exchange)."""
    for cls in (psycopg.Connection, psycopg.AsyncConnection):
        _patch(monkeypatch, cls)
    trips: list[str] = []
    token = _COUNTER.set(trips)
    try:
        yield trips
    finally:
        _COUNTER.reset(token)


def _patch(monkeypatch, cls) -> None:
    original = cls.wait
    if getattr(original, "counting", False):
        return

    def wait(self, gen, *args, **kwargs):
        trips = _COUNTER.get()
        if trips is not None:
            gen = _reads(gen, trips)
        return original(self, gen, *args, **kwargs)

    wait.counting = True
    monkeypatch.setattr(cls, "wait", wait)


def _reads(gen, trips: list[str]):
    """`gen` as it is, noting each time it waits for the server to answer (a round trip)."""
    name = getattr(gen, "__qualname__", "?")
    try:
        wanted = next(gen)
        while True:
            if wanted == Wait.R:
                trips.append(name)
            ready = yield wanted
            wanted = gen.send(ready)
    except StopIteration as done:
        return done.value
