"""The scale bench's workload: a reproducible mix of open cases across all processes, created
through the HTTP API, and the worker's memory and CPU while they run."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from runtime.settings import TokenUser
from runtime.temporal import workflow_id

ROLES = ("egs", "jobcoach", "ifk", "teamleitung", "leistung")
TOKENS = {f"scale-{r}": TokenUser(user=f"scale-{r}", roles=[r]) for r in ROLES}
PERSON = {"vorname": "Bench", "nachname": "Skala"}
SOON = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
PLAN = {
    "ziel": "Eine feste Stelle in der Lagerlogistik finden.",
    "schritte": [{"was": "Jede Woche zwei Bewerbungen schreiben.", "wer": "elb", "bis": "2031-03-31"}],
}

# A case whose legal start lies before 1 July 2026 runs under the 2023 law (R61); only there is
# there a Schlichtung (R62), so the cases that reach it are opened so.
LAW_2023 = {"rechtlicher_beginn": "2026-06-30"}
# (process, weight %, opening role, [(trigger, role, data), ...][, more of the start's body]);
# facts come from start_facts
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
    ("kooperationsplan", 2, "ifk", [ANALYSE, ("schlichtung_beantragt", "ifk", {"initiiert_von": "elb"})], LAW_2023),
    ("gruppencoaching", 4, "ifk", []),
    ("gruppencoaching", 3, "ifk", [UEBERGABE]),
    ("gruppencoaching", 2, "ifk", [UEBERGABE, ("teilnahme_begonnen", "ifk", {})]),
    ("gruppencoaching", 1, "ifk", [UEBERGABE, ("probezeit_begonnen", "ifk", {})]),
]


def start_facts(process: str, rng: random.Random) -> dict:
    if process == "neuantrag":
        return {"antragsweg": "persoenlich"}
    if process == "rechtskreiswechsel":  # far enough ahead to wait in vorgemerkt (R30)
        ende = date.today() + timedelta(days=rng.randint(200, 700))
        return {"alg1_ende": ende.isoformat(), "standort": rng.choice(["Gevelsberg", "Witten"])}
    if process == "gruppencoaching":
        return {"jobturbo": rng.random() < 0.1}
    return {}


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


class Cases:
    def __init__(self, http: httpx.AsyncClient):
        self.http = http
        self.made: list[tuple[str, str]] = []  # (process, case_id)
        self.failed: Counter[str] = Counter()
        self.seconds = 0.0  # spent creating

    async def post(self, path: str, role: str, body: dict) -> dict:
        r = await self.http.post(path, json=body, headers={"Authorization": f"Bearer scale-{role}"})
        if r.status_code not in (200, 201):
            raise RuntimeError(
                f"POST {path} {body.get('trigger', body.get('process'))}: {r.status_code} {r.text[:300]}"
            )
        return r.json()

    async def make(self, profile: tuple, rng: random.Random) -> None:
        process, _, opener, steps, *start = profile
        body = {"process": process, "person": PERSON, "facts": start_facts(process, rng), **(start[0] if start else {})}
        case = await self.post("/cases", opener, body)
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
                    print(
                        f"  {len(self.made):6d}/{total} cases, {rate:5.1f}/s, worker RSS "
                        f"{memory(worker_pid)['VmRSS']:.0f} MB, load {load()}",
                        flush=True,
                    )

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
                await cases.post(
                    f"/cases/{case_id}/transitions",
                    "ifk",
                    {"trigger": "fachkraft_beteiligt", "data": {"fachkraft": "scale-ifk"}},  # a known staff id
                )
                fired += 1

    await asyncio.gather(*(one(i, p, c) for i, (p, c) in enumerate(chosen)))
    return len(chosen), fired


async def idle_memory(client, pid: int) -> dict[str, float]:
    await settle(pid)
    idle = memory(pid)
    counted = (await client.count_workflows('ExecutionStatus="Running"')).count
    print(
        f"worker memory, {counted} running workflows, idle: RSS {idle['VmRSS']:.0f} MB, "
        f"peak {idle['VmHWM']:.0f} MB; load {load()}",
        flush=True,
    )
    return idle
