"""The run behind bench/people.py (usage and output there)."""

from __future__ import annotations

import argparse
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import create_engine, insert, update

from api.usecases.actors import User
from api.usecases.people import search_query
from api.usecases.tasks import inbox_query
from bench.environment import api_subprocess, environment, free_port, wait_until
from bench.http import LeanClient
from bench.scale_queries import quantiles, timed
from persistence import models as m
from persistence.db import sync_url
from persistence.people import KUNDENNUMMER, format_kundennummer, search_key
from persistence.vermerke import Vermerk
from runtime.settings import ROLES, Settings, TokenUser
from runtime.temporal import workflow_id

TOKENS = {f"people-{r}": TokenUser(user=f"people-{r}", roles=[r]) for r in ROLES}
NACHNAMEN = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Schmitz",
    "Krause",
    "Meier",
    "Lehmann",
    "Schmid",
    "Schulze",
    "Maier",
    "Köhler",
    "Herrmann",
    "König",
    "Walter",
    "Mayer",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Peters",
    "Lang",
    "Scholz",
    "Möller",
    "Weiß",
    "Jung",
    "Hahn",
    "Schubert",
    "Vogel",
    "Friedrich",
    "Keller",
    "Günther",
    "Frank",
    "Berger",
    "Winkler",
    "Roth",
    "Beck",
    "Lorenz",
    "Baumann",
    "Franke",
    "Albrecht",
    "Schuster",
    "Simon",
    "Ludwig",
    "Böhm",
    "Winter",
    "Kraus",
    "Martin",
    "Schumacher",
    "Krämer",
    "Vogt",
    "Stein",
    "Jäger",
    "Otto",
    "Sommer",
    "Groß",
    "Seidel",
    "Heinrich",
    "Brandt",
    "Haas",
    "Schreiber",
    "Graf",
    "Schulte",
    "Dietrich",
    "Ziegler",
    "Kuhn",
    "Kühn",
    "Pohl",
    "Engel",
    "Horn",
    "Busch",
    "Bergmann",
    "Thomas",
    "Voigt",
    "Sauer",
    "Arnold",
    "Wolff",
    "Pfeiffer",
    "Öztürk",
    "Yılmaz",
    "Kaya",
    "Nowak",
    "Kowalski",
    "Popescu",
    "Ivanova",
]
VORNAMEN = [
    "Anna",
    "Emma",
    "Mia",
    "Sophie",
    "Marie",
    "Lena",
    "Lea",
    "Hannah",
    "Laura",
    "Julia",
    "Sarah",
    "Jürgen",
    "Jörg",
    "Björn",
    "Günter",
    "Uwe",
    "Klaus",
    "Peter",
    "Michael",
    "Thomas",
    "Andreas",
    "Stefan",
    "Frank",
    "Markus",
    "Christian",
    "Daniel",
    "Tobias",
    "Jan",
    "Lukas",
    "Felix",
    "Jonas",
    "Leon",
    "Paul",
    "Max",
    "Ali",
    "Mehmet",
    "Fatma",
    "Ayşe",
    "Olga",
    "Natalia",
    "Sören",
    "Gül",
    "Zoë",
    "Renée",
    "André",
    "Özlem",
    "Hüseyin",
    "Ömer",
    "Chantal",
    "Kevin",
    "Dennis",
    "Sandra",
    "Nicole",
]
PROCESSES = (  # (process, state, task role, share)
    ("neuantrag", "clearing_offen", "jobcoach", 0.5),
    ("neuantrag", "antrag_eingegangen", "egs", 0.2),
    ("kooperationsplan", "aktiv", "ifk", 0.2),
    ("gruppencoaching", "angeboten", "ifk", 0.1),
)
SEARCHES = ("müller", "MUELLER", "köh", "schmidt anna", "jürgen w", "yilmaz", "ö", "12.05.1980", "{kundennummer}")
INBOXES = ("jobcoach", "egs", "ifk")
BATCH = 2000


