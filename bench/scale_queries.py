"""The scale bench's measurements: `GET /cases?state=` through the API against the same SQL run
directly on the database, Temporal visibility (list, count, the UI's workflow list) and
`fahrplan reconcile` one case at a time against several."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

import httpx
from sqlalchemy import bindparam, create_engine, func, select

from api.auth import User
from api.usecases.case_list import case_list_query
from bench.http import LeanClient
from bench.scale_workload import cpu_seconds
from persistence import models as m
from persistence.db import sync_url
from persistence.open import open_database
from statemachines.roles import readable_processes
from worker.reconcile import PARALLEL, reconcile

READER = "teamleitung"  # reads every process: the list queries see all cases
READER_USER = User(user=f"scale-{READER}", roles=frozenset({READER}))
LIST_QUERIES = [  # (state, process or None)
    ("antrag_eingegangen", None),
    ("clearing_offen", None),
    ("clearing_offen", "neuantrag"),
    ("vorgemerkt", None),
    ("vorgemerkt", "rechtskreiswechsel"),
    ("in_erarbeitung", "kooperationsplan"),
    ("angeboten", None),
    ("angeboten", "gruppencoaching"),
]
VISIBILITY_STATES = ("clearing_offen", "vorgemerkt", "in_schlichtung")


def quantiles(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49] * 1000, q[98] * 1000


def direct_statement(state: str, process: str | None, limit: int = 50) -> tuple:
    """The statement api/cases.py `list` runs for a reader, built here per call with SQLAlchemy Core
    (the API builds it once): the first page, newest change first, each row with the total of all
    matches (a scalar count subquery). `list_bench` checks that its SQL is the API's."""
    cases = m.Case.__table__
    c = cases.c
    where = [
        c.process.in_(sorted(readable_processes({READER}))),
        *([c.process == bindparam("process")] if process else []),
        c.state == bindparam("state"),
    ]
    count = select(func.count()).select_from(cases).where(*where)
    stmt = (
        select(
            c.case_id,
            c.process,
            c.state,
            c.overdue,
            c.deadline,
            c.final,
            c.version,
            c.updated_at,
            count.scalar_subquery().label("total"),
        )
        .where(*where)
        .order_by(c.updated_at.desc(), c.case_id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
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


class Throttled(Exception):
    """The server asked to slow down (HTTP 429, e.g. the dev server's visibility rate limit behind
    the UI): `timed` waits, repeats the call and times only the answered one."""

    def __init__(self, seconds: float):
        super().__init__(f"throttled, retry after {seconds} s")
        self.seconds = seconds


async def timed(n: int, call: Callable[[], Awaitable[object]], throttled: list[int] | None = None) -> list[float]:
    """n answered calls, each timed; throttled calls are counted in `throttled[0]`, not timed."""
    out = []
    while len(out) < n:
        started = time.perf_counter()
        try:
            await call()
        except Throttled as slow:
            if throttled is not None:
                throttled[0] += 1
            await asyncio.sleep(slow.seconds)
            continue
        out.append(time.perf_counter() - started)
    return out


async def list_bench(api_port: int, database_url: str, samples: int) -> tuple[list[float], list[float], list[float]]:
    """The API side is timed with the lean keep-alive client of the throughput bench (http.py), like
    wrk: httpx alone spent about 2-3 ms of Python per request, which is the client, not the API."""
    engine = create_engine(sync_url(database_url))
    http = LeanClient("127.0.0.1", api_port, "/api/v1")
    all_api, all_db, all_prebuilt = [], [], []
    print(
        f"\nGET /cases?state=... ({samples} sequential requests each; db: the API's SQL with SQLAlchemy Core, "
        "the statement built per call; prebuilt: the API's statement object, execution only)"
    )
    try:
        with engine.connect() as conn:
            for state, process in LIST_QUERIES:
                params = {"state": state} | ({"process": process} if process else {})
                path = f"/cases?{urlencode(params)}"
                headers = {"Authorization": f"Bearer scale-{READER}"}

                async def via_api(path: str = path, headers: dict = headers) -> dict:
                    r = await http.get(path, headers=headers)
                    r.raise_for_status()
                    return r.json()

                async def via_db(state: str = state, process: str | None = process) -> tuple:
                    return direct_query(conn, state, process)

                async def via_prebuilt(state: str = state, process: str | None = process) -> tuple:
                    return direct_query(conn, state, process, prebuilt=True)

                api_sql = str(
                    case_list_query(READER_USER, {"state": state, "process": process}, 50, 0)[0].compile(engine)
                )
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
                print(
                    f"  {label:<48} total {api_total:5d}  api p50 {a50:6.1f} p99 {a99:6.1f} ms"
                    f"  db p50 {d50:6.1f} p99 {d99:6.1f} ms  p99 ratio {a99 / d99:5.1f}"
                    f"  (prebuilt p50 {p50:4.1f} p99 {p99:4.1f} ms)",
                    flush=True,
                )
    finally:
        await http.aclose()
        engine.dispose()
    return all_api, all_db, all_prebuilt


async def visibility_bench(client, ui_url: str, samples: int) -> None:
    print(f"\nTemporal visibility ({samples} sequential calls each, page size 100)")
    async with httpx.AsyncClient(base_url=ui_url, timeout=60) as ui:
        for state in VISIBILITY_STATES:
            query = f'FahrplanState="{state}"'

            async def first_page(query: str = query) -> int:
                it = client.list_workflows(query, page_size=100)
                await it.fetch_next_page()
                return len(it.current_page or [])

            async def count(query: str = query) -> int:
                return (await client.count_workflows(query)).count

            async def ui_page(query: str = query) -> int:
                r = await ui.get("/api/v1/namespaces/default/workflows", params={"query": query, "pageSize": 100})
                if r.status_code == 429:
                    raise Throttled(float(r.headers.get("retry-after") or 1))
                r.raise_for_status()
                return len(r.json().get("executions") or [])

            sizes = (await first_page(), await count(), await ui_page())
            for name, call in (("list_workflows", first_page), ("count_workflows", count), ("UI /workflows", ui_page)):
                throttled = [0]
                p50, p99 = quantiles(await timed(samples, call, throttled))
                slowed = f"  ({throttled[0]} throttled with 429, repeated)" if throttled[0] else ""
                print(f"  {query:<34} {name:<16} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms{slowed}", flush=True)
            print(f"  {query:<34} first page {sizes[0]}, count {sizes[1]}, UI page {sizes[2]}")


async def reconcile_bench(client, settings, pids: dict[str, int], sample: int = 500) -> tuple[float, float] | None:
    """`fahrplan reconcile` (report only): one pass over every case, `worker.reconcile.PARALLEL`
    at a time (which also lists the open workflows), then a random sample of cases one at a time
    (as before 2026-12-07) and PARALLEL at a time, alternated twice. Each pass prints its time and
    the CPU it took in `pids`' processes and in this one (where reconcile runs). A running case's
    comparison is a query its worker answers, replaying the history when the case is not in its
    cache. With more cases than the worker caches, the full pass finds most of them cold, as
    reconcile over a Jobcenter's cases would; the sample is passed over once more before the
    timed passes (not timed), so that each of them finds it in the cache alike.
    Returns the sample's seconds one at a time and PARALLEL at a time (both rounds), or None when
    a pass found a difference (an idle population has none)."""

    async def timed_pass(label: str, parallel: int, case_ids: list[str] | None) -> float | None:
        cpu = {name: cpu_seconds(pid) for name, pid in pids.items()} | {"reconcile": time.process_time()}
        start = time.perf_counter()
        found = await reconcile(client, db, task_queue=settings.task_queue, parallel=parallel, case_ids=case_ids)
        seconds = time.perf_counter() - start
        used = {name: cpu_seconds(pid) - cpu[name] for name, pid in pids.items()}
        used["reconcile"] = time.process_time() - cpu["reconcile"]
        n = len(case_ids) if case_ids else len(everyone)
        per_case = ", ".join(f"{name} {spent / n * 1000:.2f}" for name, spent in used.items())
        kinds = dict(Counter(d.kind for d in found)) or 0
        print(
            f"  {label:<12} {parallel:>2} at a time: {seconds:6.1f} s ({seconds / n * 1000:.2f} ms a case; "
            f"CPU ms a case: {per_case}), differences {kinds}",
            flush=True,
        )
        return None if found else seconds

    db = open_database(settings)
    try:
        async with db.unit_of_work(read_only=True) as session:
            everyone = list((await session.execute(select(m.Case.case_id))).scalars())
        chosen = random.Random(7).sample(everyone, min(sample, len(everyone)))
        print(f"\nfahrplan reconcile over {len(everyone)} cases, then {len(chosen)} of them (report only)", flush=True)
        if await timed_pass("all cases", PARALLEL, None) is None:
            return None
        if await timed_pass("warm-up", PARALLEL, chosen) is None:
            return None
        one, many = 0.0, 0.0
        for _ in range(2):
            for parallel in (1, PARALLEL):
                seconds = await timed_pass("sample", parallel, chosen)
                if seconds is None:
                    return None
                one, many = (one + seconds, many) if parallel == 1 else (one, many + seconds)
    finally:
        await db.dispose()
    print(f"  sample, {PARALLEL} at a time against one at a time: {one / many:.2f}x as fast")
    return one, many
