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


# Where psycopg sends; the pipeline's sync is always a round trip, the others only outside a pipeline.
_SENDS = (
    (BaseCursor, "_execute_send"),
    (BaseCursor, "_send_prepare"),
    (BaseCursor, "_send_query_prepared"),
    (BaseConnection, "_exec_command"),
    (BasePipeline, "_enqueue_sync"),
)


@contextlib.contextmanager
def counted(monkeypatch) -> Iterator[list[str]]:
    """The round trips made inside the block, one entry each (what was sent)."""
    for cls, name in _SENDS:
        _count(monkeypatch, cls, name)
    trips: list[str] = []
    token = _COUNTER.set(trips)
    try:
        yield trips
    finally:
        _COUNTER.reset(token)


def _count(monkeypatch, cls, name: str) -> None:
    original = getattr(cls, name)
    if getattr(original, "counting", False):  # patched already in this test
        return

    def send(self, *args, **kwargs):
        trips = _COUNTER.get()
        if trips is not None and (isinstance(self, BasePipeline) or not _pipelined(self)):
            sent = getattr(args[0], "query", args[0]) if args else None  # the SQL, or a prepared statement's name
            trips.append(f"{name} {bytes(sent)[:60]!r}" if isinstance(sent, bytes | memoryview) else name)
        return original(self, *args, **kwargs)

    send.counting = True
    monkeypatch.setattr(cls, name, send)


def _pipelined(sender) -> bool:
    """In a pipeline a send is queued: the pipeline's sync is its round trip."""
    connection = sender if isinstance(sender, BaseConnection) else sender._conn
    return bool(connection._pipeline)
