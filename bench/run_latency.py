"""Latency of one Fahrplan transition through the HTTP API against one bare Temporal update.

The run behind bench/latency.py (usage and output there, details in bench/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import uuid
from pathlib import Path

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

LEVELS = (1, 20)  # concurrent clients (--levels)
# Timed transitions per path (--samples): at several clients the slowest 1 % come from a few
# stalls of a second or less that hold up every client at once, so the p99 of 1,000 samples is
# decided by one to four of them (docs/performance-log.md, "2026-12-06, fifth session").
SAMPLES_ONE, SAMPLES_MANY = 1000, 5000
STEPS = 10  # transitions per case, one after the other, as in transitions.py
PATHS = ("bare", "fahrplan")  # the ratio's two paths, measured in every round
# Paths measured beside them on request (--also), which take the HTTP API away piece by piece
# (bench/paths.py): where Fahrplan's latency and its spread come from. Not part of the ratio.
ALSO = ("workflow", "usecase")


def quantiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds (the method of bench.measure.Run.summary)."""
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return q[49] * 1000, q[98] * 1000


def describe(run: Run) -> str:
    """p50, p99 and the spread between them (p99/p50), samples and rate."""
    p50, p99 = quantiles(run.latencies)
    return (
        f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  p99/p50 {p99 / p50:.2f}  "
        f"({len(run.latencies)} samples, {run.rate:.1f}/s)"
    )


def load() -> str:
    with contextlib.suppress(OSError):
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return "load average unknown"


