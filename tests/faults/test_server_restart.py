"""Fault (b): the file-persisted Temporal dev server stopped (SIGTERM, and SIGKILL) and
started again mid-run, with durable timers falling due while it is down.

The policy sets `clearing_kontakt_nach` (R5) to a few seconds. A fifth of the cases is
parked in clearing_offen just before the server stops; the server stays down until their
`kontaktaufnahme_faellig` timers are due, then starts again on the same file and port.
The rest of the cases run their paths through the outage (clients retry after errors with
the same Idempotency-Key). Afterwards: the same checks as for the worker kill, and every
timer that fell due while the server was down fired exactly once, after the restart.

    .venv/bin/pytest tests/faults/test_server_restart.py -s          # CI size (40 cases)
    FAHRPLAN_FAULT_CASES=200 .venv/bin/pytest tests/faults/test_server_restart.py -s
    .venv/bin/python tests/faults/test_server_restart.py --cases 200 [--signal TERM|KILL]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # as a script: the repository root, not this folder, on sys.path
    sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

import argparse
import asyncio
import signal
import tempfile
import time
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from persistence import models as m
from persistence.db import as_utc
from tests.faults.driver import (
    TIMER,
    CaseRun,
    Driver,
    check,
    contract_problems,
    events_by_case,
    plan,
    summary,
    utc,
    verdict,
)
from tests.faults.harness import Stack, case_count, log_tail, stack

pytestmark = pytest.mark.faults
STOP_AT = 0.30  # share of the requested transitions answered before the stop


def timer_seconds(cases: int) -> int:
    """FAHRPLAN_POLICY__CLEARING_KONTAKT_NACH: long enough to park every parked case before the stop."""
    return max(12, cases // 10)  # 12 s: parking takes several seconds on a loaded 2-core machine


async def _deadlines(s: Stack, runs: list[CaseRun]) -> dict[str, datetime | None]:
    """The pending timer of each parked case (None: it has fired already)."""
    async with s.db.unit_of_work(read_only=True) as session:
        rows = await session.scalars(select(m.Case).where(m.Case.case_id.in_([r.case_id for r in runs if r.case_id])))
        return {c.case_id: as_utc(c.deadline) for c in rows}


async def _timers_fired(s: Stack, runs: list[CaseRun], seconds: float) -> dict[str, datetime]:
    """When each parked case's timer event was recorded (waits up to `seconds` for all)."""
    deadline = time.monotonic() + seconds
    while True:
        events = await events_by_case(s)
        fired = {
            r.case_id: as_utc(e.occurred_at) for r in runs for e in events.get(r.case_id, []) if e.trigger == TIMER
        }
        if len(fired) == len(runs) or time.monotonic() > deadline:
            return fired
        await asyncio.sleep(0.25)


async def scenario(workdir: Path, cases: int, sig: int) -> tuple[tuple[list[str], list[str]], str]:
    env = {"FAHRPLAN_POLICY__CLEARING_KONTAKT_NACH": f"PT{timer_seconds(cases)}S"}
    async with stack(workdir, env) as s:
        runs = plan(cases, parked=max(2, cases // 5))
        parked = [r for r in runs if r.path.parked]
        total = sum(len(r.path.steps) for r in runs if not r.path.parked)
        driver = Driver(s.http, run_id=uuid.uuid4().hex[:8])
        began = time.monotonic()
        clients = asyncio.gather(*(driver.run_case(r) for r in runs))
        try:
            await driver.until(int(total * STOP_AT))
            driver.park.set()
            while not all(r.done or r.failed for r in parked) and not clients.done():
                await asyncio.sleep(0.02)
            dues = await _deadlines(s, parked)
            ops, stopped, stopped_at = set(driver.sending), time.monotonic(), utc()
            s.server.stop(sig)
            last_due = max((d for d in dues.values() if d is not None), default=utc())
            await asyncio.sleep(max((last_due - utc()).total_seconds() + 1.0, 1.0))
            restarted_at = utc()
            s.server.start()
            await s.server.ready(s.settings)
            down = time.monotonic() - stopped
            recovery = asyncio.create_task(driver.drained(ops, stopped))
            await clients
        finally:
            clients.cancel()
        seconds = time.monotonic() - began
        recovered = await recovery
        fired = await _timers_fired(s, parked, seconds=30)
        problems = await check(s, runs, timers=True)
        while_down = [r for r in parked if dues.get(r.case_id) and stopped_at < dues[r.case_id] < restarted_at]
        if not while_down:
            problems.append("no timer fell due while the server was down")
        for r in while_down:
            when = fired.get(r.case_id)
            if when is None or when < restarted_at - timedelta(seconds=0.5):
                problems.append(f"case {r.index}: timer due {dues[r.case_id]:%H:%M:%S.%f} while down, recorded {when}")
        late = [(fired[r.case_id] - restarted_at).total_seconds() for r in while_down if r.case_id in fired]
        if not s.worker.alive():
            problems.append("worker process died:\n" + log_tail(s.worker.log))
        text = summary(
            f"server {signal.Signals(sig).name}",
            runs,
            driver,
            seconds,
            in_flight_at_stop=len(ops),
            down_s=round(down, 1),
            recovered_s=round(recovered, 1),
            timers_due_while_down=f"{len(while_down)}/{len(parked)}",
            timers_fired_after_restart_s=f"{min(late, default=0):.1f}-{max(late, default=0):.1f}",
        )
        return (contract_problems(runs), problems), text


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
async def test_server_restarted_mid_run(tmp_path, sig):
    (contract, state), text = await scenario(tmp_path, case_count(), sig)
    print("\n" + text)
    assert not contract and not state, verdict(contract, state)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--signal", choices=["TERM", "KILL"], action="append")
    args = parser.parse_args()
    failed = False
    for name in args.signal or ["TERM", "KILL"]:
        with tempfile.TemporaryDirectory(prefix="fahrplan-faults-") as tmp:
            (contract, state), report = asyncio.run(scenario(Path(tmp), args.cases, getattr(signal, f"SIG{name}")))
        print(report)
        print(verdict(contract, state) or "all checks held")
        failed = failed or bool(contract or state)
    sys.exit(1 if failed else 0)
