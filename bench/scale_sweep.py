"""The scale bench's last step: the worker's operator sweep (worker/operator_sweep.py) over the
whole population. A sweep of a quiet system is one visibility list; then some cases are terminated
as an operator would in the UI, and the bench waits for the worker's own sweep (every
`worker.sweeps.SWEEP_SECONDS`) to close them in the read model, without anyone reading them."""

from __future__ import annotations

import asyncio
import random
import time

from sqlalchemy import func, select

from bench.scale_queries import quantiles, timed
from persistence import models as m
from persistence.open import open_database
from worker.operator_sweep import OperatorSweep
from worker.sweeps import SWEEP_SECONDS

TERMINATED = 50  # Neuantrag cases: no child workflow ends with them


async def sweep_bench(client, settings, samples: int = 20, terminated: int = TERMINATED) -> bool:
    """Prints the quiet sweep's p50/p99, how long the worker took to close the terminated cases
    and a sweep's time afterwards; False when the worker did not close them all in time."""
    db = open_database(settings)
    try:

        async def one_sweep() -> None:  # a fresh sweep looks back 7 days, as after a worker's start
            assert await OperatorSweep(settings.task_queue).sweep(client, db) == [], "a quiet sweep fixed something"

        quiet = await timed(samples, one_sweep)
        q50, q99 = quantiles(quiet)
        async with db.unit_of_work(read_only=True) as session:
            open_ids = (
                await session.execute(
                    select(m.Case.case_id, m.Case.workflow_id).where(
                        m.Case.process == "neuantrag", m.Case.final.is_(False)
                    )
                )
            ).all()
        chosen = random.Random(11).sample(open_ids, min(terminated, len(open_ids)))
        ids = [case_id for case_id, _ in chosen]
        print(f"\noperator sweep: a quiet one p50 {q50:.1f} ms p99 {q99:.1f} ms ({samples} sweeps)", flush=True)
        start = time.perf_counter()
        await asyncio.gather(*(client.get_workflow_handle(wid).terminate(reason="bench") for _, wid in chosen))
        closed, deadline = 0, start + 3 * SWEEP_SECONDS
        while time.perf_counter() < deadline:
            async with db.unit_of_work(read_only=True) as session:
                closed = await session.scalar(
                    select(func.count()).where(m.Case.case_id.in_(ids), m.Case.closed_reason == "terminiert")
                )
            if closed == len(ids):
                break
            await asyncio.sleep(0.5)
        waited = time.perf_counter() - start
        after = await timed(samples, one_sweep)
        a50, a99 = quantiles(after)
        print(
            f"  {len(ids)} cases terminated: the worker had closed {closed} of them after {waited:.1f} s "
            f"(it sweeps every {SWEEP_SECONDS:.0f} s); a sweep then p50 {a50:.1f} ms p99 {a99:.1f} ms",
            flush=True,
        )
        return closed == len(ids)
    finally:
        await db.dispose()
