"""Scale-out on PostgreSQL: transitions/s with one worker + one API against two workers + two APIs.

The run behind bench/scale_out.py (usage and output there, details in bench/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.client import Client

from bench.environment import (
    checkout_pythonpath,
    environment,
    fahrplan_env,
    fahrplan_process,
    free_port,
    healthy,
    interruptible,
    metrics_ports,
    probed,
    wait_until,
)
from bench.http import LeanClient
from bench.measure import CpuProbe, Run, drive, gather_limited, settled
from bench.paths import FahrplanPath, connected
from runtime.settings import Settings

KINDS = {"temporal": "Temporal server", "worker": "workers", "api": "APIs", "load": "load generator"}


class ProbeWithPostgres(CpuProbe):
    """Also the CPU seconds of every `postgres` process on the machine (server and backends, ours or not;
    a backend that ends between two reads takes its seconds along): where the rest of the cores go."""

    def read(self) -> dict[str, float]:
        seconds = super().read()
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                comm, rest = stat.read_text().split(") ", 1)
                if comm.endswith("(postgres"):
                    fields = rest.split()
                    total += (int(fields[11]) + int(fields[12])) / self._tick
        seconds["postgres"] = total
        return seconds


class SplitPath:
    """The load of FahrplanPath split over several APIs: case j is created and driven through API j mod k."""

    def __init__(self, paths: list[FahrplanPath], probe: CpuProbe, client: Client):
        self.paths, self.probe, self.client = paths, probe, client

    async def measure(self, n: int, m: int, c: int) -> Run:
        made = iter(range(n))

        async def new_case() -> tuple[FahrplanPath, str]:
            path = self.paths[next(made) % len(self.paths)]
            return path, await path.new_case()

        cases = await gather_limited(n, c, new_case)
        await settled(self.client, [f"neuantrag-{case_id}" for _, case_id in cases], c)

        async def fire(case: tuple[FahrplanPath, str], i: int) -> None:
            await case[0].fire(case[1], i)

        return await drive(cases, m, c, fire, self.probe)


@contextlib.asynccontextmanager
async def deployment(
    k: int, settings: Settings, workdir: Path, probe: CpuProbe, client: Client
) -> AsyncIterator[SplitPath]:
    """K `fahrplan worker` and K `fahrplan api` processes on one fresh task queue; their pids join the probe."""
    queue = f"fahrplan-scale-out-{k}-{uuid.uuid4().hex[:8]}"
    base = fahrplan_env(settings.model_copy(update={"task_queue": queue}), 0, None)
    base["PYTHONPATH"] = checkout_pythonpath()
    api_ports = [free_port() for _ in range(k)]
    with contextlib.ExitStack() as stack:
        procs = {}
        for i in range(k):  # metrics on, as in production, each worker on its own ports
            env = base | metrics_ports()
            procs[f"worker{i}"] = stack.enter_context(fahrplan_process("worker", env, workdir, f"worker{i}-of-{k}"))
        for i, port in enumerate(api_ports):
            env = base | {"FAHRPLAN_API_PORT": str(port), "FAHRPLAN_WORKER_METRICS_PORT": "0"}
            procs[f"api{i}"] = stack.enter_context(fahrplan_process("api", env, workdir, f"api{i}-of-{k}"))
        https = [LeanClient("127.0.0.1", port, "/api/v1") for port in api_ports]
        try:
            named = {f"{name} (of {k})": proc for name, proc in procs.items()}
            await wait_until(lambda: healthy(named, *https), f"{k} APIs", seconds=90)
            with probed(probe, procs):
                yield SplitPath([FahrplanPath(http, probe, client) for http in https], probe, client)
        finally:
            for http in https:
                await http.aclose()


async def bench(args: argparse.Namespace, workdir: Path, address: str, probe: CpuProbe, database_url: str):
    settings, client, db = await connected(workdir, address, database_url)
    await db.dispose()  # the bench itself only drives HTTP; the processes open their own
    totals = {1: Run(), 2: Run()}
    for r in range(args.rounds):
        line = []
        for k in (1, 2) if r % 2 == 0 else (2, 1):
            async with deployment(k, settings, workdir, probe, client) as path:
                await path.measure(max(args.concurrency, 2), min(args.transitions, 3), args.concurrency)  # warm-up
                run = await path.measure(args.cases, args.transitions, args.concurrency)
            totals[k].add(run)
            line.append(f"{k} worker(s) {run.rate:.1f}/s")
        print(f"round {r + 1}: " + ", ".join(line), flush=True)
    return totals


def by_kind(run: Run) -> list[str]:
    """CPU while driving, per process kind: seconds, ms per transition, cores busy."""
    cpu: dict[str, float] = {}
    for name, used in sorted(run.cpu.items()):
        if name not in ("machine", "postgres"):
            kind = KINDS[name.rstrip("0123456789")]
            cpu[kind] = cpu.get(kind, 0.0) + used
    ours = sum(cpu.values())
    cpu["(ours together)"] = ours
    cpu["PostgreSQL (all)"] = postgres = run.cpu.get("postgres", 0.0)
    cpu["other processes"] = max(run.cpu.get("machine", 0.0) - ours - postgres, 0.0)
    if "machine" in run.cpu:  # what none of them used: the cores left over
        cpu[f"idle of {os.cpu_count()} cpus"] = max((os.cpu_count() or 1) * run.seconds - run.cpu["machine"], 0.0)
    return [
        f"  cpu {kind:18} {used:6.1f} s  {used / run.transitions * 1000:6.1f} ms/transition  "
        f"{used / run.seconds:4.2f} cores"
        for kind, used in cpu.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", "-n", type=int, default=100, help="cases per deployment and round (N)")
    parser.add_argument("--transitions", "-m", type=int, default=10, help="transitions per case (M)")
    parser.add_argument("--concurrency", "-c", type=int, default=20, help="transitions in flight (C), over all APIs")
    parser.add_argument("--rounds", type=int, default=1, help="rounds; the order of the two deployments alternates")
    parser.add_argument(
        "--database-url",
        required=True,
        help="PostgreSQL admin URL, e.g. postgresql://postgres@127.0.0.1:5432/test (a fresh database is made)",
    )
    args = parser.parse_args(argv)
    if min(args.cases, args.transitions, args.concurrency, args.rounds) < 1:
        parser.error("--cases, --transitions, --concurrency and --rounds must be positive")
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL: several workers share the database")
    args.in_memory, args.db_file = False, ""  # the dev server file-backed, as `make run` and transitions.py
    with environment(args, "fahrplan-scale-out-") as env:
        probe = ProbeWithPostgres({"load": os.getpid(), "temporal": env.probe.pids["temporal"]})
        print(
            f"setup: {env.described}; `fahrplan worker` and `fahrplan api` as own processes, one task queue per "
            f"deployment; N={args.cases} M={args.transitions} C={args.concurrency} rounds={args.rounds}; "
            f"{os.cpu_count()} cpus",
            flush=True,
        )
        totals = env.run(bench(args, env.workdir, env.address, probe, env.database_url))
    for k, run in totals.items():
        label = f"{k} worker{'s' if k > 1 else ''} + {k} API{'s' if k > 1 else ''}:"
        print(f"{label:20} {run.summary()}")
        if run.cpu:
            print(*by_kind(run), sep="\n")
    print(f"ratio={totals[2].rate / totals[1].rate:.3f}")
    return 0


def entry() -> int:
    return interruptible(main)
