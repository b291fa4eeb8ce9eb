"""Fault (a): `kill -9` of the worker process while updates and record_transition run.

Neuantrag cases on six paths (four end final, one stays open) are driven concurrently
through the HTTP API; at 25 % and 60 % of the transitions the worker process is killed
with SIGKILL and started again a second later. Clients retry after errors with the same
Idempotency-Key. Afterwards every case is in its expected state, every transition is in
case_events exactly once with contiguous sequences, and the read model equals each
workflow's `snapshot` query.

    .venv/bin/pytest tests/faults/test_worker_kill.py -s          # CI size (40 cases)
    FAHRPLAN_FAULT_CASES=200 .venv/bin/pytest tests/faults/test_worker_kill.py -s
    .venv/bin/python tests/faults/test_worker_kill.py --cases 200  # the same as a script
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # as a script: the repository root, not this folder, on sys.path
    sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

import argparse
import asyncio
import tempfile
import time
import uuid

import pytest

from tests.faults.driver import Driver, check, contract_problems, plan, summary, verdict
from tests.faults.harness import case_count, log_tail, stack

pytestmark = pytest.mark.faults
# Share of the requested transitions answered before each kill. Each kill stalls every case
# for about 20 s (tasks on the dead worker time out first), so the CI size kills once.
KILLS_AT = {"full": (0.25, 0.60), "ci": (0.40,)}
DOWN_SECONDS = 1.0


async def scenario(workdir: Path, cases: int) -> tuple[tuple[list[str], list[str]], str]:
    setup = time.monotonic()
    async with stack(workdir) as s:
        setup = time.monotonic() - setup
        runs = plan(cases)
        total = sum(len(r.path.steps) for r in runs)
        driver = Driver(s.http, run_id=uuid.uuid4().hex[:8])
        began = time.monotonic()
        clients = asyncio.gather(*(driver.run_case(r) for r in runs))
        recoveries, in_flight = [], []
        try:
            kills = KILLS_AT["full" if cases >= 100 else "ci"]
            for share in kills:
                await driver.until(int(total * share))
                ops, killed_at = set(driver.sending), time.monotonic()
                in_flight.append(len(ops))
                s.worker.kill()
                await asyncio.sleep(DOWN_SECONDS)
                s.worker.start()
                recoveries.append(asyncio.create_task(driver.drained(ops, killed_at)))
            await clients
        finally:
            clients.cancel()
        seconds = time.monotonic() - began
        recovered = [round(await r, 1) for r in recoveries]
        checking = time.monotonic()
        problems = await check(s, runs)
        checking = time.monotonic() - checking
        if not s.worker.alive():
            problems.append("worker process died:\n" + log_tail(s.worker.log))
        text = summary(
            "worker kill -9",
            runs,
            driver,
            seconds,
            kills=len(kills),
            in_flight_at_kill=in_flight,
            recovered_s=recovered,
            worker_starts=s.worker.starts,
            setup_s=round(setup, 1),
            check_s=round(checking, 1),
        )
        return (contract_problems(runs), problems), text


async def test_worker_killed_mid_transition(tmp_path):
    (contract, state), text = await scenario(tmp_path, case_count())
    print("\n" + text)
    assert not contract and not state, verdict(contract, state)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fahrplan-faults-") as tmp:
        (contract, state), report = asyncio.run(scenario(Path(tmp), args.cases))
    print(report)
    print(verdict(contract, state) or "all checks held")
    sys.exit(1 if contract or state else 0)
