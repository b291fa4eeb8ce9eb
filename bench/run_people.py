"""The run behind bench/people.py (usage and output there)."""

from __future__ import annotations

import argparse
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api.usecases.actors import User
from api.usecases.people import search_query
from api.usecases.tasks import inbox_query
from bench.environment import api_subprocess, environment, free_port, healthy, wait_until
from bench.http import LeanClient
from bench.people_seed import seed
from bench.scale_queries import quantiles, timed
from persistence.db import sync_url
from persistence.figures import read_model_figures
from runtime.metrics import Figures
from runtime.settings import ROLES, Settings, TokenUser

TOKENS = {f"people-{r}": TokenUser(user=f"people-{r}", roles=[r]) for r in ROLES}
SEARCHES = ("müller", "MUELLER", "köh", "schmidt anna", "jürgen w", "yilmaz", "ö", "12.05.1980", "{kundennummer}")
INBOXES = ("jobcoach", "egs", "ifk")


async def compare(http: LeanClient, conn, label: str, path: str, role: str, statement: Callable, samples: int):
    """The API's answer and the same statement on the database: equal row counts, then timings."""
    headers = {"Authorization": f"Bearer people-{role}"}

    async def via_api() -> list:
        r = await http.get(path, headers=headers)
        r.raise_for_status()
        return r.json()

    async def via_db() -> list:
        return conn.execute(statement()).all()

    api_rows, db_rows = len(await via_api()), len(await via_db())
    if api_rows != db_rows:
        raise RuntimeError(f"{label}: API {api_rows} rows, database {db_rows}")
    api, db = await timed(samples, via_api), await timed(samples, via_db)
    conn.rollback()
    print(f"  {label:<44} rows {api_rows:3d}  {_timings(api, db)}", flush=True)
    return api, db


def _timings(api: list[float], db: list[float]) -> str:
    (a50, a99), (d50, d99) = quantiles(api), quantiles(db)
    return f"api p50 {a50:6.1f} p99 {a99:6.1f} ms  db p50 {d50:6.1f} p99 {d99:6.1f} ms  p99 ratio {a99 / d99:5.1f}"


async def bench(args, env) -> float:
    rng = random.Random(15)
    started = datetime.now(UTC)
    person_ids, egs_numbers = seed(env.database_url, args.cases, rng)
    print(f"seeded {len(person_ids)} people, cases and tasks in {(datetime.now(UTC) - started).seconds} s", flush=True)
    settings = Settings(
        _env_file=None,
        temporal_address=env.address,
        database_url=env.database_url,
        data_dir=env.workdir,
        task_queue=f"fahrplan-people-{uuid.uuid4().hex[:8]}",
        api_tokens=TOKENS,
    )
    port = free_port()
    engine = create_engine(sync_url(env.database_url))
    all_api, all_db = [], []
    with api_subprocess(settings, port, env.workdir) as api:
        http = LeanClient("127.0.0.1", port, "/api/v1")
        await wait_until(lambda: healthy({"the API process": api}, http), "API", seconds=90)
        try:
            with engine.connect() as conn:
                print(f"\nGET /people?q=... ({args.samples} sequential requests each, as egs; db: the same statement)")
                egs = User(user="people-egs", roles=frozenset({"egs"}))
                for q in SEARCHES:
                    q = q.format(kundennummer=rng.choice(egs_numbers))
                    path = "/people?" + urlencode({"q": q})
                    api_t, db_t = await compare(
                        http, conn, f"q={q}", path, "egs", lambda q=q: search_query(egs, q, 20), args.samples
                    )
                    all_api += api_t
                    all_db += db_t
                print(f"\nGET /tasks ({args.samples} sequential requests each; the first 100 open tasks of the role)")
                for role in INBOXES:
                    user = User(user=f"people-{role}", roles=frozenset({role}))

                    def statement(user: User = user):
                        return inbox_query(
                            user, status="offen", case_id=None, mine=False, overdue=None, limit=100, now=None
                        )

                    api_t, db_t = await compare(http, conn, f"role={role}", "/tasks", role, statement, args.samples)
                    all_api += api_t
                    all_db += db_t
            print(f"\nGET /people/{{id}} (Fallakte, {args.samples} different people, as teamleitung)")
            sample = rng.sample(person_ids, args.samples)
            it = iter(sample)

            async def fallakte() -> None:
                r = await http.get(f"/people/{next(it)}", headers={"Authorization": "Bearer people-teamleitung"})
                r.raise_for_status()

            f50, f99 = quantiles(await timed(args.samples, fallakte))
            print(f"  Fallakte p50 {f50:.1f} ms p99 {f99:.1f} ms", flush=True)
            with engine.connect() as conn:
                scraped = await scrape_bench(port, conn, args.samples)
        finally:
            await http.aclose()
            engine.dispose()
    (a50, a99), (d50, d99) = quantiles(all_api), quantiles(all_db)
    print("\nsummary")
    print(f"  {args.cases} open cases, {env.described}")
    print(f"  search and inbox: api p50 {a50:.1f} ms p99 {a99:.1f} ms; db p50 {d50:.1f} ms p99 {d99:.1f} ms")
    print(f"  Fallakte: p50 {f50:.1f} ms p99 {f99:.1f} ms")
    print(f"  GET /metrics: api p99 {scraped[0]:.1f} ms, db p99 {scraped[1]:.1f} ms")
    return a99 / d99


async def scrape_bench(port: int, conn, samples: int) -> tuple[float, float]:
    """A Prometheus scrape of the API (`GET /metrics`: the read model's figures, counted on each
    scrape) against `read_model_figures` on the database. The scrape's open cases must add up to
    the database's. The p99s in ms."""
    http = LeanClient("127.0.0.1", port)

    async def via_api() -> str:
        r = await http.get("/metrics")
        r.raise_for_status()
        return r.text

    async def via_db() -> Figures:
        with Session(bind=conn) as session:
            return read_model_figures(session)

    print(f"\nGET /metrics ({samples} sequential scrapes; db: persistence/figures.py's statements)", flush=True)
    try:
        exported = sum(
            float(line.rsplit(" ", 1)[1])
            for line in (await via_api()).splitlines()
            if line.startswith("fahrplan_cases_open{")
        )
        counted = sum((await via_db()).open_cases.values())
        if exported != counted:
            raise RuntimeError(f"/metrics exports {exported:.0f} open cases, the database counts {counted}")
        api, db = await timed(samples, via_api), await timed(samples, via_db)
    finally:
        await http.aclose()
    conn.rollback()
    print(f"  {counted} open cases  {_timings(api, db)}", flush=True)
    return quantiles(api)[1], quantiles(db)[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="People search, inbox and Fallakte at 50,000 open cases")
    parser.add_argument("--cases", "-n", type=int, default=50_000, help="people with one open case each")
    parser.add_argument("--samples", type=int, default=200, help="requests per query")
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL (default: temp SQLite)")
    args = parser.parse_args(argv)
    args.in_memory, args.db_file = True, None  # the dev server only answers the API's connection
    if min(args.cases, args.samples) < 1 or args.samples > args.cases:
        parser.error("--cases and --samples must be positive, --samples at most --cases")
    with environment(args, "fahrplan-people-") as env:
        ratio = env.run(bench(args, env))
    print(f"ratio={ratio:.2f}")
    return 0


def entry() -> int:
    try:
        return main()
    except KeyboardInterrupt:
        return 130