def seed(database_url: str, n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """N people with one open case, one open task each, a Vermerk on every fifth case; the person
    ids, and the Kundennummern of the people with a Neuantrag (the EGS finds those)."""
    engine = create_engine(sync_url(database_url))
    now = datetime.now(UTC)
    kinds = [p for p in PROCESSES for _ in range(round(p[3] * 100))]
    person_ids: list[str] = []
    egs_numbers: list[str] = []
    with engine.begin() as conn:
        for start in range(0, n, BATCH):
            people, cases, tasks, vermerke = [], [], [], []
            for i in range(start, min(start + BATCH, n)):
                pid, cid = str(uuid.uuid4()), str(uuid.uuid4())
                vorname, nachname = rng.choice(VORNAMEN), rng.choice(NACHNAMEN)
                born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 45))
                created = now - timedelta(minutes=n - i)
                people.append(
                    {
                        "person_id": pid,
                        "vorname": vorname,
                        "nachname": nachname,
                        "geburtsdatum": born,
                        "strasse": "Hauptstraße 1",
                        "plz": "58285",
                        "ort": "Gevelsberg",
                        "created_at": created,
                        "kundennummer": format_kundennummer(i + 1),
                        "vorname_suche": search_key(vorname),
                        "nachname_suche": search_key(nachname),
                    }
                )
                process, state, role, _ = rng.choice(kinds)
                due = now + timedelta(days=rng.randrange(-10, 30))
                cases.append(
                    {
                        "case_id": cid,
                        "process": process,
                        "state": state,
                        "person_id": pid,
                        "facts": {},
                        "deadlines": {"items": []},
                        "deadline": None,
                        "overdue": False,
                        "final": False,
                        "version": 1,
                        "workflow_id": workflow_id(process, cid),
                        "links": {},
                        "created_at": created,
                        "updated_at": created,
                        "policy_id": None,
                    }
                )
                tasks.append(
                    {
                        "case_id": cid,
                        "sequence": 1,
                        "kind": "bench",
                        "role": role,
                        "title": "Aufgabe",
                        "priority": rng.randrange(1, 6),
                        "due": due,
                        "state": state,
                        "status": "offen",
                        "created_at": created,
                        "vorrang": rng.random() < 0.05,
                    }
                )
                if i % 5 == 0:
                    vermerke.append(
                        {
                            "case_id": cid,
                            "nummer": 1,
                            "textbaustein": "beratungsgespraech",
                            "text": "Bewerbungsunterlagen besprochen.",
                            "text_digest": "0" * 64,  # read, never verified here
                            "gespraech_am": created,
                            "actor": "bench",
                            "role": role,
                            "created_at": created,
                            "fingerprint": "0" * 64,
                            "prev_hash": "0" * 64,
                            "key_id": "bench",
                            "hash": "0" * 64,
                        }
                    )
                person_ids.append(pid)
                if process == "neuantrag":
                    egs_numbers.append(format_kundennummer(i + 1))
            conn.execute(insert(m.Person.__table__), people)
            conn.execute(insert(m.Case.__table__), cases)
            conn.execute(insert(m.Task.__table__), tasks)
            if vermerke:
                conn.execute(insert(Vermerk.__table__), vermerke)
        conn.execute(update(m.Counter.__table__).where(m.Counter.name == KUNDENNUMMER).values(value=n))
    with engine.connect() as conn:  # fresh planner statistics, as a production database keeps them
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    engine.dispose()
    return person_ids, egs_numbers


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
    (a50, a99), (d50, d99) = quantiles(api), quantiles(db)
    print(
        f"  {label:<44} rows {api_rows:3d}  api p50 {a50:6.1f} p99 {a99:6.1f} ms"
        f"  db p50 {d50:6.1f} p99 {d99:6.1f} ms  p99 ratio {a99 / d99:5.1f}",
        flush=True,
    )
    return api, db


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

        async def ready() -> None:
            if api.poll() is not None:
                raise RuntimeError(f"the API process exited with code {api.returncode}")
            (await http.get("/healthz")).raise_for_status()

        await wait_until(ready, "API", seconds=90)
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
        finally:
            await http.aclose()
            engine.dispose()
    (a50, a99), (d50, d99) = quantiles(all_api), quantiles(all_db)
    print("\nsummary")
    print(f"  {args.cases} open cases, {env.described}")
    print(f"  search and inbox: api p50 {a50:.1f} ms p99 {a99:.1f} ms; db p50 {d50:.1f} ms p99 {d99:.1f} ms")
    print(f"  Fallakte: p50 {f50:.1f} ms p99 {f99:.1f} ms")
    return a99 / d99


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
