"""Real processes for the outage tests: a Temporal dev server, a private PostgreSQL,
`fahrplan worker` and `fahrplan api` subprocesses, and HTTP clients that fire
neuantrag transitions and retry with the same Idempotency-Key until they succeed.

Every port is a free one; everything started here is stopped by the context managers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from runtime.settings import Settings
from runtime.temporal import connect, register_search_attributes
from worker.commands.devserver import start_dev_command
from workflows import search_attributes

BIN = Path(sys.executable).parent
TOKENS = {
    "fault-egs": {"user": "fault-egs", "roles": ["egs"]},
    "fault-jobcoach": {"user": "fault-jobcoach", "roles": ["jobcoach"]},
}
TERMIN = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
CODEC_KEYS = {"fault-test": base64.b64encode(hashlib.sha256(b"fault tests, not secret").digest()).decode()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = 15) -> int:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGCONT)  # a stopped process would never see the signal
        proc.send_signal(sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


# --- PostgreSQL of our own (the shared one on 5432 is never touched) ----------------------------------


def pg_bin() -> Path:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    if found is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    return Path(found).parent


class PrivatePostgres:
    """initdb into a temp dir (trust auth), served on a free port with its socket in that dir."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fahrplan-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "postgres.log"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(pg_bin() / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.dir)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.remove()


# --- Temporal, worker, API ------------------------------------------------------------------------


