"""Scale-out: two `fahrplan worker` and two `fahrplan api` processes on PostgreSQL against one
Temporal server. Clients drive transitions through both APIs (each client starts on one and
moves to the other when its connection fails, retrying with the same Idempotency-Key); then one
worker and one API are killed with SIGKILL and stay dead. The survivors finish the work:
every wanted transition is in case_events exactly once, in order, with its requester, and the
read model equals each workflow's snapshot. The workers' metrics endpoints (one port each) show
who recorded what.

    .venv/bin/pytest tests/faults/test_scale_out.py -s                       # CI size
    FAHRPLAN_FAULT_SCALE_CASES=40 .venv/bin/pytest tests/faults/test_scale_out.py -s
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid

import httpx
import pytest

from tests.faults.harness import fresh_database
from tests.faults.outage_checks import check_consistency, check_problem_503
from tests.faults.outage_support import (
    BIN,
    TOKENS,
    Fatal,
    Sent,
    Stack,
    fire_until_done,
    free_port,
    next_request,
    stop,
    until,
)
from tests.ops_support import series

pytestmark = pytest.mark.faults
CASES = int(os.environ.get("FAHRPLAN_FAULT_SCALE_CASES", "8"))
CLIENTS = 4
LOAD_BEFORE_KILL, LOAD_AFTER_KILL = 3.0, 4.0


class Failover:
    """An HTTP client over several API processes: requests go to the current one; a connection
    error moves the client on to the next (the caller retries with the same key)."""

    def __init__(self, base_urls: list[str], first: int):
        self.clients = [httpx.AsyncClient(base_url=u, timeout=httpx.Timeout(90, connect=5)) for u in base_urls]
        self.current = first % len(base_urls)
        self.answered = [0] * len(base_urls)

    async def post(self, url: str, **kwargs) -> httpx.Response:
        index = self.current
        try:
            r = await self.clients[index].post(url, **kwargs)
        except httpx.TransportError:
            self.current = (index + 1) % len(self.clients)
            raise
        self.answered[index] += 1
        return r

    async def close(self) -> None:
        for c in self.clients:
            await c.aclose()


class ScaleStack(Stack):
    def spawn(self, name: str, **env: str) -> subprocess.Popen:
        command = [str(BIN / "fahrplan"), "api" if name.startswith("api") else "worker"]
        with open(self.workdir / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(
                command,
                env=self.env() | env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    async def api(self, name: str, port: int) -> subprocess.Popen:
        proc = self.spawn(name, FAHRPLAN_API_PORT=str(port), FAHRPLAN_LOG_FORMAT="text")

        async def healthy() -> None:
            if proc.poll() is not None:
                raise Fatal(f"{name} exited with {proc.returncode}")
            async with httpx.AsyncClient(timeout=2) as http:
                (await http.get(f"http://127.0.0.1:{port}/api/v1/healthz")).raise_for_status()

        await until(healthy, name)
        return proc


async def _recorded(port: int) -> float:
    """fahrplan_transitions_total of one worker (its metrics endpoint); -1 when it does not answer."""
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    except httpx.TransportError:
        return -1
    return sum(v for _, v in series(text).get("fahrplan_transitions_total", []))


async def _client(failover: Failover, number: int, cases: list[str], stop_event: asyncio.Event, log: list[Sent]):
    steps = dict.fromkeys(cases, 0)
    while not stop_event.is_set():
        for case_id in cases:
            body, token = next_request(case_id, steps[case_id], number)
            key = uuid.uuid4().hex
            sent = Sent(
                case_id, body["trigger"], body["data"].get("termin"), body["comment"], key, TOKENS[token]["user"]
            )
            log.append(sent)
            await fire_until_done(failover, sent, body, token, time.monotonic() + 150)
            if not sent.succeeded:
                return
            steps[case_id] += 1
            if stop_event.is_set():
                break


@pytest.fixture
def postgres_env(monkeypatch):
    monkeypatch.setenv("FAHRPLAN_FAULT_DB", "postgresql")


async def test_two_workers_and_two_apis_lose_one_each_and_finish_the_work(tmp_path, postgres_env):
    with fresh_database(tmp_path) as database_url:
        stack = ScaleStack(tmp_path, database_url)
        try:
            await stack.start_temporal()
            metrics_ports = [free_port(), free_port()]
            workers = [
                stack.spawn(
                    f"worker{i}",
                    FAHRPLAN_WORKER_METRICS_PORT=str(port),
                    FAHRPLAN_TEMPORAL_METRICS_PORT="0",
                    FAHRPLAN_LOG_FORMAT="text",
                )
                for i, port in enumerate(metrics_ports)
            ]
            api_ports = [free_port(), free_port()]
            apis = [await stack.api(f"api{i}", port) for i, port in enumerate(api_ports)]
            urls = [f"http://127.0.0.1:{p}/api/v1" for p in api_ports]
            cases = []
            for i in range(CASES):
                async with httpx.AsyncClient(base_url=urls[i % 2], timeout=30) as http:
                    r = await http.post(
                        "/cases",
                        json={
                            "process": "neuantrag",
                            "person": {"vorname": "Fall", "nachname": "Test"},
                            "facts": {"antragsweg": "persoenlich"},
                        },
                        headers={"Authorization": "Bearer fault-egs", "Idempotency-Key": uuid.uuid4().hex},
                    )
                    assert r.status_code == 201, r.text
                    cases.append(r.json()["case_id"])
            stop_clients, log = asyncio.Event(), []
            failovers = [Failover(urls, i) for i in range(CLIENTS)]
            clients = [
                asyncio.create_task(_client(failovers[i], i, cases[i::CLIENTS], stop_clients, log))
                for i in range(CLIENTS)
            ]
            began = time.monotonic()
            await asyncio.sleep(LOAD_BEFORE_KILL)
            before = [await _recorded(p) for p in metrics_ports]
            answered_before = [sum(f.answered[i] for f in failovers) for i in range(2)]
            stop(workers[0], signal.SIGKILL)
            stop(apis[0], signal.SIGKILL)
            killed = time.monotonic()
            done_at_kill = sum(s.succeeded for s in log)
            await asyncio.sleep(LOAD_AFTER_KILL)
            stop_clients.set()
            await asyncio.wait_for(asyncio.gather(*clients), timeout=240)
            seconds = time.monotonic() - began
            after_survivor = await _recorded(metrics_ports[1])
            for f in failovers:
                await f.close()

            statuses = [a.status for s in log for a in s.attempts]
            assert set(statuses) <= {200, 503, None}, statuses
            check_problem_503(a for s in log for a in s.attempts)
            assert all(n > 0 for n in answered_before), f"both APIs answered before the kill: {answered_before}"
            assert before[0] >= 0 and before[1] >= 0, before
            late = [a for s in log for a in s.attempts if a.status == 200 and a.started > killed]
            assert late, "the surviving API answered after the kill"
            assert after_survivor > before[1], "the surviving worker recorded transitions after the kill"
            assert workers[1].poll() is None and apis[1].poll() is None, "the survivors are still running"
            totals = await check_consistency(stack, log)
            print(
                f"\nscale-out on PostgreSQL: {totals} in {seconds:.1f}s; before the kills {done_at_kill} transitions,"
                f" answered per API {answered_before}, recorded per worker {before}; after killing worker0 and"
                f" api0 (SIGKILL): {len(late)} answers from api1, worker1 recorded {after_survivor - before[1]:.0f}"
                f" more; {statuses.count(None)} connection errors and {statuses.count(503)} × 503, all retried"
            )
        except BaseException:
            for name in ("api0", "api1", "worker0", "worker1"):
                print(f"--- {name}.log\n{stack.log(name)}")
            raise
        finally:
            stack.close()
