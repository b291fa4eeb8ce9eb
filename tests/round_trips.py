"""Counting the round trips to PostgreSQL that a piece of work makes.

A round trip is something psycopg sends and then waits for the answer to: a statement, BEGIN,
COMMIT, a ping, a statement prepared on the server (its fifth run on a connection), or the sync
that ends a pipeline (executemany); what a pipeline queues before its sync is not one. Counted
where psycopg sends (its Python-level send functions), not where it waits: an answer may arrive
in pieces, or before psycopg looks, so its waits depend on timing and these counts do not.

`counted()` counts those of the calling task and of what it hands on with its context: the
database threads of `Database.run` run with a copy of the caller's context, so a worker's
activities, which run in contexts of their own, are not counted in an API request's count."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from psycopg._connection_base import BaseConnection
from psycopg._cursor_base import BaseCursor
from psycopg._pipeline_base import BasePipeline

_COUNTER: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("round_trips", default=None)


@contextlib.contextmanager
def counted(monkeypatch) -> Iterator[list[str]]:
    """The round trips made inside the block, one entry each (what was sent)."""
    for cls, name in (
        (BaseCursor, "_execute_send"),
        (BaseCursor, "_send_prepare"),
        (BaseCursor, "_send_query_prepared"),
        (BaseConnection, "_exec_command"),
    ):
        _count_unless_pipelined(monkeypatch, cls, name)
    _count_always(monkeypatch, BasePipeline, "_enqueue_sync")
    trips: list[str] = []
    token = _COUNTER.set(trips)
    try:
        yield trips
    finally:
        _COUNTER.reset(token)


def _note(what: str) -> None:
    trips = _COUNTER.get()
    if trips is not None:
        trips.append(what)


def _count_unless_pipelined(monkeypatch, cls, name: str) -> None:
    original = getattr(cls, name)
    if getattr(original, "counting", False):  # patched already in this test
        return

    def send(self, *args, **kwargs):
        connection = self if isinstance(self, BaseConnection) else self._conn
        if not connection._pipeline:  # in a pipeline it is queued: its sync is the round trip
            sent = getattr(args[0], "query", args[0])  # the SQL, or the prepared statement's name
            _note(f"{name} {bytes(sent)[:60]!r}" if isinstance(sent, bytes | memoryview) else name)
        return original(self, *args, **kwargs)

    send.counting = True
    monkeypatch.setattr(cls, name, send)


def _count_always(monkeypatch, cls, name: str) -> None:
    original = getattr(cls, name)
    if getattr(original, "counting", False):
        return

    def send(self, *args, **kwargs):
        _note(name)
        return original(self, *args, **kwargs)

    send.counting = True
    monkeypatch.setattr(cls, name, send)
