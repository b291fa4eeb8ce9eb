"""Fahrplan transitions/s through the HTTP API against a bare Temporal workflow.

Drives N neuantrag cases through M transitions each via the HTTP API (C
requests in flight), and the same number of transitions through a bare
temporalio workflow (one update plus one activity each, bench/bare.py) on the
same development server in the same run. Prints both rates and latencies and,
on its last line, `ratio=<fahrplan/bare>`. The ratio is information, not a
test: a successful run exits 0 whatever it is.

    .venv/bin/python bench/transitions.py [--cases 50] [--transitions 10] [--concurrency 10]
        [--rounds 2] [--api subprocess|inprocess] [--db-file PATH | --in-memory] [--database-url URL]
        [--paths bare,fahrplan]

Everything it starts (Temporal dev server, API process, temporary files, a
fresh PostgreSQL database) is removed on exit, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this file's folder comes first on sys.path, and this file would
# shadow the `transitions` library the state machines use: put the repo root there instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() not in (HERE, ROOT)]

import uvicorn
from temporalio.client import Client

from api.app import create_app
from bench import bare
from bench.http import LeanClient
from persistence.db import Database
from persistence.migrate import upgrade
from runtime import aio, heap
from runtime.settings import Settings, TokenUser
from runtime.temporal import connect, register_search_attributes
from worker.main import build_worker
from worker.up import temporal_binary

TOKENS = {f"bench-{role}": TokenUser(user=f"bench-{role}", roles=[role]) for role in ("egs", "jobcoach")}
PERSON = {"vorname": "Bench", "nachname": "Mark"}
TERMIN = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
def dev_server(workdir: Path, db_file: Path | None) -> Iterator[tuple[str, int]]:
    port = free_port()
    command = [temporal_binary(), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
               "--log-level", "error"]
    if db_file is not None:
        command += ["--db-filename", str(db_file)]
    with open(workdir / "temporal.log", "ab") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield f"127.0.0.1:{port}", proc.pid
    finally:
        stop_process(proc)


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
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    with open(workdir / "api.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "serve-api", str(port)],
            env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop_process(proc)


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
        address, server_pid = stack.enter_context(dev_server(workdir, temporal_db))
        probe = CpuProbe({"bench": os.getpid(), "temporal": server_pid})
        database_url = stack.enter_context(fresh_database(args.database_url, workdir))
        db_kind = "postgresql (fresh database)" if args.database_url else "sqlite (temp file)"
        server = f"file {temporal_db}" if temporal_db else "in-memory"
        yield Environment(workdir, address, probe, database_url, f"temporal dev server {server} at {address}; database {db_kind}")


def add_sandbox_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sandbox", action="store_true",
                        help="run both workers' workflows in the Temporal sandbox (FAHRPLAN_WORKFLOW_SANDBOX=true)")


def serve_api(port: int) -> None:
    """`transitions.py serve-api PORT`: the API alone, configured from FAHRPLAN_* (used by api_subprocess),
    set up like `fahrplan api`."""
    app = create_app(Settings())
    heap.settle()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


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


# --- measuring ----------------------------------------------------------------------------------


class CpuProbe:
    """CPU seconds (user + system) of the processes taking part, from /proc (Linux); empty elsewhere."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def read(self) -> dict[str, float]:
        seconds = {}
        for name, pid in self.pids.items():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                seconds[name] = (int(fields[11]) + int(fields[12])) / self._tick
        with contextlib.suppress(OSError, IndexError, ValueError):  # the whole machine, to see who else is busy
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
            seconds["machine"] = (user + nice + system + irq + softirq + steal) / self._tick
        return seconds


@dataclass
class Run:
    transitions: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process while driving

    @property
    def rate(self) -> float:
        return self.transitions / self.seconds if self.seconds else 0.0

    def add(self, other: Run) -> None:
        self.transitions += other.transitions
        self.seconds += other.seconds
        self.latencies += other.latencies
        for name, used in other.cpu.items():
            self.cpu[name] = self.cpu.get(name, 0.0) + used

    def summary(self) -> str:
        q = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return (f"{self.rate:7.1f} transitions/s  p50 {q[49] * 1000:6.1f} ms  p99 {q[98] * 1000:6.1f} ms"
                f"  ({self.transitions} in {self.seconds:.2f} s)")

    def cpu_summary(self) -> str:
        ours = {name: used for name, used in self.cpu.items() if name != "machine"}
        per = ", ".join(f"{name} {used / self.transitions * 1000:.1f}" for name, used in ours.items())
        busy = sum(ours.values()) / self.seconds if self.seconds else 0.0
        others = max(self.cpu.get("machine", 0.0) - sum(ours.values()), 0.0) / self.seconds if self.seconds else 0.0
        return f"cpu ms/transition: {per}; cores busy: ours {busy:.2f}, other processes {others:.2f}"