async def bench(
    args: argparse.Namespace, workdir: Path, address: str, probe: CpuProbe, database_url: str
) -> tuple[dict, dict]:
    """Per level and path the latencies of all rounds and each round's p99 (ms); settings and
    tokens as in bench.run_transitions.bench()."""
    settings, client, db = await connected(workdir, address, database_url)
    api_port = free_port()
    paths = {"bare": BarePath(client, f"bare-bench-{uuid.uuid4().hex[:8]}", probe, args.bare_variant)}
    names = driven(args.also)
    totals = {(c, name): Run() for c in args.levels for name in names}
    round_p99 = {(c, name): [] for c in args.levels for name in names}
    try:
        with api_subprocess(settings, api_port, workdir) as api_process:
            probe.pids["api"] = api_process.pid
            http = LeanClient("127.0.0.1", api_port, "/api/v1")
            async with contextlib.AsyncExitStack() as cleanup:
                workers = await start_workers(cleanup, args, settings, client, db, paths["bare"].task_queue, probe)
                watched = {"the API process": api_process, **workers}
                cleanup.push_async_callback(http.aclose)
                await wait_until(lambda: healthy(watched, http), "API")
                paths["fahrplan"] = FahrplanPath(http, probe, client)
                if "workflow" in names:
                    paths["workflow"] = WorkflowPath(http, probe, client, signing.keys_from_settings(settings))
                if "usecase" in names:
                    paths["usecase"] = UseCasePath(http, probe, client, UseCases.build(db, client, settings).cases)
                for c in sorted(args.levels, reverse=True):  # warm-up: connections, caches, first workflow tasks
                    for path in paths.values():
                        await path.measure(max(c, 2), 3, c)
                for r in range(args.rounds):
                    order = names if r % 2 == 0 else tuple(reversed(names))
                    line = []
                    for c in args.levels:
                        for name in order:
                            cases = max(c, -(-(samples_at(args, c) // args.rounds) // STEPS))
                            run = await paths[name].measure(cases, STEPS, c)
                            totals[c, name].add(run)
                            p50, p99 = quantiles(run.latencies)
                            round_p99[c, name].append(p99)
                            line.append(f"C={c} {name} p50 {p50:.1f} p99 {p99:.1f}")
                    print(f"round {r + 1} (ms): " + "; ".join(line) + f"  [{load()}]", flush=True)
    finally:
        await db.dispose()
    return totals, round_p99


def by_step(run: Run) -> tuple[str, str]:
    """Each step's p50/p99 (ms), and how many of the run's slowest 1 % (above its p99) each step
    has: a Fahrplan case changes its state in steps 0 and 1 (FahrplanPath.step), a bare one in none
    unless --bare-variant state-changes=K says so."""
    threshold = quantiles(run.latencies)[1] / 1000
    per_step: dict[int, list[float]] = {}
    slowest: dict[int, int] = {}
    for step, latency in zip(run.steps, run.latencies, strict=True):
        per_step.setdefault(step, []).append(latency)
        if latency > threshold:
            slowest[step] = slowest.get(step, 0) + 1
    times = "  ".join(
        f"{step}: {'/'.join(f'{q:.0f}' for q in quantiles(found))}"
        for step, found in sorted(per_step.items())
        if len(found) > 1
    )
    counts = "  ".join(f"{step}: {slowest.get(step, 0)}" for step in sorted(per_step))
    return times, f"{sum(slowest.values())} above the p99; {counts}"


def paired_ratio(bare_p99: list[float], fahrplan_p99: list[float]) -> tuple[list[float], float]:
    """Each round's p99 ratio (the two paths measured minutes apart) and their median: one stall
    of the machine in one round moves one ratio, not the result, as it moves the p99 of all
    rounds' samples together."""
    ratios = [f / b for b, f in zip(bare_p99, fahrplan_p99, strict=True)]
    return ratios, statistics.median(ratios)


def also(text: str) -> list[str]:
    """--also: more paths to measure beside bare and fahrplan, of ALSO."""
    return path_names(text, ALSO)


def driven(extra: list[str]) -> tuple[str, ...]:
    """The paths a round measures, in order: bare, the --also ones as bench/paths.py peels the API
    away (workflow, then usecase), fahrplan."""
    first, last = PATHS
    return (first, *extra, last)


def samples_at(args: argparse.Namespace, c: int) -> int:
    """Timed transitions per path at `c` clients: --samples, else 1,000 at one client and 5,000 at more."""
    if args.samples is not None:
        return args.samples
    return SAMPLES_ONE if c == 1 else SAMPLES_MANY


def levels(text: str) -> tuple[int, ...]:
    """--levels: positive client counts, e.g. "1" or "1,20" (each once, in the order given)."""
    try:
        found = tuple(dict.fromkeys(int(part) for part in text.split(",")))
    except ValueError:
        found = ()
    if not found or min(found) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: positive numbers of clients, e.g. 1,20")
    return found


def write_samples(path: Path, totals: dict) -> None:
    """Each level's and path's latencies in ms, in the order they were measured (rounds one after
    the other; at one client that is the order in time)."""
    by_level: dict[str, dict[str, list[float]]] = {}
    for (c, name), run in totals.items():
        by_level.setdefault(str(c), {})[name] = [round(seconds * 1000, 3) for seconds in run.latencies]
    path.write_text(json.dumps(by_level))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--samples",
        type=int,
        default=None,
        help=f"timed transitions per level and path, spread over the rounds (default {SAMPLES_ONE} at one "
        f"client, {SAMPLES_MANY} at more)",
    )
    parser.add_argument("--rounds", type=int, default=10, help="rounds; the order of the two paths alternates")
    server = parser.add_mutually_exclusive_group()
    server.add_argument("--in-memory", action="store_true", help="run the Temporal dev server in memory")
    server.add_argument(
        "--db-file", default=None, metavar="PATH", help="the dev server's SQLite file (default: one in the temp dir)"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL admin URL; a fresh database is created and dropped (default: temp SQLite)",
    )
    parser.add_argument(
        "--levels",
        type=levels,
        default=LEVELS,
        metavar="C[,C…]",
        help=f"concurrent clients per level (default {','.join(map(str, LEVELS))})",
    )
    parser.add_argument(
        "--samples-file",
        default=None,
        metavar="PATH",
        help="also write every latency in ms, in the order measured, per level and path as JSON "
        '({"1": {"bare": [...], "fahrplan": [...]}, ...}): where the slow samples fall',
    )
    add_sandbox_flag(parser)
    add_worker_process_flag(parser)
    add_server_flags(parser)
    add_record_flag(parser)
    add_bare_variant_flag(parser)
    parser.add_argument(
        "--also",
        type=also,
        default=[],
        metavar="PATH[,PATH]",
        help="also measure, of " + ",".join(ALSO) + ": the signed update straight from this process's "
        "Temporal client (workflow), the API's use case without HTTP (usecase); each with its p99 "
        "ratio against bare, not part of the result",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or min(samples_at(args, c) for c in args.levels) < 100 * args.rounds:
        parser.error("--rounds must be positive and --samples at least 100 per round (p99 needs them)")
    check_record_flag(parser, args)

    heap.settle()  # set up like `fahrplan worker`: this process hosts the workers unless --worker-process
    with environment(args, "fahrplan-latency-") as env, recording(args.record):
        print(
            f"setup: {env.described}; api subprocess (uvicorn), {workers_described(args)}, "
            f"{'sandboxed' if args.sandbox else 'unsandboxed'} workflows; bare path {args.bare_variant}; "
            f"record_transition as {args.record}; paths {','.join(driven(args.also))}; "
            f"levels C={'/'.join(map(str, args.levels))}; "
            f"{'/'.join(str(samples_at(args, c)) for c in args.levels)} samples per level and path "
            f"in {args.rounds} rounds, {STEPS} transitions per case; {os.cpu_count()} cpus; {load()}",
            flush=True,
        )
        totals, round_p99 = env.run(bench(args, env.workdir, env.address, env.probe, env.database_url))
    if args.samples_file:
        write_samples(Path(args.samples_file), totals)
    probe = env.probe
    worst = 0.0
    for c in args.levels:
        baseline, fahrplan = totals[c, "bare"], totals[c, "fahrplan"]
        if probe.read():
            print(f"C={c:<2} bare:     {baseline.cpu_summary()}")
            print(f"C={c:<2} fahrplan: {fahrplan.cpu_summary()}")
        print(f"C={c:<2} bare:     {describe(baseline)}")
        print(f"C={c:<2} fahrplan: {describe(fahrplan)}")
        (b50, b99), (f50, f99) = quantiles(baseline.latencies), quantiles(fahrplan.latencies)
        for name, run in (("bare", baseline), ("fahrplan", fahrplan)):
            times, counts = by_step(run)
            print(f"C={c:<2} {name + ':':9} p50/p99 ms by step: {times}")
            print(f"C={c:<2} {name + ':':9} slowest 1 % by step: {counts}")
            if timed := server_counters.timings(run.server, run.transitions):
                print(f"C={c:<2} {name + ':':9} {timed}")
        print(f"C={c:<2} ratio p50={f50 / b50:.3f} p99={f99 / b99:.3f} (all rounds' samples together)")
        for name in (n for n in driven(args.also) if n in ALSO):
            run = totals[c, name]
            if probe.read():
                print(f"C={c:<2} {name + ':':9} {run.cpu_summary()}")
            print(f"C={c:<2} {name + ':':9} {describe(run)}")
            print(f"C={c:<2} {name + ':':9} p50/p99 ms by step: {by_step(run)[0]}")
            if timed := server_counters.timings(run.server, run.transitions):
                print(f"C={c:<2} {name + ':':9} {timed}")
            ratios, median = paired_ratio(round_p99[c, "bare"], round_p99[c, name])
            rounds = " ".join(f"{r:.2f}" for r in ratios)
            print(f"C={c:<2} {name}/bare p99 ratio per round: {rounds}; median {median:.3f}")
        ratios, median = paired_ratio(round_p99[c, "bare"], round_p99[c, "fahrplan"])
        print(f"C={c:<2} p99 ratio per round: {' '.join(f'{r:.2f}' for r in ratios)}; median {median:.3f}")
        worst = max(worst, median)
    print(f"end: {load()}")
    print(f"ratio={worst:.3f}")
    return 0


def entry() -> int:
    return interruptible(main)