@dataclass
class Stack:
    workdir: Path
    database_url: str
    temporal_address: str = ""
    task_queue: str = field(default_factory=lambda: f"fahrplan-faults-{uuid.uuid4().hex[:8]}")
    api_port: int = field(default_factory=free_port)
    update_timeout_seconds: float = 30
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api/v1"

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            data_dir=self.workdir,
            temporal_address=self.temporal_address,
            database_url=self.database_url,
            task_queue=self.task_queue,
            codec_keys=CODEC_KEYS,
            codec_key_id="fault-test",
        )

    def env(self) -> dict[str, str]:
        return os.environ | {
            "FAHRPLAN_MODE": "local",
            "FAHRPLAN_DATA_DIR": str(self.workdir),
            "FAHRPLAN_DATABASE_URL": self.database_url,
            "FAHRPLAN_TEMPORAL_ADDRESS": self.temporal_address,
            "FAHRPLAN_TASK_QUEUE": self.task_queue,
            "FAHRPLAN_API_HOST": "127.0.0.1",
            "FAHRPLAN_API_PORT": str(self.api_port),
            "FAHRPLAN_API_TOKENS": json.dumps(TOKENS),
            "FAHRPLAN_CODEC_KEYS": json.dumps(CODEC_KEYS),
            "FAHRPLAN_CODEC_KEY_ID": "fault-test",
            "FAHRPLAN_UPDATE_TIMEOUT_SECONDS": str(self.update_timeout_seconds),
        }

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        with open(self.workdir / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(
                command, env=self.env(), cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.procs.append(proc)
        return proc

    def migrate(self) -> None:
        subprocess.run(
            [str(BIN / "fahrplan"), "migrate"], env=self.env(), cwd=self.workdir, check=True, capture_output=True
        )

    async def start_temporal(self) -> None:
        port = free_port()
        self.temporal_address = f"127.0.0.1:{port}"
        self._spawn(
            "temporal",
            start_dev_command("127.0.0.1", port, db_file=self.workdir / "temporal.db"),
        )
        client = await until(lambda: connect(self.settings()), "Temporal dev server")
        await register_search_attributes(client, "default", search_attributes.ALL)

    def start_worker(self) -> subprocess.Popen:
        return self._spawn("worker", [str(BIN / "fahrplan"), "worker"])

    async def start_api(self) -> subprocess.Popen:
        proc = self._spawn("api", [str(BIN / "fahrplan"), "api"])

        async def healthy() -> None:
            if proc.poll() is not None:
                raise Fatal(f"API exited with {proc.returncode}")
            async with httpx.AsyncClient(timeout=2) as http:
                (await http.get(f"{self.base_url}/healthz")).raise_for_status()

        await until(healthy, "API")
        return proc

    def log(self, name: str, whole: bool = False) -> str:
        path = self.workdir / f"{name}.log"
        if not path.exists():  # the stack failed before this process started: say so, do not hide why
            return f"({name} not started)"
        text = path.read_text(errors="replace")
        return text if whole else text[-3000:]

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)


class Fatal(Exception):
    """Waiting longer does not help."""


async def until(probe, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await probe()
        except Fatal:
            raise
        except Exception:  # noqa: BLE001 - not there yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer within {seconds:.0f}s") from None
            await asyncio.sleep(0.2)


# --- clients --------------------------------------------------------------------------------------


@dataclass
class Attempt:
    started: float
    seconds: float
    status: int | None  # None: no HTTP response (connection refused, reset, timeout)
    body: dict | None = None
    retry_after: str | None = None
    content_type: str = ""


@dataclass
class Sent:
    """One transition a client wanted, with every attempt it took (same Idempotency-Key)."""

    case_id: str
    trigger: str
    termin: str | None
    comment: str
    key: str
    actor: str
    attempts: list[Attempt] = field(default_factory=list)
    current: float | None = None  # when the attempt now in flight started

    @property
    def succeeded(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].status == 200


def next_request(case_id: str, index: int, client: int) -> tuple[dict, str]:
    """The i-th transition of a case: handed to Clearing, then reflexive appointments."""
    comment = f"client {client} case {case_id[:8]} step {index}"
    if index == 0:
        return {"trigger": "an_clearing_uebergeben", "data": {"uebergabe": "warm"}, "comment": comment}, "fault-egs"
    termin = (TERMIN + timedelta(days=index)).isoformat()
    return {"trigger": "clearingtermin_vereinbart", "data": {"termin": termin}, "comment": comment}, "fault-jobcoach"


async def create_case(http: httpx.AsyncClient) -> str:
    r = await http.post(
        "/cases",
        json={
            "process": "neuantrag",
            "person": {"vorname": "Fall", "nachname": "Test"},
            "facts": {"antragsweg": "persoenlich"},
        },
        headers={"Authorization": "Bearer fault-egs", "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    return r.json()["case_id"]


async def fire_until_done(http: httpx.AsyncClient, sent: Sent, body: dict, token: str, give_up: float) -> None:
    """One request, retried with the same key after 503 or a lost connection until it succeeds."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": sent.key}
    while True:
        started = sent.current = time.monotonic()
        try:
            r = await http.post(f"/cases/{sent.case_id}/transitions", json=body, headers=headers)
        except httpx.TransportError:
            sent.current = None
            sent.attempts.append(Attempt(started, time.monotonic() - started, None))
        else:
            sent.current = None
            content = r.json() if r.content else None
            sent.attempts.append(
                Attempt(
                    started,
                    time.monotonic() - started,
                    r.status_code,
                    content,
                    r.headers.get("retry-after"),
                    r.headers.get("content-type", ""),
                )
            )
            if r.status_code not in (502, 503, 504):
                return
        if time.monotonic() > give_up:
            return
        await asyncio.sleep(0.2)


async def client_loop(
    base_url: str, client: int, cases: list[str], stop_event: asyncio.Event, log: list[Sent], give_up_after: float = 120
) -> None:
    """Fire the next transition of each own case in turn until told to stop; never two at once on a case."""
    steps = dict.fromkeys(cases, 0)
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(90, connect=5)) as http:
        while not stop_event.is_set():
            for case_id in cases:
                body, token = next_request(case_id, steps[case_id], client)
                sent = Sent(
                    case_id,
                    body["trigger"],
                    body["data"].get("termin"),
                    body["comment"],
                    uuid.uuid4().hex,
                    TOKENS[token]["user"],
                )
                log.append(sent)
                await fire_until_done(http, sent, body, token, time.monotonic() + give_up_after)
                if not sent.succeeded:
                    return
                steps[case_id] += 1
                if stop_event.is_set():
                    break
