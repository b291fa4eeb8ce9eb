"""p99 render time of the workbench's inbox and case page at 10,000 cases, next to the JSON
endpoints they are built on (issue 16 item 8).

    .venv/bin/python bench/pages.py [--cases 10000] [--samples 300]   (this file: bench/run_pages.py)

A fresh SQLite database is migrated and filled directly (people, cases in `clearing_terminiert`
with their deadline, three audit events, one letter and one open Jobcoach task per case: the
read side only, no workflows). The app runs in this process behind httpx's ASGI transport, the
same for pages and JSON, so the ratio compares the two faces and not the transport. Measured,
each `--samples` times after a warm-up, one request at a time:

- inbox: GET / (page, the 50 most urgent tasks) vs GET /api/v1/tasks?limit=50 (JSON);
- case page: GET /faelle/{id} vs GET /api/v1/cases/{id}, and vs the three JSON reads a client
  needs for the same content (case, /events, /notifications?case_id=); the page also inlines the
  case diagram (runtime/svg.py, cached per process, state and allowed steps).

Prints p50 and p99 in milliseconds and the p99 ratios (target: <= 2). Information, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
from sqlalchemy import insert
from temporalio.service import RPCError, RPCStatusCode

from api.app import create_app
from api.pages import session as sessions
from api.usecases.actors import User
from persistence import models as m
from persistence import policies
from persistence.db import Database
from persistence.migrate import upgrade
from runtime.settings import Settings, TokenUser
from runtime.temporal import DATA_CONVERTER
from statemachines.policy import Policy

TOKEN = "bench-jobcoach"


def rows(n: int, policy_id: str, now: datetime) -> dict[str, list[dict]]:
    rng = random.Random(16)
    out: dict[str, list[dict]] = {"people": [], "cases": [], "events": [], "letters": [], "tasks": []}
    for i in range(n):
        case_id, person_id = str(uuid.UUID(int=rng.getrandbits(128))), str(uuid.UUID(int=rng.getrandbits(128)))
        termin = now + timedelta(days=rng.randint(1, 30))
        out["people"].append(
            {
                "person_id": person_id,
                "vorname": "Erika",
                "nachname": f"Muster{i}",
                "geburtsdatum": None,
                "strasse": None,
                "plz": None,
                "ort": None,
                "created_at": now,
            }
        )
        due = now + timedelta(days=rng.randint(-5, 20))
        out["cases"].append(
            {
                "case_id": case_id,
                "process": "neuantrag",
                "state": "clearing_terminiert",
                "person_id": person_id,
                "facts": {"antragsweg": "persoenlich", "uebergabe": "warm", "clearingtermin": termin.isoformat()},
                "deadlines": {
                    "items": [
                        {
                            "trigger": "kontaktaufnahme_faellig",
                            "label": "Kontaktaufnahme",
                            "due": due.isoformat(),
                            "marks_overdue": False,
                        }
                    ]
                },
                "deadline": due,
                "overdue": False,
                "final": False,
                "version": 2,
                "workflow_id": f"neuantrag-{case_id}",
                "links": {},
                "created_at": now,
                "updated_at": now,
                "policy_id": policy_id,
            }
        )
        steps = [
            (None, "antrag_eingegangen", "__start__"),
            ("antrag_eingegangen", "clearing_offen", "an_clearing_uebergeben"),
            ("clearing_offen", "clearing_terminiert", "clearingtermin_vereinbart"),
        ]
        for seq, (src, dst, trig) in enumerate(steps):
            out["events"].append(
                {
                    "case_id": case_id,
                    "sequence": seq,
                    "trigger": trig,
                    "from_state": src,
                    "to_state": dst,
                    "actor": "jobcoach-1",
                    "role": "jobcoach",
                    "comment": None,
                    "comment_digest": None,
                    "data": {},
                    "occurred_at": now,
                    "prev_hash": "0" * 64,
                    "hash": f"{seq:064d}",
                }
            )
        out["letters"].append(
            {
                "case_id": case_id,
                "sequence": 2,
                "template": "einladung_clearing",
                "channel": "brief",
                "subject": "Einladung zum Clearinggespräch",
                "body": "Sehr geehrte Damen und Herren, …" * 10,
                "status": "ausstehend",
                "created_at": now,
            }
        )
        out["tasks"].append(
            {
                "case_id": case_id,
                "sequence": 2,
                "kind": "clearingtermin",
                "role": "jobcoach",
                "title": "Clearinggespräch führen (R2)",
                "priority": rng.randint(1, 5),
                "due": due,
                "state": "clearing_terminiert",
                "status": "offen",
                "assignee": None,
                "created_at": now,
                "closed_at": None,
                "closed_by_sequence": None,
                "vorrang": False,
                "ref": None,
                "closed_by": None,
            }
        )
    return out


async def seed(db: Database, n: int) -> list[str]:
    now = datetime.now(UTC)
    async with db.unit_of_work() as session:
        policy_id = await session.run_sync(policies.store, Policy(), now)
    data = rows(n, policy_id, now)
    for table, model in (
        ("people", m.Person),
        ("cases", m.Case),
        ("events", m.CaseEvent),
        ("letters", m.Notification),
        ("tasks", m.Task),
    ):
        for start in range(0, n * 3, 2000):
            chunk = data[table][start : start + 2000]
            if chunk:
                async with db.unit_of_work() as session:
                    await session.execute(insert(model), chunk)
    return [c["case_id"] for c in data["cases"]]


async def timed(http: httpx.AsyncClient, path: str, samples: int, **kwargs) -> list[float]:
    for _ in range(5):  # warm-up
        (await http.get(path, **kwargs)).raise_for_status()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        r = await http.get(path, **kwargs)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    return times


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _no_temporal() -> SimpleNamespace:
    """No Temporal behind the app: a read asks for the workflow's status (operator actions, issue
    20), which this client answers at once with "not found" (the read model stands), the same for
    the page and the JSON endpoints it is compared with."""

    async def describe_workflow_execution(*args, **kwargs):
        raise RPCError("kein Temporal im Benchmark", RPCStatusCode.NOT_FOUND, b"")

    service = SimpleNamespace(describe_workflow_execution=describe_workflow_execution)
    return SimpleNamespace(data_converter=DATA_CONVERTER, namespace="default", workflow_service=service)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'pages.db'}"
        upgrade(url)
        db = Database(url)
        started = time.perf_counter()
        case_ids = await seed(db, args.cases)
        print(f"seeded {args.cases} cases in {time.perf_counter() - started:.1f} s (SQLite, {url})")
        settings = Settings(data_dir=Path(tmp), api_tokens={TOKEN: TokenUser(user="jobcoach-1", roles=["jobcoach"])})
        app = create_app(settings, client=_no_temporal(), db=db)
        key = DATA_CONVERTER.payload_codec.derived_key(sessions.PURPOSE)
        cookie, _ = sessions.issue(key, User("jobcoach-1", frozenset({"jobcoach"})), 3600)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            http.cookies.set(sessions.COOKIE, cookie)
            bearer = {"Authorization": f"Bearer {TOKEN}"}
            results = {}
            results["inbox page  GET /"] = await timed(http, "/", args.samples)
            results["inbox JSON  GET /api/v1/tasks?limit=50"] = await timed(
                http, "/api/v1/tasks?limit=50", args.samples, headers=bearer
            )
            rng = random.Random(7)
            case = rng.choice(case_ids)
            results["case page   GET /faelle/{id}"] = await timed(http, f"/faelle/{case}", args.samples)
            results["case JSON   GET /api/v1/cases/{id}"] = await timed(
                http, f"/api/v1/cases/{case}", args.samples, headers=bearer
            )
            events = await timed(http, f"/api/v1/cases/{case}/events", args.samples, headers=bearer)
            letters = await timed(http, f"/api/v1/notifications?case_id={case}", args.samples, headers=bearer)
            results["case JSON   GET /api/v1/cases/{id}/events"] = events
            results["case JSON   GET /api/v1/notifications?case_id="] = letters
            results["case JSON x3 (case + events + notifications)"] = [
                a + b + c
                for a, b, c in zip(results["case JSON   GET /api/v1/cases/{id}"], events, letters, strict=True)
            ]
        await db.dispose()
    for name, values in results.items():
        print(f"{name:48s} p50 {p(values, 50):7.2f} ms   p99 {p(values, 99):7.2f} ms")
    names = list(results)
    inbox = p(results[names[0]], 99) / p(results[names[1]], 99)
    case_one = p(results[names[2]], 99) / p(results[names[3]], 99)
    case_three = p(results[names[2]], 99) / p(results[names[6]], 99)
    print(f"ratio p99 inbox/json={inbox:.2f} case/json={case_one:.2f} case/json3={case_three:.2f} (target <= 2)")


if __name__ == "__main__":
    asyncio.run(main())
