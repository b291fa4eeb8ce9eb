"""Load and checks for the fault tests: neuantrag cases driven through the HTTP API by
clients that keep the documented contract (after a 5xx or a lost connection: the same
request again with the same Idempotency-Key), and the checks afterwards.

Checks, per case: the expected end state; every requested transition exactly once in
case_events, sequences 0..n without gaps; read model (cases.state/version/final/facts)
equal to the workflow's `snapshot` query.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import httpx
from sqlalchemy import select

from persistence import models as m
from tests.faults.harness import Stack
from workflows.messages import CaseSnapshot

PERSON = {"vorname": "Fault", "nachname": "Test"}  # invented
TERMIN = {"termin": "2031-03-03T09:00:00+00:00"}
TIMER = "kontaktaufnahme_faellig"  # R5: clearing_offen too long; fires once per entry (clearing_kontakt_nach)
ENTERS_CLEARING_OFFEN = ("an_clearing_uebergeben", "erneut_eingeladen")


@dataclass(frozen=True)
class Path:
    name: str
    facts: dict
    steps: tuple[tuple[str, str, dict], ...]  # (trigger, role, data)
    end: str
    parked: bool = False  # waits for the go-ahead, then stays in clearing_offen until its timer fires

    def timers_allowed(self) -> int:
        return sum(1 for trigger, _, _ in self.steps if trigger in ENTERS_CLEARING_OFFEN)


def _s(trigger: str, role: str, data: dict | None = None) -> tuple[str, str, dict]:
    return (trigger, role, data or {})


WARM = _s("an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
PERSOENLICH, ONLINE = {"antragsweg": "persoenlich"}, {"antragsweg": "online"}
PATHS = (
    Path(
        "gruppencoaching_ifk",
        PERSOENLICH,
        (
            WARM,
            _s("clearingtermin_vereinbart", "jobcoach", TERMIN),
            _s("gruppencoaching_zugesagt", "jobcoach"),
            _s("leistung_bewilligt", "leistung"),
            _s("gruppencoaching_beendet", "jobcoach"),
        ),
        "an_ifk_uebergeben",
    ),
    Path(
        "entzogen_ifk",
        ONLINE,
        (
            _s("identitaet_bestaetigt", "egs"),
            WARM,
            _s("kontaktversuch_gescheitert", "jobcoach", {"art": "telefon"}),
            _s("kontaktversuch_gescheitert", "jobcoach", {"art": "telefon"}),
            _s("kontaktversuch_gescheitert", "jobcoach", {"art": "schriftlich"}),
            _s("leistung_bewilligt", "leistung"),
        ),
        "an_ifk_uebergeben",
    ),
    Path(
        "reha",
        PERSOENLICH,
        (WARM, _s("als_rehabilitand_erfasst", "jobcoach"), _s("leistung_bewilligt", "leistung")),
        "an_ifk_reha_uebergeben",
    ),
    Path(
        "eigener_plan_offen",
        PERSOENLICH,
        (
            WARM,
            _s("clearingtermin_vereinbart", "jobcoach", TERMIN),
            _s("eigenen_plan_erfasst", "jobcoach"),
            _s("erneut_eingeladen", "jobcoach"),
            _s("clearingtermin_vereinbart", "egs", TERMIN),
        ),
        "clearing_terminiert",
    ),
    Path(
        "alg1_zurueckgenommen",
        PERSOENLICH,
        (
            WARM,
            _s("alg1_bezug_erfasst", "jobcoach", {"alg1_ende": date(2031, 6, 30).isoformat()}),
            _s("antrag_zurueckgenommen", "egs"),
        ),
        "beendet",
    ),
    Path(
        "integriert",
        PERSOENLICH,
        (WARM, _s("gruppencoaching_abgelehnt", "jobcoach"), _s("arbeit_aufgenommen", "egs")),
        "integriert",
    ),
)
PARKED = Path("geparkt", PERSOENLICH, (WARM,), "clearing_offen", parked=True)


@dataclass
class CaseRun:
    path: Path
    index: int
    case_id: str | None = None
    done: int = 0  # requested transitions answered 200
    failed: str | None = None


@dataclass
class Driver:
    """Concurrent clients; counts answers, retries and what was in flight at a fault."""

    http: httpx.AsyncClient
    run_id: str
    concurrency: int = 16
    give_up_after: float = 180.0
    transitions: int = 0
    creates: int = 0
    retries: Counter = field(default_factory=Counter)
    in_flight: dict[int, float] = field(default_factory=dict)  # requests not answered yet (sent or queued here)
    sending: set[int] = field(default_factory=set)  # of those, the ones inside the API right now
    park: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._ids = itertools.count()
        self._gate = asyncio.Semaphore(self.concurrency)

    async def call(self, url: str, body: dict, role: str, key: str, gated: bool = True) -> tuple[httpx.Response, int]:
        """The answer and how many attempts it took; `gated=False` skips the queue of the concurrency limit."""
        op = next(self._ids)
        self.in_flight[op] = time.monotonic()
        started, pause, attempts, r = time.monotonic(), 0.2, 0, None
        try:
            while True:
                attempts += 1
                try:
                    async with self._gate if gated else contextlib.nullcontext():
                        self.sending.add(op)
                        try:
                            headers = {"Authorization": f"Bearer fault-{role}", "Idempotency-Key": key}
                            r = await self.http.post(url, json=body, headers=headers)
                        finally:
                            self.sending.discard(op)
                    if r.status_code < 500:
                        return r, attempts
                    self.retries[str(r.status_code)] += 1
                except httpx.TransportError as error:
                    self.retries[type(error).__name__] += 1
                if time.monotonic() - started > self.give_up_after:  # the caller reports the last answer
                    if r is None:
                        raise AssertionError(f"{url}: no answer but errors for {self.give_up_after:.0f}s")
                    return r, attempts
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
        finally:
            del self.in_flight[op]

    async def drained(self, ops: set[int], since: float) -> float:
        """Seconds from `since` until every operation in `ops` has its answer."""
        while ops & self.in_flight.keys():
            await asyncio.sleep(0.05)
        return time.monotonic() - since

    async def run_case(self, run: CaseRun) -> None:
        path = run.path
        body = {"process": "neuantrag", "person": PERSON, "facts": path.facts}
        r, attempts = await self.call("/cases", body, "egs", f"{self.run_id}-{run.index}")
        if r.status_code != 201:
            run.failed = f"create: {r.status_code} after {attempts} attempts {r.text[:300]}"
            return
        self.creates += 1
        run.case_id = r.json()["case_id"]
        for n, (trigger, role, data) in enumerate(path.steps):
            if path.parked:
                await self.park.wait()
            r, attempts = await self.call(
                f"/cases/{run.case_id}/transitions",
                {"trigger": trigger, "data": data},
                role,
                f"{self.run_id}-{run.index}-{n}",
                gated=not path.parked,
            )
            if r.status_code != 200:
                run.failed = (
                    f"{trigger} (step {n}): {r.status_code} after {attempts} attempts"
                    f" (same Idempotency-Key) {r.text[:200]}"
                )
                return
            run.done += 1
            self.transitions += 1
        if run.done and r.json()["state"]["name"] != path.end:
            run.failed = f"answered state {r.json()['state']['name']}, expected {path.end}"

    async def until(self, transitions: int, seconds: float = 600) -> None:
        deadline = time.monotonic() + seconds
        while self.transitions < transitions:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.transitions} of {transitions} transitions within {seconds:.0f}s")
            await asyncio.sleep(0.02)


def plan(cases: int, parked: int = 0) -> list[CaseRun]:
    runs = [CaseRun(PATHS[i % len(PATHS)], i) for i in range(cases - parked)]
    return runs + [CaseRun(PARKED, len(runs) + i) for i in range(parked)]


async def events_by_case(stack: Stack) -> dict[str, list[m.CaseEvent]]:
    grouped: dict[str, list[m.CaseEvent]] = defaultdict(list)
    async with stack.db.unit_of_work(read_only=True) as session:
        for event in await session.scalars(select(m.CaseEvent).order_by(m.CaseEvent.case_id, m.CaseEvent.sequence)):
            grouped[event.case_id].append(event)
    return grouped


CATCH_UP_SECONDS = 45  # record_transition's start-to-close timeout (30 s) plus its first retry


def contract_problems(runs: list[CaseRun]) -> list[str]:
    """Requests a client could not complete by repeating them: the API contract was broken."""
    return [f"case {r.index} ({r.path.name}): {r.failed}" for r in runs if r.failed]


async def check(stack: Stack, runs: list[CaseRun], timers: bool = False, attempts: int = 3) -> list[str]:
    """Every problem with states, audit trail and read model, as text; empty when all checks held."""
    problems = []
    started = [r for r in runs if r.case_id]
    if len(started) != len(runs):
        problems.append(f"{len(runs) - len(started)} cases never started")
    events = await events_by_case(stack)
    async with stack.db.unit_of_work(read_only=True) as session:
        rows = {c.case_id: c for c in await session.scalars(select(m.Case))}
    for run in started:
        problems += _check_events(run, events.get(run.case_id, []), rows.get(run.case_id), timers)
    gate = asyncio.Semaphore(8)

    async def compare(run: CaseRun) -> list[str]:
        row = rows.get(run.case_id)
        if row is None:
            return []  # reported above
        attempt, catching_up = 0, time.monotonic() + CATCH_UP_SECONDS
        while True:  # a timer may move a case between reading the row and the query
            async with gate:
                snap = await stack.client.get_workflow_handle(row.workflow_id).query(
                    "snapshot", result_type=CaseSnapshot
                )
            found = _diverges(row, snap)
            # A workflow behind its recorded transition waits for the activity's completion, which a killed
            # server lost: the activity times out, runs again, finds the event written, and the workflow catches up.
            behind = snap.sequence < row.version and time.monotonic() < catching_up
            attempt += 0 if behind else 1
            if not found or (attempt >= attempts and not behind):
                return [f"case {run.index} ({run.path.name}): read model {p}" for p in found]
            await asyncio.sleep(1.0 if behind else 0.5)
            async with stack.db.unit_of_work(read_only=True) as session:
                row = await session.get(m.Case, run.case_id)
        return []

    for found in await asyncio.gather(*(compare(r) for r in started)):
        problems += found
    return problems


def _check_events(run: CaseRun, events: list[m.CaseEvent], row: m.Case | None, timers: bool) -> list[str]:
    name = f"case {run.index} ({run.path.name})"
    if row is None:
        return [f"{name}: no read-model row"]
    problems = []
    sequences = [e.sequence for e in events]
    if sequences != list(range(len(events))):
        problems.append(f"{name}: sequences {sequences} are not 0..{len(events) - 1}")
    counts = Counter(e.trigger for e in events)
    expected = Counter(t for t, _, _ in run.path.steps) + Counter({"fall_angelegt": 1})
    timer_count = counts.pop(TIMER, 0)
    if counts != expected:
        problems.append(f"{name}: events {dict(counts)}, expected {dict(expected)}")
    if run.path.parked and timer_count != 1:
        problems.append(f"{name}: {TIMER} recorded {timer_count} times, expected once")
    elif timer_count > (run.path.timers_allowed() if timers else 0):
        problems.append(f"{name}: {TIMER} recorded {timer_count} times")
    if row.state != run.path.end:
        problems.append(f"{name}: state {row.state}, expected {run.path.end}")
    if events and row.version != events[-1].sequence:
        problems.append(f"{name}: version {row.version}, last event {events[-1].sequence}")
    return problems


def _diverges(row: m.Case, snap: CaseSnapshot) -> list[str]:
    found = []
    for what, ours, theirs in (
        ("state", row.state, snap.state),
        ("version", row.version, snap.sequence),
        ("final", row.final, snap.final),
        ("facts", row.facts, snap.facts),
    ):
        if ours != theirs:
            found.append(f"{what} {ours!r} != workflow {theirs!r}")
    return found


def utc(seconds_ago: float = 0.0) -> datetime:
    return datetime.fromtimestamp(time.time() - seconds_ago, UTC)


def summary(title: str, runs: list[CaseRun], driver: Driver, seconds: float, **numbers) -> str:
    extra = " ".join(f"{k}={v}" for k, v in numbers.items())
    retries = sum(driver.retries.values())
    return (
        f"{title}: cases={len(runs)} creates={driver.creates} transitions={driver.transitions} "
        f"retries={retries} {dict(driver.retries)} refused={len(contract_problems(runs))} seconds={seconds:.1f} {extra}"
    )


def verdict(contract: list[str], state: list[str]) -> str:
    """The failure message: both kinds of problems, each under its heading."""
    parts = []
    if contract:
        parts.append(f"{len(contract)} requests failed although repeated with the same Idempotency-Key:")
        parts += contract[:20]
    if state:
        parts.append(f"{len(state)} problems with states, case_events or the read model:")
        parts += state[:30]
    return "\n".join(parts)
