"""Fahrplan at scale: 10,000 open cases across all processes.

The run behind bench/scale.py (usage and output there, details in bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import httpx

from bench.environment import (
    dev_server_with_ui,
    fahrplan_env,
    fahrplan_process,
    free_port,
    fresh_database,
    healthy,
    wait_until,
)
from bench.scale_queries import list_bench, quantiles, reconcile_bench, visibility_bench
from bench.scale_sweep import sweep_bench
from bench.scale_workload import TOKENS, Cases, idle_memory, load, memory, settle, touch
from runtime.settings import Settings
from runtime.temporal import connect, register_search_attributes
from workflows import search_attributes


async def bench(args, workdir: Path, address: str, ui_url: str, database_url: str, server_pid: int) -> float:
    settings = Settings(
        _env_file=None,
        temporal_address=address,
        database_url=database_url,
        data_dir=workdir,
        task_queue=f"fahrplan-scale-{uuid.uuid4().hex[:8]}",
        api_tokens=TOKENS,
    )
    client = await wait_until(lambda: connect(settings), "Temporal dev server")  # writes the codec key file first
    await register_search_attributes(client, settings.temporal_namespace, search_attributes.ALL)
    api_port = free_port()
    env = fahrplan_env(settings, api_port, args.max_cached)
    with fahrplan_process("worker", env, workdir) as worker, fahrplan_process("api", env, workdir) as api:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{api_port}/api/v1",
            timeout=180,
            limits=httpx.Limits(max_connections=args.concurrency * 2),
        ) as http:
            await wait_until(lambda: healthy({"the worker": worker, "the API": api}, http), "API", seconds=90)
            print(f"worker pid {worker.pid} at start: {memory(worker.pid)}; load {load()}", flush=True)
            cases = Cases(http)
            for checkpoint in sorted({n for n in args.checkpoints if n < args.cases}):
                await cases.create(checkpoint, args.cases, args.concurrency, worker.pid)
                print(f"\n--- checkpoint: {len(cases.made)} cases", flush=True)
                await idle_memory(client, worker.pid)
                await list_bench(api_port, database_url, max(args.samples // 3, 5))
                await visibility_bench(client, ui_url, max(args.visibility_samples // 3, 5))
                print(flush=True)
            seconds = await cases.create(args.cases, args.cases, args.concurrency, worker.pid)
            print(f"created {len(cases.made)} cases in {seconds:.0f} s ({len(cases.made) / seconds:.1f}/s)", flush=True)
            idle = await idle_memory(client, worker.pid)
            sampled, fired = await touch(client, cases, args.touch, args.concurrency)
            await settle(worker.pid)
            after = memory(worker.pid)
            print(
                f"worker memory after querying {sampled} workflows and {fired} transitions: "
                f"RSS {after['VmRSS']:.0f} MB, peak {after['VmHWM']:.0f} MB (target < 500 MB)",
                flush=True,
            )
            api_times, db_times, prebuilt_times = await list_bench(api_port, database_url, args.samples)
            await visibility_bench(client, ui_url, args.visibility_samples)
            reconciled = await reconcile_bench(client, settings, {"worker": worker.pid, "Temporal": server_pid})
            swept = await sweep_bench(client, settings)  # last: it terminates some cases
            final = memory(worker.pid)
    (a50, a99), (d50, d99), (p50, p99) = quantiles(api_times), quantiles(db_times), quantiles(prebuilt_times)
    print("\nsummary")
    print(
        f"  cases: {len(cases.made)} ({dict(Counter(p for p, _ in cases.made))}) in {seconds:.0f} s, "
        f"failed {dict(cases.failed) or 0}; load now {load()}"
    )
    print(
        f"  worker: idle RSS {idle['VmRSS']:.0f} MB, after touch {after['VmRSS']:.0f} MB, "
        f"at the end {final['VmRSS']:.0f} MB, peak {final['VmHWM']:.0f} MB; "
        f"max_cached_workflows {args.max_cached or 'default'}"
    )
    print(
        f"  GET /cases (all queries): api p50 {a50:.1f} ms p99 {a99:.1f} ms; db p50 {d50:.1f} ms p99 {d99:.1f} ms"
        f" (prebuilt statement: p50 {p50:.1f} ms p99 {p99:.1f} ms, api p99 / prebuilt p99 {a99 / p99:.2f})"
    )
    if reconciled:
        one, parallel = reconciled
        print(f"  fahrplan reconcile, sample: {one:.1f} s one case at a time, {parallel:.1f} s in parallel")
    else:
        print("  fahrplan reconcile: found differences in an idle population (see above)")
    if not swept:
        print("  operator sweep: the worker did not close every terminated case in time (see above)")
    return a99 / d99


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", "-n", type=int, default=10_000, help="open cases to create (N)")
    parser.add_argument("--concurrency", "-c", type=int, default=8, help="requests in flight while creating")
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL admin URL; a fresh database is created and dropped (default: temp SQLite)",
    )
    parser.add_argument("--samples", type=int, default=300, help="requests per list query")
    parser.add_argument("--visibility-samples", type=int, default=100, help="calls per visibility query")
    parser.add_argument("--touch", type=int, default=2000, help="workflows queried in the touch pass")
    parser.add_argument(
        "--checkpoints",
        type=lambda v: [int(x) for x in v.split(",") if x],
        default=[2500, 5000],
        help="case counts at which to measure on the way (fewer samples), e.g. 2500,5000",
    )
    parser.add_argument(
        "--max-cached",
        type=int,
        default=None,
        help="FAHRPLAN_WORKER_MAX_CACHED_WORKFLOWS for the worker (default: the setting's default)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # clean up on SIGTERM as on Ctrl-C
    if min(args.cases, args.concurrency, args.samples, args.visibility_samples) < 1:
        parser.error("--cases, --concurrency and the sample counts must be positive")
    with tempfile.TemporaryDirectory(prefix="fahrplan-scale-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        address, ui_url, server_pid = stack.enter_context(dev_server_with_ui(workdir))
        database_url = stack.enter_context(fresh_database(args.database_url, workdir))
        print(
            f"setup: temporal dev server file {workdir / 'temporal.db'} at {address}, UI {ui_url}; database "
            f"{'postgresql (fresh database)' if args.database_url else 'sqlite (temp file)'}; worker and API "
            f"each their own process; N={args.cases} C={args.concurrency}; {os.cpu_count()} cpus; load {load()}",
            flush=True,
        )
        try:
            ratio = asyncio.run(bench(args, workdir, address, ui_url, database_url, server_pid))
        except BaseException:
            for name in ("worker.log", "api.log", "temporal.log"):
                with contextlib.suppress(OSError):
                    tail = (workdir / name).read_text(errors="replace").splitlines()[-20:]
                    print(f"--- last lines of {name}:", *tail, sep="\n", file=sys.stderr)
            raise
    print(f"ratio={ratio:.2f}")
    return 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def entry() -> int:
    try:
        return main()
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
