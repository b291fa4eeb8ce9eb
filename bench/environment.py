"""What a bench run starts and stops: the Temporal dev server, a fresh database, the API process.

Shared by bench/transitions.py, bench/latency.py and bench/scale.py. Everything is removed on
exit, also on Ctrl-C or SIGTERM. `python -m bench.environment PORT` serves the API alone
(the API process of `api_subprocess`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from api.app import create_app
from bench.measure import CpuProbe
from persistence.migrate import upgrade
from runtime import aio, heap
from runtime.http_server import server_config
from runtime.settings import Settings
from worker.commands.devserver import TRANSFER_POLL_RPS, start_dev_command

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def checkout_pythonpath() -> str:
    """PYTHONPATH for a child process: this checkout first, then what the caller had."""
    return os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


@contextlib.contextmanager
def logged_process(
    argv: Sequence[str], log_file: Path, env: dict[str, str] | None = None, cwd: Path | None = None, grace: float = 10
) -> Iterator[subprocess.Popen]:
    """A child process in a session of its own, its output appended to `log_file`; stopped on exit
    (SIGTERM, then SIGKILL after `grace` seconds)."""
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        stop_process(proc, grace)


def alive(procs: Mapping[str, subprocess.Popen]) -> None:
    """Fatal once one of the named processes has exited: waiting longer for it would not help."""
    for name, proc in procs.items():
        if proc.poll() is not None:
            raise Fatal(f"{name} exited with code {proc.returncode}")


async def healthy(procs: Mapping[str, subprocess.Popen], *apis: Any) -> None:
    """For wait_until: Fatal once one of the named processes has exited, else raises until every
    API (an HTTP client on its /api/v1) answers /healthz."""
    alive(procs)
    for http in apis:
        (await http.get("/healthz")).raise_for_status()


@contextlib.contextmanager
def probed(probe: CpuProbe, procs: Mapping[str, subprocess.Popen]) -> Iterator[None]:
    """The processes' CPU counted under their names while the block runs."""
    probe.pids.update({name: proc.pid for name, proc in procs.items()})
    try:
        yield
    finally:
        for name in procs:
            probe.pids.pop(name, None)


def metrics_ports() -> dict[str, str]:
    """A worker's metrics on, as in production, on ports of its own."""
    return {"FAHRPLAN_WORKER_METRICS_PORT": str(free_port()), "FAHRPLAN_TEMPORAL_METRICS_PORT": str(free_port())}


