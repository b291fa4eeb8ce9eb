"""Fault (d): the API process restarted (SIGTERM, then SIGKILL FAHRPLAN_FAULT_API_KILLS times, 1 in CI)
while clients fire transitions with Idempotency-Keys and retry after connection errors or 503 with the same key.

SIGTERM lets requests in flight finish (uvicorn graceful shutdown). Afterwards nothing is half
applied: every wanted transition is in case_events exactly once with its requester's actor and
comment, no key was applied twice, and the read model equals the workflows' snapshots.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
import pytest

from tests.faults.outage_checks import check_consistency, check_problem_503
from tests.faults.outage_support import Stack, client_loop, create_case, stop

pytestmark = pytest.mark.faults

CLIENTS, CASES_PER_CLIENT = 4, 2
KILLS = int(os.environ.get("FAHRPLAN_FAULT_API_KILLS", "1"))  # CI; the full run kills it more often


async def test_api_restart_under_load(tmp_path):
    stack = Stack(tmp_path, f"sqlite:///{tmp_path / 'fahrplan.db'}")
    try:
        await stack.start_temporal()
        stack.migrate()
        worker = stack.start_worker()
        api = await stack.start_api()
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http:
            cases = [await create_case(http) for _ in range(CLIENTS * CASES_PER_CLIENT)]
        stop_clients, log = asyncio.Event(), []
        clients = [
            asyncio.create_task(client_loop(stack.base_url, i, cases[i::CLIENTS], stop_clients, log))
            for i in range(CLIENTS)
        ]
        await asyncio.sleep(2)

        # SIGTERM with requests in flight: the worker is paused, so each client's request waits for Temporal.
        os.kill(worker.pid, signal.SIGSTOP)
        await asyncio.sleep(1.5)
        waiting = [s for s in log if s.current is not None]
        attempts_before = {id(s): len(s.attempts) for s in waiting}
        api.send_signal(signal.SIGTERM)
        await asyncio.sleep(1)
        assert api.poll() is None, "the API must wait for the requests in flight"
        os.kill(worker.pid, signal.SIGCONT)
        resumed = time.monotonic()
        await asyncio.to_thread(api.wait, 30)
        drained = time.monotonic() - resumed
        assert api.returncode in (0, -signal.SIGTERM), stack.log("api")  # uvicorn re-raises the signal once done
        finished = [s.attempts[attempts_before[id(s)]] for s in waiting]
        assert len(waiting) == CLIENTS and all(a.status == 200 for a in finished), [a.status for a in finished]
        api = await stack.start_api()

        # SIGKILL under load: requests die at any point between the request row and the response row.
        for _ in range(KILLS):
            await asyncio.sleep(1.5)
            stop(api, signal.SIGKILL)
            await asyncio.sleep(0.5)
            api = await stack.start_api()
        await asyncio.sleep(2)
        stop_clients.set()
        await asyncio.wait_for(asyncio.gather(*clients), timeout=120)

        statuses = [a.status for s in log for a in s.attempts]
        assert set(statuses) <= {200, 503, None}, statuses
        check_problem_503(a for s in log for a in s.attempts)
        retried = [s for s in log if len(s.attempts) > 1]
        assert any(a.status is None for s in retried for a in s.attempts), "the kills must hit clients"
        totals = await check_consistency(stack, log)
        print(
            f"\nAPI restarts: {totals}; SIGTERM: {len(waiting)} requests in flight all answered 200, API exited "
            f"{drained:.2f}s after Temporal answered; {len(retried)} requests retried with their key "
            f"({statuses.count(None)} connection errors, {statuses.count(503)} × 503)"
        )
    except BaseException:
        for name in ("api", "worker"):
            print(f"--- {name}.log\n{stack.log(name)}")
        raise
    finally:
        stack.close()
