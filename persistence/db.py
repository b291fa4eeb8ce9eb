"""The database: SQLAlchemy engines and the unit of work around each transaction.

User-facing URLs name the database, not the driver: `sqlite:///path.db` and
`postgresql://…` map to the async drivers (aiosqlite, psycopg 3) for `unit_of_work`
and to the sync drivers (sqlite3, psycopg 3) for `run` and for Alembic (`sync_url`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from persistence import ping

T = TypeVar("T")
SQLITE_THREADS = 8  # database threads of one process on SQLite (its writers queue on one lock anyway)

SQLITE_BUSY_TIMEOUT_MS = 5000
# PostgreSQL unreachable: fail within seconds (the API answers 503, activities retry) instead of hanging.
CONNECT_TIMEOUT_SECONDS = 3
POOL_TIMEOUT_SECONDS = 5
_POSTGRES_SCHEMES = ("postgresql", "postgres")
_SQLITE_BEGIN = "fahrplan_sqlite_begin"  # execution option read by the SQLite "begin" listener
AUDIT_KEYS_INFO = "fahrplan_audit_keys"  # Session.info key of the audit chain's keys (persistence/audit.py)


def _backend(url: URL) -> str:
    scheme = url.get_backend_name()
    if scheme == "sqlite":
        return "sqlite"
    if scheme in _POSTGRES_SCHEMES:
        return "postgresql"
    raise ValueError(f"unsupported database URL scheme {url.drivername!r}: use sqlite:/// or postgresql://")


def async_url(url: str | URL) -> URL:
    """The URL with the async driver of its backend (sqlite+aiosqlite, postgresql+psycopg)."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}[_backend(parsed)]
    return parsed.set(drivername=driver)