def stop_process(proc: subprocess.Popen, grace: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the environment: Temporal dev server, database, API --------------------------------------


@contextlib.contextmanager
def dev_server(
    workdir: Path,
    db_file: Path | None,
    metrics_port: int | None = None,
    journal: str = "wal",
    transfer_poll_rps: int = TRANSFER_POLL_RPS,
    pragmas: Sequence[str] = (),
) -> Iterator[tuple[str, int]]:
    port = free_port()
    metrics = [] if metrics_port is None else ["--metrics-port", str(metrics_port)]
    command = start_dev_command(
        "127.0.0.1",
        port,
        db_file=db_file,
        journal=journal,
        pragmas=pragmas,
        transfer_poll_rps=transfer_poll_rps,
        extra=metrics,
    )
    with logged_process(command, workdir / "temporal.log") as proc:
        yield f"127.0.0.1:{port}", proc.pid


@contextlib.contextmanager
def fresh_database(database_url: str | None, workdir: Path) -> Iterator[str]:
    """A migrated, empty database: a temp SQLite file, or a new PostgreSQL database dropped afterwards."""
    if not database_url:
        url = f"sqlite:///{workdir / 'fahrplan.db'}"
        upgrade(url)
        yield url
        return
    import psycopg
    from psycopg import sql
    from sqlalchemy import make_url

    admin = make_url(database_url).set(drivername="postgresql")
    name = f"fahrplan_bench_{uuid.uuid4().hex[:12]}"

    def admin_sql(statement: sql.Composed) -> None:
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(statement)

    admin_sql(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = admin.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        admin_sql(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def api_subprocess(settings: Settings, port: int, workdir: Path) -> Iterator[subprocess.Popen]:
    env = os.environ | {
        "FAHRPLAN_API_TOKENS": json.dumps({t: u.model_dump() for t, u in settings.api_tokens.items()}),
        "FAHRPLAN_DATABASE_URL": settings.database_url,
        "FAHRPLAN_TEMPORAL_ADDRESS": settings.temporal_address,
        "FAHRPLAN_TASK_QUEUE": settings.task_queue,
        "FAHRPLAN_DATA_DIR": str(workdir),
        "FAHRPLAN_UPDATE_TIMEOUT_SECONDS": str(settings.update_timeout_seconds),
        "PYTHONPATH": checkout_pythonpath(),
    }
    argv = [sys.executable, "-m", "bench.environment", str(port)]
    with logged_process(argv, workdir / "api.log", env, workdir) as proc:
        yield proc


@dataclass
class Environment:
    """What one bench run starts: a temp dir, the dev server, a fresh database; see `environment`."""

    workdir: Path
    address: str
    probe: CpuProbe
    database_url: str
    described: str

    def run(self, work: Awaitable):
        """Run the bench coroutine on uvloop; on failure show the API and server logs before the temp dir goes."""
        try:
            return aio.run(cancel_on_sigterm(work))
        except Exception:
            show_logs(self.workdir)
            raise


@contextlib.contextmanager
def environment(args: argparse.Namespace, prefix: str) -> Iterator[Environment]:
    """The dev server (file-backed unless --in-memory), a fresh database (--database-url: PostgreSQL), a CPU probe."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        temporal_db = None if args.in_memory else Path(args.db_file or workdir / "temporal.db")
        metrics_port = free_port()
        journal = getattr(args, "server_journal", "wal")
        poll_rps = getattr(args, "transfer_poll_rps", TRANSFER_POLL_RPS)
        pragmas = getattr(args, "server_pragma", [])
        try:  # the command's own refusals (e.g. pragmas without a file) as the bench's message
            server_context = dev_server(workdir, temporal_db, metrics_port, journal, poll_rps, pragmas)
            address, server_pid = stack.enter_context(server_context)
        except ValueError as refused:
            raise SystemExit(f"dev server: {refused}") from None
        probe = CpuProbe({"bench": os.getpid(), "temporal": server_pid}, f"http://127.0.0.1:{metrics_port}/metrics")
        database_url = stack.enter_context(fresh_database(args.database_url, workdir))
        db_kind = "postgresql (fresh database)" if args.database_url else "sqlite (temp file)"
        server = f"file {temporal_db} ({journal} journal)" if temporal_db else "in-memory"
        server += "".join(f", pragma {pragma}" for pragma in pragmas)
        server += f", transfer queue read up to {poll_rps}/s"
        yield Environment(
            workdir, address, probe, database_url, f"temporal dev server {server} at {address}; database {db_kind}"
        )


def serve_api(port: int) -> None:
    """`python -m bench.environment PORT`: the API alone, configured from FAHRPLAN_* (used by
    api_subprocess), set up like `fahrplan api`."""
    app = create_app(Settings())
    heap.settle()
    settings = app.state.settings
    uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=port, log_level="warning")).run()


class Fatal(Exception):
    """Waiting longer does not help."""


async def wait_until(probe: Callable[[], Awaitable[object]], what: str, seconds: float = 60) -> object:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await probe()
        except Fatal:
            raise
        except Exception:  # noqa: BLE001 - not up yet, whatever the reason
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not come up within {seconds:.0f}s") from None
            await asyncio.sleep(0.2)


def show_logs(workdir: Path, lines: int = 30) -> None:
    for path in sorted(workdir.glob("*.log")):  # api.log, temporal.log, and the fahrplan processes' logs
        with contextlib.suppress(OSError):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            if tail:
                print(f"--- last lines of {path.name}:", *tail, sep="\n", file=sys.stderr)


async def cancel_on_sigterm(work: Awaitable):
    task = asyncio.ensure_future(work)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await task


@contextlib.contextmanager
def dev_server_with_ui(workdir: Path) -> Iterator[tuple[str, str, int]]:
    """Like dev_server, but file-backed (like `make run`) and with the UI."""
    port, ui_port = free_port(), free_port()
    command = start_dev_command("127.0.0.1", port, db_file=workdir / "temporal.db", ui_port=ui_port)
    with logged_process(command, workdir / "temporal.log") as proc:
        yield f"127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}", proc.pid


@contextlib.contextmanager
def fahrplan_process(
    command: str, env: dict[str, str], workdir: Path, name: str | None = None
) -> Iterator[subprocess.Popen]:
    """`fahrplan worker` or `fahrplan api` as its own OS process, configured from FAHRPLAN_*; logs to NAME.log."""
    binary = str(Path(sys.executable).parent / "fahrplan")
    with logged_process([binary, command], workdir / f"{name or command}.log", env, workdir, grace=40) as proc:
        yield proc


def fahrplan_env(settings: Settings, api_port: int, max_cached: int | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAHRPLAN_")} | {
        "FAHRPLAN_API_TOKENS": json.dumps({t: u.model_dump() for t, u in settings.api_tokens.items()}),
        "FAHRPLAN_DATABASE_URL": settings.database_url,
        "FAHRPLAN_TEMPORAL_ADDRESS": settings.temporal_address,
        "FAHRPLAN_TASK_QUEUE": settings.task_queue,
        "FAHRPLAN_DATA_DIR": str(settings.data_dir),  # same dir: same codec key file for worker and API
        "FAHRPLAN_API_PORT": str(api_port),
        "FAHRPLAN_UPDATE_TIMEOUT_SECONDS": "120",
    }
    if max_cached is not None:
        env["FAHRPLAN_WORKER_MAX_CACHED_WORKFLOWS"] = str(max_cached)
    return env


@contextlib.contextmanager
def worker_processes(
    settings: Settings, bare_queue: str | None, sandboxed: bool, probe: CpuProbe
) -> Iterator[dict[str, subprocess.Popen]]:
    """Fahrplan's worker as `fahrplan worker` (metrics on, as in production) and, with a
    `bare_queue`, the bare path's as `python -m bench.bare_process`, each in its own process; their
    pids join the probe as "worker" and "bare-worker"."""
    env = fahrplan_env(settings, 0, None) | metrics_ports()
    env |= {"PYTHONPATH": checkout_pythonpath(), "FAHRPLAN_WORKFLOW_SANDBOX": "true" if sandboxed else "false"}
    with contextlib.ExitStack() as stack:
        procs = {"worker": stack.enter_context(fahrplan_process("worker", env, settings.data_dir))}
        if bare_queue is not None:
            bare_env = env | {"FAHRPLAN_TASK_QUEUE": bare_queue, "FAHRPLAN_TEMPORAL_METRICS_PORT": "0"}
            argv, log_file = [sys.executable, "-m", "bench.bare_process"], settings.data_dir / "bare-worker.log"
            procs["bare-worker"] = stack.enter_context(logged_process(argv, log_file, bare_env, settings.data_dir))
        with probed(probe, procs):
            yield procs


def interruptible(main: Callable[[], int]) -> int:
    """Run a bench's main; Ctrl-C ends it with 130 once its ExitStacks have cleaned up."""
    try:
        return main()
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted; cleaned up", file=sys.stderr)
        return 130


if __name__ == "__main__":
    serve_api(int(sys.argv[1]))
