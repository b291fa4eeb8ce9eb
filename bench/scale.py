"""Fahrplan at scale: 10,000 open cases across all processes.

Starts a file-backed Temporal development server with its UI, the worker and the
API each as their own OS process (`fahrplan worker`, `fahrplan api`), creates N
open cases through the HTTP API (neuantrag, rechtskreiswechsel, kooperationsplan
with some Schlichtung children, gruppencoaching; moved a step or two so they sit
in several states), then measures

1. the worker's memory (VmRSS, VmHWM) once all cases are open and idle, and after
   a pass that queries and transitions a sample of them;
2. `GET /api/v1/cases?state=...` (with and without process) against the same
   statement (page and count in one) run directly on the database (SQLAlchemy Core);
3. Temporal visibility: list_workflows (first page) and count_workflows on a
   FahrplanState query, and the UI's own workflow list API.

    .venv/bin/python bench/scale.py [--cases 10000] [--concurrency 8] [--database-url URL]
        [--samples 300] [--max-cached N]

Last line: `ratio=<API p99 / database p99>` over all list queries, the database side
building its statement per call (the summary also shows the ratio to executing the API's
prebuilt statement alone). Information,
not a test: a run that completes exits 0. Everything it starts is stopped on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# As in transitions.py: this folder must not shadow the `transitions` library.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() not in (HERE, ROOT)]

import httpx
from sqlalchemy import bindparam, create_engine, func, select

from bench.http import LeanClient
from bench.transitions import free_port, fresh_database, stop_process, wait_until
from api.auth import User
from api.case_list import case_list_query
from persistence import models as m
from persistence.db import sync_url
from runtime.settings import Settings, TokenUser
from runtime.temporal import connect, register_search_attributes, workflow_id
from statemachines.roles import readable_processes
from worker.up import temporal_binary

ROLES = ("egs", "jobcoach", "ifk", "teamleitung", "leistung")
TOKENS = {f"scale-{r}": TokenUser(user=f"scale-{r}", roles=[r]) for r in ROLES}
PERSON = {"vorname": "Bench", "nachname": "Skala"}
SOON = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
PLAN = {"ziel": "Eine feste Stelle in der Lagerlogistik finden.",
        "schritte": [{"was": "Jede Woche zwei Bewerbungen schreiben.", "wer": "elb", "bis": "2031-03-31"}]}
READER = "teamleitung"  # reads every process: the list queries see all cases
READER_USER = User(user=f"scale-{READER}", roles=frozenset({READER}))

# (process, weight %, opening role, [(trigger, role, data), ...]); facts come from start_facts
CLEARING = ("an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
ANALYSE = ("potenzialanalyse_abgeschlossen", "ifk", {})
UEBERGABE = ("uebergabe_vereinbart", "ifk", {"termin": SOON})
MIX = [
    ("neuantrag", 15, "egs", []),
    ("neuantrag", 15, "egs", [CLEARING]),
    ("neuantrag", 12, "egs", [CLEARING, ("clearingtermin_vereinbart", "jobcoach", {"termin": SOON})]),
    ("neuantrag", 5, "egs", [CLEARING, ("eigenen_plan_erfasst", "jobcoach", {})]),
    ("neuantrag", 3, "egs", [CLEARING, ("gruppencoaching_zugesagt", "jobcoach", {})]),
    ("rechtskreiswechsel", 15, "teamleitung", []),
    ("rechtskreiswechsel", 5, "teamleitung", [("einladen", "teamleitung", {})]),  # a place, or klaerung_team when full
    ("kooperationsplan", 5, "ifk", []),
    ("kooperationsplan", 7, "ifk", [ANALYSE]),
    ("kooperationsplan", 5, "ifk", [ANALYSE, ("plan_vereinbart", "ifk", PLAN)]),
    ("kooperationsplan", 1, "ifk", [ANALYSE, ("keine_einigung", "ifk", {})]),
    ("kooperationsplan", 2, "ifk", [ANALYSE, ("schlichtung_beantragt", "ifk", {"initiiert_von": "elb"})]),
    ("gruppencoaching", 4, "ifk", []),
    ("gruppencoaching", 3, "ifk", [UEBERGABE]),
    ("gruppencoaching", 2, "ifk", [UEBERGABE, ("teilnahme_begonnen", "ifk", {})]),
    ("gruppencoaching", 1, "ifk", [UEBERGABE, ("probezeit_begonnen", "ifk", {})]),
]
LIST_QUERIES = [  # (state, process or None)
    ("antrag_eingegangen", None), ("clearing_offen", None), ("clearing_offen", "neuantrag"),
    ("vorgemerkt", None), ("vorgemerkt", "rechtskreiswechsel"), ("in_erarbeitung", "kooperationsplan"),
    ("angeboten", None), ("angeboten", "gruppencoaching"),
]
VISIBILITY_STATES = ("clearing_offen", "vorgemerkt", "in_schlichtung")


def start_facts(process: str, rng: random.Random) -> dict:
    if process == "neuantrag":
        return {"antragsweg": "persoenlich"}
    if process == "rechtskreiswechsel":  # far enough ahead to wait in vorgemerkt (R30)
        ende = date.today() + timedelta(days=rng.randint(200, 700))
        return {"alg1_ende": ende.isoformat(), "standort": rng.choice(["Gevelsberg", "Witten"])}
    if process == "gruppencoaching":
        return {"jobturbo": rng.random() < 0.1}
    return {}


def quantiles(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49] * 1000, q[98] * 1000


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of a process in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- the processes: dev server with UI, worker, API ------------------------------------------


@contextlib.contextmanager
def dev_server_with_ui(workdir: Path) -> Iterator[tuple[str, str, int]]:
    """Like bench.transitions.dev_server, but file-backed (like `make run`) and with the UI."""
    port, ui_port = free_port(), free_port()
    command = [temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
               "--ui-port", str(ui_port), "--db-filename", str(workdir / "temporal.db"), "--log-level", "error"]
    with open(workdir / "temporal.log", "ab") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield f"127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}", proc.pid
    finally:
        stop_process(proc)


@contextlib.contextmanager
def fahrplan_process(command: str, env: dict[str, str], workdir: Path) -> Iterator[subprocess.Popen]:
    """`fahrplan worker` or `fahrplan api` as its own OS process, configured from FAHRPLAN_*."""
    binary = str(Path(sys.executable).parent / "fahrplan")
    with open(workdir / f"{command}.log", "ab") as log:
        proc = subprocess.Popen([binary, command], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        yield proc
    finally:
        stop_process(proc, grace=40)


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


# --- the workload ------------------------------------------------------------------------------


class Cases:
    def __init__(self, http: httpx.AsyncClient):
        self.http = http
        self.made: list[tuple[str, str]] = []  # (process, case_id)
        self.failed: Counter[str] = Counter()
        self.seconds = 0.0  # spent creating

    async def post(self, path: str, role: str, body: dict) -> dict:
        r = await self.http.post(path, json=body, headers={"Authorization": f"Bearer scale-{role}"})
        if r.status_code not in (200, 201):
            raise RuntimeError(f"POST {path} {body.get('trigger', body.get('process'))}: {r.status_code} {r.text[:300]}")
        return r.json()

    async def make(self, profile: tuple, rng: random.Random) -> None:
        process, _, opener, steps = profile
        case = await self.post("/cases", opener, {"process": process, "person": PERSON, "facts": start_facts(process, rng)})
        self.made.append((process, case["case_id"]))
        for trigger, role, data in steps:
            await self.post(f"/cases/{case['case_id']}/transitions", role, {"trigger": trigger, "data": data})

    async def create(self, n: int, total: int, concurrency: int, worker_pid: int) -> float:
        """Up to n cases (of `total` in all), C at a time; the mix is drawn once, reproducibly."""
        if not hasattr(self, "_todo"):
            rng = random.Random(20310303)
            self._rng = rng
            self._todo = list(reversed(rng.choices(MIX, weights=[p[1] for p in MIX], k=total)))
            self._next_report = self._step = max(total // 20, 1)
        todo, rng = self._todo, self._rng
        started, goal = time.perf_counter(), n - len(self.made) - sum(self.failed.values())
        todo_now = [todo.pop() for _ in range(min(goal, len(todo)))][::-1]

        async def driver() -> None:
            while todo_now:
                profile = todo_now.pop()
                try:
                    await self.make(profile, rng)
                except (RuntimeError, httpx.HTTPError) as failed:  # counted and shown, the run goes on
                    self.failed[profile[0]] += 1
                    if sum(self.failed.values()) <= 5:
                        print(f"  failed: {failed}", flush=True)
                    continue
                if len(self.made) >= self._next_report:
                    self._next_report += self._step
                    rate = len(self.made) / (self.seconds + time.perf_counter() - started)
                    print(f"  {len(self.made):6d}/{total} cases, {rate:5.1f}/s, worker RSS "
                          f"{memory(worker_pid)['VmRSS']:.0f} MB, load {load()}", flush=True)

        await asyncio.gather(*(driver() for _ in range(concurrency)))
        self.seconds += time.perf_counter() - started
        return self.seconds


async def settle(pid: int, quiet: float = 0.05, seconds: float = 120) -> None:
    """Until the worker spends less than `quiet` CPU seconds in 2 s (its tasks are done)."""
    deadline = time.monotonic() + seconds
    before = cpu_seconds(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(2)
        now = cpu_seconds(pid)
        if now - before < quiet:
            return
        before = now


async def touch(client, cases: Cases, sample: int, concurrency: int) -> tuple[int, int]:
    """Query `snapshot` of a sample of workflows (each replayed into the worker's cache) and fire an
    internal transition (changes no state) on a tenth of them."""
    rng = random.Random(7)
    chosen = rng.sample(cases.made, min(sample, len(cases.made)))
    gate = asyncio.Semaphore(concurrency)
    fired = 0

    async def one(i: int, process: str, case_id: str) -> None:
        nonlocal fired
        async with gate:
            await client.get_workflow_handle(workflow_id(process, case_id)).query("snapshot")
            if i % 10 == 0 and process == "kooperationsplan":
                await cases.post(f"/cases/{case_id}/transitions", "ifk",
                                 {"trigger": "fachkraft_beteiligt", "data": {"fachkraft": "scale-fk"}})
                fired += 1

    await asyncio.gather(*(one(i, p, c) for i, (p, c) in enumerate(chosen)))
    return len(chosen), fired


# --- list queries: API against the database ------------------------------------------------------


def direct_statement(state: str, process: str | None, limit: int = 50) -> tuple:
    """The statement api/cases.py `list` runs for a reader, built here per call with SQLAlchemy Core
    (the API builds it once): the first page, newest change first, each row with the total of all
    matches (a scalar count subquery). `list_bench` checks that its SQL is the API's."""
    cases = m.Case.__table__
    c = cases.c
    where = [c.process.in_(sorted(readable_processes({READER}))), *([c.process == bindparam("process")] if process else []),
             c.state == bindparam("state")]
    count = select(func.count()).select_from(cases).where(*where)
    stmt = (select(c.case_id, c.process, c.state, c.overdue, c.deadline, c.final, c.version, c.updated_at,
                   count.scalar_subquery().label("total"))
            .where(*where).order_by(c.updated_at.desc(), c.case_id).limit(bindparam("limit")).offset(bindparam("offset")))
    return stmt, {"state": state, "limit": limit, "offset": 0} | ({"process": process} if process else {})


def direct_query(conn, state: str, process: str | None, prebuilt: bool = False) -> tuple[int, list]:
    """The page and its total from the database: the statement built per call (as before), or the
    API's own prebuilt one (`prebuilt`: the execution alone)."""
    if prebuilt:
        stmt, _, params = case_list_query(READER_USER, {"state": state, "process": process}, 50, 0)
    else:
        stmt, params = direct_statement(state, process)
    rows = conn.execute(stmt, params).all()
    return (rows[0].total if rows else 0), rows


async def timed(n: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        out.append(time.perf_counter() - started)
    return out


async def list_bench(api_port: int, database_url: str, samples: int) -> tuple[list[float], list[float], list[float]]:
    """The API side is timed with the lean keep-alive client of the throughput bench (http.py), like
    wrk: httpx alone spent about 2-3 ms of Python per request, which is the client, not the API."""
    engine = create_engine(sync_url(database_url))
    http = LeanClient("127.0.0.1", api_port, "/api/v1")
    all_api, all_db, all_prebuilt = [], [], []
    print(f"\nGET /cases?state=... ({samples} sequential requests each; db: the API's SQL with SQLAlchemy Core, "
          "the statement built per call; prebuilt: the API's statement object, execution only)")
    try:
        with engine.connect() as conn:
            for state, process in LIST_QUERIES:
                params = {"state": state} | ({"process": process} if process else {})
                path = f"/cases?{urlencode(params)}"
                headers = {"Authorization": f"Bearer scale-{READER}"}

                async def via_api() -> dict:
                    r = await http.get(path, headers=headers)
                    r.raise_for_status()
                    return r.json()

                async def via_db() -> tuple:
                    return direct_query(conn, state, process)

                async def via_prebuilt() -> tuple:
                    return direct_query(conn, state, process, prebuilt=True)

                api_sql = str(case_list_query(READER_USER, {"state": state, "process": process}, 50, 0)[0].compile(engine))
                if str(direct_statement(state, process)[0].compile(engine)) != api_sql:
                    raise RuntimeError(f"{params}: the database side would not run the API's SQL:\n{api_sql}")
                api_total = (await via_api())["total"]
                db_total = (await via_db())[0]
                if api_total != db_total:
                    raise RuntimeError(f"{params}: API total {api_total}, database {db_total}")
                api, db = await timed(samples, via_api), await timed(samples, via_db)
                prebuilt = await timed(samples, via_prebuilt)
                conn.rollback()  # no long read transaction on SQLite (keeps the WAL small)
                all_api += api
                all_db += db
                all_prebuilt += prebuilt
                (a50, a99), (d50, d99), (p50, p99) = quantiles(api), quantiles(db), quantiles(prebuilt)
                label = f"state={state}" + (f"&process={process}" if process else "")
                print(f"  {label:<48} total {api_total:5d}  api p50 {a50:6.1f} p99 {a99:6.1f} ms"
                      f"  db p50 {d50:6.1f} p99 {d99:6.1f} ms  p99 ratio {a99 / d99:5.1f}"
                      f"  (prebuilt p50 {p50:4.1f} p99 {p99:4.1f} ms)", flush=True)
    finally:
        await http.aclose()
        engine.dispose()
    return all_api, all_db, all_prebuilt


async def visibility_bench(client, ui_url: str, samples: int) -> None:
    print(f"\nTemporal visibility ({samples} sequential calls each, page size 100)")
    async with httpx.AsyncClient(base_url=ui_url, timeout=60) as ui:
        for state in VISIBILITY_STATES:
            query = f'FahrplanState="{state}"'

            async def first_page() -> int:
                it = client.list_workflows(query, page_size=100)
                await it.fetch_next_page()
                return len(it.current_page or [])

            async def count() -> int:
                return (await client.count_workflows(query)).count

            async def ui_page() -> int:
                r = await ui.get("/api/v1/namespaces/default/workflows", params={"query": query, "pageSize": 100})
                r.raise_for_status()
                return len(r.json().get("executions") or [])

            sizes = (await first_page(), await count(), await ui_page())
            for name, call in (("list_workflows", first_page), ("count_workflows", count), ("UI /workflows", ui_page)):
                p50, p99 = quantiles(await timed(samples, call))
                print(f"  {query:<34} {name:<16} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms", flush=True)
            print(f"  {query:<34} first page {sizes[0]}, count {sizes[1]}, UI page {sizes[2]}")


async def idle_memory(client, pid: int) -> dict[str, float]:
    await settle(pid)
    idle = memory(pid)
    counted = (await client.count_workflows('ExecutionStatus="Running"')).count
    print(f"worker memory, {counted} running workflows, idle: RSS {idle['VmRSS']:.0f} MB, "
          f"peak {idle['VmHWM']:.0f} MB; load {load()}", flush=True)
    return idle


# --- the run --------------------------------------------------------------------------------------


async def bench(args, workdir: Path, address: str, ui_url: str, database_url: str) -> float:
    settings = Settings(_env_file=None, temporal_address=address, database_url=database_url, data_dir=workdir,
                        task_queue=f"fahrplan-scale-{uuid.uuid4().hex[:8]}", api_tokens=TOKENS)
    client = await wait_until(lambda: connect(settings), "Temporal dev server")  # writes the codec key file first
    await register_search_attributes(client, settings.temporal_namespace)
    api_port = free_port()
    env = fahrplan_env(settings, api_port, args.max_cached)
    with fahrplan_process("worker", env, workdir) as worker, fahrplan_process("api", env, workdir) as api:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}/api/v1", timeout=180,
                                     limits=httpx.Limits(max_connections=args.concurrency * 2)) as http:
            async def ready() -> None:
                for name, proc in (("worker", worker), ("api", api)):
                    if proc.poll() is not None:
                        raise RuntimeError(f"the {name} process exited with code {proc.returncode}")
                (await http.get("/healthz")).raise_for_status()

            await wait_until(ready, "API", seconds=90)
            print(f"worker pid {worker.pid} at start: {memory(worker.pid)}; load {load()}", flush=True)
            cases = Cases(http)
            for checkpoint in sorted({n for n in args.checkpoints if n < args.cases}):
                await cases.create(checkpoint, args.cases, args.concurrency, worker.pid)
                print(f"\n--- checkpoint: {len(cases.made)} cases", flush=True)
                await idle_memory(client, worker.pid)
                await list_bench(api_port, database_url, max(args.samples // 3, 5))
                await visibility_bench(client, ui_url, max(args.visibility_samples // 3, 5))
                print(flush=True)
            seconds = await cases.create(args.cases, args.cases, args.concurrency, worker.pid)
            print(f"created {len(cases.made)} cases in {seconds:.0f} s ({len(cases.made) / seconds:.1f}/s)", flush=True)
            idle = await idle_memory(client, worker.pid)
            sampled, fired = await touch(client, cases, args.touch, args.concurrency)
            await settle(worker.pid)
            after = memory(worker.pid)
            print(f"worker memory after querying {sampled} workflows and {fired} transitions: RSS {after['VmRSS']:.0f} MB, "
                  f"peak {after['VmHWM']:.0f} MB (target < 500 MB)", flush=True)
            api_times, db_times, prebuilt_times = await list_bench(api_port, database_url, args.samples)
            await visibility_bench(client, ui_url, args.visibility_samples)
            final = memory(worker.pid)
    (a50, a99), (d50, d99), (p50, p99) = quantiles(api_times), quantiles(db_times), quantiles(prebuilt_times)
    print("\nsummary")
    print(f"  cases: {len(cases.made)} ({dict(Counter(p for p, _ in cases.made))}) in {seconds:.0f} s, "
          f"failed {dict(cases.failed) or 0}; load now {load()}")
    print(f"  worker: idle RSS {idle['VmRSS']:.0f} MB, after touch {after['VmRSS']:.0f} MB, at the end {final['VmRSS']:.0f} MB,"
          f" peak {final['VmHWM']:.0f} MB; max_cached_workflows {args.max_cached or 'default'}")
    print(f"  GET /cases (all queries): api p50 {a50:.1f} ms p99 {a99:.1f} ms; db p50 {d50:.1f} ms p99 {d99:.1f} ms"
          f" (prebuilt statement: p50 {p50:.1f} ms p99 {p99:.1f} ms, api p99 / prebuilt p99 {a99 / p99:.2f})")
    return a99 / d99


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", "-n", type=int, default=10_000, help="open cases to create (N)")
    parser.add_argument("--concurrency", "-c", type=int, default=8, help="requests in flight while creating")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL admin URL; a fresh database is created and dropped (default: temp SQLite)")
    parser.add_argument("--samples", type=int, default=300, help="requests per list query")
    parser.add_argument("--visibility-samples", type=int, default=100, help="calls per visibility query")
    parser.add_argument("--touch", type=int, default=2000, help="workflows queried in the touch pass")
    parser.add_argument("--checkpoints", type=lambda v: [int(x) for x in v.split(",") if x], default=[2500, 5000],
                        help="case counts at which to measure on the way (fewer samples), e.g. 2500,5000")
    parser.add_argument("--max-cached", type=int, default=None,
                        help="FAHRPLAN_WORKER_MAX_CACHED_WORKFLOWS for the worker (default: the setting's default)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # clean up on SIGTERM as on Ctrl-C
    if min(args.cases, args.concurrency, args.samples, args.visibility_samples) < 1:
        parser.error("--cases, --concurrency and the sample counts must be positive")
    with tempfile.TemporaryDirectory(prefix="fahrplan-scale-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        address, ui_url, _ = stack.enter_context(dev_server_with_ui(workdir))
        database_url = stack.enter_context(fresh_database(args.database_url, workdir))
        print(f"setup: temporal dev server file {workdir / 'temporal.db'} at {address}, UI {ui_url}; database "
              f"{'postgresql (fresh database)' if args.database_url else 'sqlite (temp file)'}; worker and API "
              f"each their own process; N={args.cases} C={args.concurrency}; {os.cpu_count()} cpus; load {load()}",
              flush=True)
        try:
            ratio = asyncio.run(bench(args, workdir, address, ui_url, database_url))
        except BaseException:
            for name in ("worker.log", "api.log", "temporal.log"):
                with contextlib.suppress(OSError):
                    tail = (workdir / name).read_text(errors="replace").splitlines()[-20:]
                    print(f"--- last lines of {name}:", *tail, sep="\n", file=sys.stderr)
            raise
    print(f"ratio={ratio:.2f}")
    return 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