async def drive(
    cases: list, steps: int, concurrency: int, fire: Callable[[object, int], Awaitable[None]], probe: CpuProbe
) -> Run:
    """C drivers; each takes the next case and fires its M transitions one after the other."""
    todo = list(reversed(cases))
    run = Run(transitions=len(cases) * steps)

    async def driver() -> None:
        while todo:
            case = todo.pop()
            for i in range(steps):
                started = time.perf_counter()
                await fire(case, i)
                run.latencies.append(time.perf_counter() - started)

    cpu, started = probe.read(), time.perf_counter()
    await asyncio.gather(*(driver() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - started
    run.cpu = {name: used - cpu.get(name, used) for name, used in probe.read().items()}
    return run


async def gather_limited(n: int, concurrency: int, make: Callable[[], Awaitable[object]]) -> list:
    gate = asyncio.Semaphore(concurrency)

    async def one() -> object:
        async with gate:
            return await make()

    return await asyncio.gather(*(one() for _ in range(n)))


async def settled(client: Client, workflow_ids: list[str], concurrency: int, seconds: float = 120) -> None:
    """Wait until no workflow has a task or activity pending. Starting a case runs a workflow task
    (and, for Fahrplan, its first activity) after the start call has returned; the clock starts
    once that is done, so the transitions measured do not queue behind the cases' creation."""
    deadline = time.monotonic() + seconds

    async def idle(workflow_id: str) -> None:
        handle = client.get_workflow_handle(workflow_id)
        while True:
            raw = (await handle.describe()).raw_description
            if not raw.HasField("pending_workflow_task") and not raw.pending_activities:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{workflow_id} still busy after {seconds:.0f} s")
            await asyncio.sleep(0.05)

    gate = asyncio.Semaphore(concurrency)

    async def one(workflow_id: str) -> None:
        async with gate:
            await idle(workflow_id)

    await asyncio.gather(*(one(w) for w in workflow_ids))


class FahrplanPath:
    """neuantrag cases through the HTTP API: an_clearing_uebergeben, then clearingtermin_vereinbart (reflexive)."""

    def __init__(self, http: LeanClient, probe: CpuProbe, client: Client):
        self.http, self.probe, self.client = http, probe, client

    async def new_case(self) -> str:
        r = await self.http.post(
            "/cases", json={"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}},
            headers={"Authorization": "Bearer bench-egs"},
        )
        if r.status_code != 201:
            raise RuntimeError(f"POST /cases: {r.status_code} {r.text}")
        return r.json()["case_id"]

    async def fire(self, case_id: str, i: int) -> None:
        if i == 0:
            body, token = {"trigger": "an_clearing_uebergeben", "data": {"uebergabe": "warm"}}, "bench-egs"
        else:
            termin = (TERMIN + timedelta(days=i)).isoformat()
            body, token = {"trigger": "clearingtermin_vereinbart", "data": {"termin": termin}}, "bench-jobcoach"
        r = await self.http.post(f"/cases/{case_id}/transitions", json=body, headers={"Authorization": f"Bearer {token}"})
        if r.status_code != 200:
            raise RuntimeError(f"{body['trigger']} on {case_id}: {r.status_code} {r.text}")

    async def measure(self, n: int, m: int, c: int) -> Run:
        cases = await gather_limited(n, c, self.new_case)
        await settled(self.client, [f"neuantrag-{case_id}" for case_id in cases], c)
        return await drive(cases, m, c, self.fire, self.probe)


class BarePath:
    def __init__(self, client, task_queue: str, probe: CpuProbe):
        self.client, self.task_queue, self.probe = client, task_queue, probe

    async def measure(self, n: int, m: int, c: int) -> Run:
        handles = await gather_limited(n, c, lambda: bare.start_case(self.client, self.task_queue))
        await settled(self.client, [h.id for h in handles], c)
        run = await drive(handles, m, c, bare.fire, self.probe)
        await asyncio.gather(*(h.signal(bare.BareCase.finish) for h in handles))
        return run


async def connected(workdir: Path, address: str, database_url: str) -> tuple[Settings, Client, Database]:
    """Settings for a bench run (its own task queue, the bench tokens), the Temporal client, the database."""
    settings = Settings(
        _env_file=None, temporal_address=address, database_url=database_url, data_dir=workdir,
        task_queue=f"fahrplan-bench-{uuid.uuid4().hex[:8]}", api_tokens=TOKENS, update_timeout_seconds=60,
    )
    client = await wait_until(lambda: connect(settings), "Temporal dev server")
    await register_search_attributes(client, settings.temporal_namespace)
    return settings, client, Database(database_url)


# --- the run --------------------------------------------------------------------------------------


async def bench(args: argparse.Namespace, workdir: Path, address: str, probe: CpuProbe, database_url: str) -> tuple[Run, Run]:
    settings, client, db = await connected(workdir, address, database_url)
    api_port = free_port()
    wanted = args.paths.split(",")
    paths = {"bare": BarePath(client, f"bare-bench-{uuid.uuid4().hex[:8]}", probe)} if "bare" in wanted else {}
    totals = {"bare": Run(), "fahrplan": Run()}
    with contextlib.ExitStack() as stack:
        server = api_process = None
        if args.api == "subprocess":
            api_process = stack.enter_context(api_subprocess(settings, api_port, workdir))
            probe.pids["api"] = api_process.pid
        else:
            config = uvicorn.Config(create_app(settings, client, db), host="127.0.0.1", port=api_port, log_level="warning")
            server = uvicorn.Server(config)
            server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        try:
            async with contextlib.AsyncExitStack() as workers:
                await workers.enter_async_context(build_worker(client, db, settings.task_queue, sandboxed=args.sandbox))
                if "bare" in paths:
                    await workers.enter_async_context(bare.bare_worker(client, paths["bare"].task_queue, args.sandbox))
                http = LeanClient("127.0.0.1", api_port, "/api/v1")
                workers.push_async_callback(http.aclose)
                serving = asyncio.create_task(server.serve()) if server else None

                async def api_ready() -> None:
                    if api_process is not None and api_process.poll() is not None:
                        raise Fatal(f"the API process exited with code {api_process.returncode}")
                    (await http.get("/healthz")).raise_for_status()

                await wait_until(api_ready, "API")
                if "fahrplan" in wanted:
                    paths["fahrplan"] = FahrplanPath(http, probe, client)
                warm = max(args.concurrency, 2)
                for name, path in paths.items():  # warm-up: connections, caches, first workflow tasks
                    await path.measure(warm, min(args.transitions, 3), args.concurrency)
                for r in range(args.rounds):
                    order = sorted(paths) if r % 2 == 0 else sorted(paths, reverse=True)
                    line = []
                    for name in order:
                        run = await paths[name].measure(args.cases, args.transitions, args.concurrency)
                        totals[name].add(run)
                        line.append(f"{name} {run.rate:.1f}/s")
                    print(f"round {r + 1}: " + ", ".join(line), flush=True)
                if server:
                    server.should_exit = True
                    await serving
        finally:
            await db.dispose()
    return totals["fahrplan"], totals["bare"]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve-api"]:
        serve_api(int(argv[1]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", "-n", type=int, default=50, help="cases per path and round (N)")
    parser.add_argument("--transitions", "-m", type=int, default=10, help="transitions per case (M)")
    parser.add_argument("--concurrency", "-c", type=int, default=10, help="transitions in flight (C)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; the order of the two paths alternates")
    parser.add_argument("--api", choices=("subprocess", "inprocess"), default="subprocess",
                        help="where uvicorn serves the API (the worker always runs in the bench process)")
    parser.add_argument("--db-file", nargs="?", const="", default="", metavar="PATH",
                        help="the Temporal dev server's SQLite file, as `make run` persists it (default: a temp file)")
    parser.add_argument("--in-memory", action="store_true",
                        help="run the dev server in memory instead (faster server, a harder bar for the ratio)")
    add_sandbox_flag(parser)
    parser.add_argument("--paths", default="bare,fahrplan",
                        help="which paths to drive (one path alone is for profiling; the ratio needs both)")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL admin URL; a fresh database is created and dropped (default: temp SQLite)")
    args = parser.parse_args(argv)
    if args.transitions < 1 or args.cases < 1 or args.concurrency < 1 or args.rounds < 1:
        parser.error("--cases, --transitions, --concurrency and --rounds must be positive")

    heap.settle()  # this process hosts the worker: set up like `fahrplan worker`
    with environment(args, "fahrplan-bench-") as env:
        print(f"setup: {env.described}; api {args.api} (uvicorn), worker in-process, "
              f"{'sandboxed' if args.sandbox else 'unsandboxed'} workflows; "
              f"N={args.cases} M={args.transitions} C={args.concurrency} rounds={args.rounds}; {os.cpu_count()} cpus",
              flush=True)
        fahrplan, baseline = env.run(bench(args, env.workdir, env.address, env.probe, env.database_url))
    probe = env.probe
    ran = {name: run for name, run in (("bare", baseline), ("fahrplan", fahrplan)) if run.transitions}
    if probe.read():
        for name, run in ran.items():
            print(f"{name + ':':9} {run.cpu_summary()}")
    for name, run in ran.items():
        print(f"{name + ':':9} {run.summary()}")
    if len(ran) == 2:
        print(f"ratio={fahrplan.rate / baseline.rate:.3f}")
    return 0


def show_logs(workdir: Path, lines: int = 30) -> None:
    for name in ("api.log", "temporal.log"):
        with contextlib.suppress(OSError):
            tail = (workdir / name).read_text(errors="replace").splitlines()[-lines:]
            if tail:
                print(f"--- last lines of {name}:", *tail, sep="\n", file=sys.stderr)


async def cancel_on_sigterm(work: Awaitable):
    task = asyncio.ensure_future(work)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await task


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
