"""`python -m bench.bare_process`: the bare path's worker as its own OS process, configured from
FAHRPLAN_* like `fahrplan worker` (its task queue, address, data dir and so the payload codec),
for the benches that run Fahrplan's worker as `fahrplan worker` (`--worker-process`): each path's
worker then has a process and an interpreter lock of its own, as in production, and the bench
process holds only the clients."""

from __future__ import annotations

import asyncio

from bench.bare import bare_worker
from bench.environment import cancel_on_sigterm
from runtime import aio, heap
from runtime.settings import Settings
from runtime.temporal import connect
from worker import payload_walk


async def serve(settings: Settings) -> None:
    client = await connect(settings)
    payload_walk.install()  # as in Fahrplan's worker, so the two runs walk their payloads alike
    heap.settle()
    async with bare_worker(client, settings.task_queue, settings.workflow_sandbox):
        await asyncio.Event().wait()  # until SIGTERM cancels it


def main() -> None:
    settings = Settings()
    try:
        aio.run(cancel_on_sigterm(serve(settings)))
    except asyncio.CancelledError:
        pass


if __name__ == "__main__":
    main()
