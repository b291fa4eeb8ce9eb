"""`--worker-process`: the benches run each path's worker in a process of its own, as in
production, instead of in the bench process beside the clients (bench/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import uuid

import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench import bare
from bench.environment import Fatal, alive, dev_server, fresh_database, healthy, wait_until
from bench.flags import workers_described
from bench.measure import CpuProbe
from bench.paths import connected, start_workers


async def polled_by(client: Client, task_queue: str) -> list[str]:
    """The identities of the workers polling the queue's workflow tasks."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    return [poller.identity for poller in (await client.workflow_service.describe_task_queue(request)).pollers]


async def test_each_paths_worker_runs_in_a_process_of_its_own(tmp_path):
    with dev_server(tmp_path, None) as (address, _), fresh_database(None, tmp_path) as url:
        settings, client, db = await connected(tmp_path, address, url)
        probe, bare_queue = CpuProbe({}), f"bare-test-{uuid.uuid4().hex[:8]}"
        args = argparse.Namespace(worker_process=True, sandbox=False)
        try:
            async with contextlib.AsyncExitStack() as stack:
                procs = await start_workers(stack, args, settings, client, db, bare_queue, probe)
                assert probe.pids == {"worker": procs["worker"].pid, "bare-worker": procs["bare-worker"].pid}
                handle = await bare.start_case(client, bare_queue)
                await asyncio.wait_for(bare.fire(handle, 7), 60)  # answered by the bare worker's process

                async def fahrplan_polls() -> None:
                    alive(procs)
                    identities = await polled_by(client, settings.task_queue)
                    assert any(identity.startswith(f"{procs['worker'].pid}@") for identity in identities), identities

                await wait_until(fahrplan_polls, "Fahrplan's worker")
                await handle.signal(bare.BareCase.finish)
                assert await handle.result() == 7
            assert all(proc.poll() is not None for proc in procs.values())  # stopped with the bench
            assert probe.pids == {}
        finally:
            await db.dispose()


def test_a_worker_process_that_has_exited_ends_the_wait():
    done = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    done.wait()
    with pytest.raises(Fatal, match="exited with code 3"):
        alive({"a worker": done})


async def test_waiting_for_an_api_whose_process_has_exited_ends_at_once():
    done = subprocess.Popen([sys.executable, "-c", "raise SystemExit(4)"])
    done.wait()

    asked = []

    class Unreachable:
        async def get(self, path):
            asked.append(path)
            raise ConnectionRefusedError(path)  # what a dead API answers: wait_until would retry it

    with pytest.raises(Fatal, match="the API process exited with code 4"):
        await wait_until(lambda: healthy({"the API process": done}, Unreachable()), "API", seconds=30)
    assert asked == []  # the exit ended the wait before the API was asked, and nothing was retried


def test_the_setup_line_says_where_the_workers_run():
    assert workers_described(argparse.Namespace(worker_process=False)) == "workers in the bench process"
    assert workers_described(argparse.Namespace(worker_process=True)) == "workers in processes of their own"
