"""Fahrplan transitions/s through the HTTP API against a bare Temporal workflow.

The run behind bench/transitions.py (usage and output there, details in bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import uuid
from pathlib import Path

import uvicorn

from api.app import create_app
from api.usecases import UseCases
from bench import server_counters
from bench.environment import api_subprocess, environment, free_port, healthy, interruptible, wait_until
from bench.flags import (
    add_bare_variant_flag,
    add_record_flag,
    add_sandbox_flag,
    add_server_flags,
    add_worker_process_flag,
    check_record_flag,
    path_names,
    workers_described,
)
from bench.http import LeanClient
from bench.measure import CpuProbe, Run
from bench.paths import BarePath, FahrplanPath, UseCasePath, WorkflowPath, connected, start_workers
from bench.record_variant import recording
from runtime import heap, signing
from runtime.http_server import server_config

PATHS = ("bare", "workflow", "usecase", "fahrplan")  # the order of the output


async def bench(
    args: argparse.Namespace, workdir: Path, address: str, probe: CpuProbe, database_url: str
) -> dict[str, Run]:
    settings, client, db = await connected(workdir, address, database_url)
    api_port = free_port()
    wanted = args.paths
    queue = f"bare-bench-{uuid.uuid4().hex[:8]}"
    paths = {"bare": BarePath(client, queue, probe, args.bare_variant)} if "bare" in wanted else {}
    totals = {name: Run() for name in wanted}
    with contextlib.ExitStack() as stack:
        server = api_process = None
        if args.api == "subprocess":
            api_process = stack.enter_context(api_subprocess(settings, api_port, workdir))
            probe.pids["api"] = api_process.pid
        else:
            app = create_app(settings, client, db)
            config = server_config(app, settings, host="127.0.0.1", port=api_port, log_level="warning")
            server = uvicorn.Server(config)
            server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        try:
            async with contextlib.AsyncExitStack() as workers:
                bare_queue = paths["bare"].task_queue if "bare" in paths else None
                watched = await start_workers(workers, args, settings, client, db, bare_queue, probe)
                if api_process is not None:
                    watched = {"the API process": api_process, **watched}
                http = LeanClient("127.0.0.1", api_port, "/api/v1")
                workers.push_async_callback(http.aclose)
                serving = asyncio.create_task(server.serve()) if server else None
                await wait_until(lambda: healthy(watched, http), "API")
                if "fahrplan" in wanted:
                    paths["fahrplan"] = FahrplanPath(http, probe, client)
                if "usecase" in wanted:
                    paths["usecase"] = UseCasePath(http, probe, client, UseCases.build(db, client, settings).cases)
                if "workflow" in wanted:
                    paths["workflow"] = WorkflowPath(http, probe, client, signing.keys_from_settings(settings))
                warm = max(args.concurrency, 2)
                for path in paths.values():  # warm-up: connections, caches, first workflow tasks
                    await path.measure(warm, min(args.transitions, 3), args.concurrency)
                for r in range(args.rounds):
                    order = sorted(paths) if r % 2 == 0 else sorted(paths, reverse=True)
                    line = []
                    for name in order:
                        run = await paths[name].measure(args.cases, args.transitions, args.concurrency)
                        totals[name].add(run)
                        line.append(f"{name} {run.rate:.1f}/s")
                    print(f"round {r + 1}: " + ", ".join(line), flush=True)
                if server:
                    server.should_exit = True
                    await serving
        finally:
            await db.dispose()
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", "-n", type=int, default=50, help="cases per path and round (N)")
    parser.add_argument("--transitions", "-m", type=int, default=10, help="transitions per case (M)")
    parser.add_argument("--concurrency", "-c", type=int, default=10, help="transitions in flight (C)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; the order of the two paths alternates")
    parser.add_argument(
        "--api",
        choices=("subprocess", "inprocess"),
        default="subprocess",
        help="where uvicorn serves the API (the workers: --worker-process)",
    )
    parser.add_argument(
        "--db-file",
        nargs="?",
        const="",
        default="",
        metavar="PATH",
        help="the Temporal dev server's SQLite file, as `make run` persists it (default: a temp file)",
    )
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="run the dev server in memory instead (faster server, a harder bar for the ratio)",
    )
    add_sandbox_flag(parser)
    add_worker_process_flag(parser)
    add_server_flags(parser)
    add_record_flag(parser)
    parser.add_argument(
        "--paths",
        type=_paths,
        default="bare,fahrplan",
        help="which paths to drive, of " + ",".join(PATHS) + " (one path alone is for profiling; the ratio"
        " needs bare and fahrplan; workflow and usecase take the HTTP API away piece by piece)",
    )
    add_bare_variant_flag(parser)
    parser.add_argument(
        "--server-detail",
        action="store_true",
        help="also print each of the Temporal server's counters per transition, a column per path",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL admin URL; a fresh database is created and dropped (default: temp SQLite)",
    )
    args = parser.parse_args(argv)
    if args.transitions < 1 or args.cases < 1 or args.concurrency < 1 or args.rounds < 1:
        parser.error("--cases, --transitions, --concurrency and --rounds must be positive")
    check_record_flag(parser, args)

    heap.settle()  # set up like `fahrplan worker`: this process hosts the workers unless --worker-process
    with environment(args, "fahrplan-bench-") as env, recording(args.record):
        print(
            f"setup: {env.described}; api {args.api} (uvicorn), {workers_described(args)}, "
            f"{'sandboxed' if args.sandbox else 'unsandboxed'} workflows; bare path {args.bare_variant}; "
            f"record_transition as {args.record}; "
            f"N={args.cases} M={args.transitions} C={args.concurrency} rounds={args.rounds}; {os.cpu_count()} cpus",
            flush=True,
        )
        totals = env.run(bench(args, env.workdir, env.address, env.probe, env.database_url))
    probe = env.probe
    ran = {name: totals[name] for name in PATHS if name in totals and totals[name].transitions}
    if probe.read():
        for name, run in ran.items():
            print(f"{name + ':':9} {run.cpu_summary()}")
    for name, run in ran.items():
        if run.server:
            print(f"{name + ':':9} {server_counters.summary(run.server, run.transitions)}")
            if timed := server_counters.timings(run.server, run.transitions):
                print(f"{name + ':':9} {timed}")
    if args.server_detail:
        print("\n".join(server_counters.table({n: (r.server, r.transitions) for n, r in ran.items() if r.server})))
    for name, run in ran.items():
        print(f"{name + ':':9} {run.summary()}")
    if "bare" in ran:
        for name in ("workflow", "usecase"):
            if name in ran:
                print(f"ratio {name}/bare={ran[name].rate / ran['bare'].rate:.3f}")
        if "fahrplan" in ran:
            print(f"ratio={ran['fahrplan'].rate / ran['bare'].rate:.3f}")
    return 0


def _paths(text: str) -> list[str]:
    return path_names(text, PATHS)


def entry() -> int:
    return interruptible(main)