def sync_url(url: str | URL) -> URL:
    """The URL with the sync driver of its backend (sqlite, postgresql+psycopg), for Alembic."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}[_backend(parsed)]
    return parsed.set(drivername=driver)


def as_utc(value: datetime | None) -> datetime | None:
    """Instants in UTC, aware. SQLite keeps no offset: what it returns is naive UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def private_sqlite_file(url: str | URL, create_directory: bool = False) -> None:
    """A SQLite database file (it holds personal data) is created 0600 before SQLite opens it
    (its directory 0700, when asked to create that); SQLite gives its -wal and -shm files the
    database file's mode. Files made before this was so are tightened (where they are ours)."""
    parsed = make_url(url)
    if _backend(parsed) != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    path = Path(parsed.database)
    if not path.parent.exists():
        if not create_directory:
            return  # SQLite will report it
        path.parent.mkdir(parents=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # empty: a valid new database
    except FileExistsError:
        pass
    for existing in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):  # missing, or not ours to change
            if existing.stat().st_mode & 0o077:
                existing.chmod(0o600)


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout on every connection; writers lock at BEGIN.

    Worker and API are separate processes sharing one file. In WAL mode a
    deferred transaction that first reads and then writes fails at once with
    SQLITE_BUSY when another process committed in between (busy_timeout does not
    help there), so every transaction starts with BEGIN IMMEDIATE and waits its
    turn instead. The driver's own implicit BEGIN is switched off for that.
    Read-only transactions begin DEFERRED and never wait for a writer.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives a crash of any process; only a power
            # loss can take the last commits with it (production runs PostgreSQL).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            # Deleted and overwritten content is zeroed, not left in free space (Art. 17 erasure:
            # persistence/erasure.py). Many builds have it on already; this one must not depend on it.
            cursor.execute("PRAGMA secure_delete=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_SQLITE_BEGIN, "IMMEDIATE")
        if mode:  # "": no transaction, each statement on its own (Database.run's readers)
            connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """The engines and their session factories: `unit_of_work()` is one transaction on the async
    engine, `run(work)` one transaction on the sync engine in one of the database threads.

    `audit_keys` (persistence.audit.ChainKeys) are the keys of the audit chain: every session
    carries them in its `info`, for the writers of events and for verification. Without them
    the database can be read and written, but no audit event appended."""

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 15, max_overflow: int = 0, audit_keys: Any = None
    ):
        self.url = async_url(url)
        self.audit_keys = audit_keys
        info = {AUDIT_KEYS_INFO: audit_keys}
        self.backend = _backend(self.url)
        options: dict[str, Any] = {"echo": echo}
        if self.backend == "postgresql":
            # All 15 connections stay open once made (the cap was 5 + 10 overflow before): overflow
            # connections close on return, so under load every burst forked new server backends
            # (bench: about 400 connects per 1000 transitions, 13 with the whole pool kept).
            options |= {
                "pool_pre_ping": True,
                "pool_size": pool_size,
                "max_overflow": max_overflow,
                "pool_recycle": 1800,
                "pool_timeout": POOL_TIMEOUT_SECONDS,
                "connect_args": {"connect_timeout": CONNECT_TIMEOUT_SECONDS},
            }
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        # The same database through the sync driver, for `run` (connections open on first use). Its
        # pool is its own: on PostgreSQL a process may hold up to 2 x pool_size connections.
        self.sync_engine: Engine = create_engine(sync_url(url), **options)
        if self.backend == "sqlite":
            private_sqlite_file(url)
            configure_sqlite(self.engine.sync_engine)
            configure_sqlite(self.sync_engine)
        else:  # the pre-ping asks the socket, and the server only when something is waiting there
            ping.install(self.engine.sync_engine)
            ping.install(self.sync_engine)
        self._thread_count = SQLITE_THREADS if self.backend == "sqlite" else pool_size + max_overflow
        self._threads = self._new_threads()
        self._sync_sessions = sessionmaker(self.sync_engine, expire_on_commit=False, info=info)
        # `run`'s readers (and its one-write work on PostgreSQL) need no transaction: BEGIN and COMMIT
        # would cost a statement each (on PostgreSQL a round trip each) around one statement.
        autocommit = {_SQLITE_BEGIN: ""} if self.backend == "sqlite" else {"isolation_level": "AUTOCOMMIT"}
        self._sync_autocommit = sessionmaker(
            self.sync_engine.execution_options(**autocommit), expire_on_commit=False, info=info
        )
        self._reader = self.engine.execution_options(**{_SQLITE_BEGIN: "DEFERRED"})
        # Objects stay readable after the commit: callers return them from the unit of work.
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._read_sessions = async_sessionmaker(self._reader, expire_on_commit=False, info=info)
        # SQLite has one writer at a time. Writers of this process queue here, in
        # order, instead of polling the file lock with SQLite's growing busy sleeps
        # (which made the slowest transitions wait seconds under load).
        self._writer = asyncio.Lock() if self.backend == "sqlite" else None

    @asynccontextmanager
    async def unit_of_work(self, *, read_only: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block succeeds, rolled back when it raises.

        `read_only=True` only changes how SQLite begins (no write lock); it does not forbid writes.
        """
        if read_only or self._writer is None:
            factory = self._read_sessions if read_only else self.sessions
            async with factory() as session, session.begin():
                yield session
            return
        await self._acquire_writer()
        try:
            async with self.sessions() as session, session.begin():
                yield session
        finally:
            self._writer.release()

    async def run(self, work: Callable[[Session], T], *, read_only: bool = False, autocommit: bool = False) -> T:
        """`work(session)` as one transaction in one of this database's threads, with the sync driver:
        committed when it returns, rolled back when it raises. Its result is returned.

        For the hot paths (record_transition, a transition's request, GET /cases): the async drivers
        hand every statement, fetch, BEGIN and COMMIT to their connection's thread and back, and that
        round trip costs more than the statement (GET /cases on SQLite: 1.45 ms per call through
        `unit_of_work`, 0.70 ms here). One hop per transaction instead. SQLite writers queue on the
        same lock as `unit_of_work`'s. `read_only=True` runs without a transaction: each statement
        sees the latest commit on its own, there is no snapshot across statements (for one-statement
        reads; a consistent multi-statement read belongs in `unit_of_work(read_only=True)`).

        `autocommit=True` is for work whose only write is its last statement (reads, checks, then one
        INSERT): on PostgreSQL it runs as the readers do, each statement committed on its own, which
        spares BEGIN and COMMIT, two round trips; a failure before the write leaves nothing written, as
        a rollback would. On SQLite it is a transaction as usual (its writers take the write lock).
        """
        plain = read_only or (autocommit and self.backend == "postgresql")  # no BEGIN, no COMMIT
        factory = self._sync_autocommit if plain else self._sync_sessions

        def transaction() -> T:
            with factory() as session, session.begin():
                return work(session)

        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # e.g. the activity's, for activity.logger (as asyncio.to_thread)
        if plain or self._writer is None:
            return await loop.run_in_executor(self._threads, context.run, transaction)
        await self._acquire_writer()
        try:
            done = loop.run_in_executor(self._threads, context.run, transaction)
        except BaseException:
            self._writer.release()
            raise
        done.add_done_callback(self._release_writer)
        # A cancelled caller returns at once (as it would from an await on the async engine); its
        # transaction goes on in the thread and the next writer waits until it has ended.
        return await asyncio.shield(done)

    def read_here(self, work: Callable[[Session], T]) -> T:
        """`work(session)` as a read in the calling thread, without a transaction (as `run`'s readers):
        for code that runs in a thread of its own, e.g. the worker's metrics endpoint on a scrape."""
        with self._sync_autocommit() as session, session.begin():
            return work(session)

    async def _acquire_writer(self) -> None:
        """The writer lock; bounded like SQLite's own busy timeout, so a mistake (a nested write)
        fails instead of hanging (a nested write finds it held). A free lock is taken at once, behind
        any waiter still to wake (wait_for would cost a task, ~30 us, on every write)."""
        if self._writer.locked():
            await asyncio.wait_for(self._writer.acquire(), timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        else:
            await self._writer.acquire()

    def _release_writer(self, done: asyncio.Future) -> None:
        self._writer.release()
        if not done.cancelled():
            done.exception()  # retrieved: a cancelled caller's failure is not "never retrieved"

    async def checkpoint(self) -> tuple[int, int, int] | None:
        """SQLite: copy the write-ahead log into the database file and truncate it (after an
        erasure, so overwritten values leave the -wal file too); returns (busy, log frames,
        checkpointed frames). Waits for readers up to the busy timeout. None on PostgreSQL."""
        if self.backend != "sqlite":
            return None
        engine = self.sync_engine.execution_options(**{_SQLITE_BEGIN: ""})  # outside any transaction

        def run() -> tuple[int, int, int]:
            with engine.connect() as connection:
                return tuple(connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one())

        return await asyncio.get_running_loop().run_in_executor(self._threads, run)

    async def ping(self) -> bool:
        try:
            async with self._reader.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "does not answer"
            return False

    def _new_threads(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self._thread_count, thread_name_prefix="fahrplan-db")

    async def dispose(self) -> None:
        """Close every connection and the idle database threads. Like an engine's dispose, the
        Database stays usable: later calls connect again (and start threads) as needed."""
        await self.engine.dispose()
        threads, self._threads = self._threads, self._new_threads()
        await asyncio.get_running_loop().run_in_executor(threads, self.sync_engine.dispose)
        threads.shutdown(wait=False)

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"
