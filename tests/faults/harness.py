"""Real processes for the fault tests: a file-persisted Temporal dev server, the worker as
its own OS process (`fahrplan worker`), a fresh database and the API in this process.

Worker and API get the same FAHRPLAN_* settings (data dir, database, Temporal address,
task queue, policy), the way an operator would configure them, so whatever they derive
from the settings (e.g. a payload key) is the same on both sides.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import httpx
from temporalio.client import Client

from api.app import create_app
from persistence.db import Database
from persistence.migrate import upgrade
from persistence.open import open_database
from runtime.settings import Settings, TokenUser
from runtime.temporal import connect, register_search_attributes
from tests.faults.outage_support import free_port
from tests.faults.outage_support import stop as _stop
from worker.commands.devserver import start_dev_command
from workflows import search_attributes

ROOT = Path(__file__).resolve().parents[2]
FAHRPLAN = str(Path(sys.executable).parent / "fahrplan")
ROLES = ("egs", "jobcoach", "leistung")
TOKENS = {f"fault-{role}": TokenUser(user=f"fault-{role}", roles=[role]) for role in ROLES}
CI_CASES = 40  # the full size is 200: FAHRPLAN_FAULT_CASES=200


def case_count() -> int:
    return int(os.environ.get("FAHRPLAN_FAULT_CASES", CI_CASES))


class DevServer:
    """`temporal server start-dev` on a free port, persisted to a file; stop and start again at will."""

    def __init__(self, workdir: Path):
        self.db_file = workdir / "temporal.db"
        self.log = workdir / "temporal.log"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        command = start_dev_command("127.0.0.1", self.port, db_file=self.db_file)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            _stop(self.proc, sig)

    async def ready(self, settings: Settings, seconds: float = 60) -> None:
        """Answers, and knows Fahrplan's search attributes (registered as `fahrplan up` does)."""
        deadline = time.monotonic() + seconds
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"Temporal dev server exited with {self.proc.returncode}, see {self.log}")
            try:
                client = await connect(settings)
                await register_search_attributes(client, settings.temporal_namespace, search_attributes.ALL)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


class WorkerProcess:
    """`fahrplan worker` as its own OS process, configured only through FAHRPLAN_* variables."""

    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir, self.env = workdir, env
        self.log = workdir / "worker.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [FAHRPLAN, "worker"],
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def kill(self) -> None:
        """kill -9: no shutdown, no goodbye to the server; whatever it had in flight is lost."""
        assert self.proc is not None and self.proc.poll() is None, "worker is not running"
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc, signal.SIGTERM)


@contextlib.contextmanager
def fresh_database(workdir: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite in workdir, or with FAHRPLAN_FAULT_DB=postgresql a new
    PostgreSQL database next to FAHRPLAN_TEST_POSTGRES, dropped afterwards."""
    if os.environ.get("FAHRPLAN_FAULT_DB", "sqlite") != "postgresql":
        url = f"sqlite:///{workdir / 'fahrplan.db'}"
        upgrade(url)
        yield url
        return
    import psycopg
    from psycopg import sql
    from sqlalchemy import make_url

    admin = make_url(os.environ.get("FAHRPLAN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"))
    admin_url = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"fahrplan_fault_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = admin.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def fahrplan_env(workdir: Path, address: str, database_url: str, extra: dict[str, str]) -> dict[str, str]:
    """The process environment of worker and API: ours, without FAHRPLAN_* from outside."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FAHRPLAN_")}
    return (
        base
        | {
            "FAHRPLAN_MODE": "local",
            "FAHRPLAN_DATA_DIR": str(workdir),
            "FAHRPLAN_DATABASE_URL": database_url,
            "FAHRPLAN_TEMPORAL_ADDRESS": address,
            "FAHRPLAN_TASK_QUEUE": f"faults-{uuid.uuid4().hex[:8]}",
            "FAHRPLAN_API_TOKENS": json.dumps({t: u.model_dump() for t, u in TOKENS.items()}),
            "FAHRPLAN_UPDATE_TIMEOUT_SECONDS": "15",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        | extra
    )


def settings_from(env: dict[str, str]) -> Settings:
    """Settings exactly as a process started with `env` (and no .env file) would read them."""
    with mock.patch.dict(os.environ, env, clear=True):
        return Settings(_env_file=None)


@dataclass
class Stack:
    workdir: Path
    server: DevServer
    worker: WorkerProcess
    settings: Settings
    client: Client  # for queries; the same data converter as worker and API
    db: Database  # for the checks
    http: httpx.AsyncClient  # the API, in this process


@contextlib.asynccontextmanager
async def stack(workdir: Path, extra_env: dict[str, str] | None = None) -> AsyncIterator[Stack]:
    """Dev server, database, worker process and API, all stopped and removed afterwards."""
    server = DevServer(workdir)
    worker: WorkerProcess | None = None
    with fresh_database(workdir) as database_url:
        try:
            env = fahrplan_env(workdir, server.address, database_url, extra_env or {})
            settings = settings_from(env)
            server.start()
            await server.ready(settings)
            client = await connect(settings)  # before the worker starts: the API side comes up first
            worker = WorkerProcess(workdir, env)
            worker.start()
            db, api_db = open_database(settings), open_database(settings)  # the worker's audit key (data dir)
            app = create_app(settings, client=client, db=api_db)
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            try:
                async with httpx.AsyncClient(transport=transport, base_url="http://faults/api/v1", timeout=120) as http:
                    yield Stack(workdir, server, worker, settings, client, db, http)
            finally:
                await db.dispose()
                await api_db.dispose()
        finally:
            if worker is not None:
                worker.stop()
            server.stop()


def log_tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""
