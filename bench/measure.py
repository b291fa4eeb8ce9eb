"""Measuring a bench run: CPU seconds per process, the drivers, rates and latencies."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client

from bench import server_counters


class CpuProbe:
    """CPU seconds (user + system) of the processes taking part, from /proc (Linux); empty elsewhere.
    With `counters_url` (the dev server's /metrics) also the server's request counters."""

    def __init__(self, pids: dict[str, int], counters_url: str | None = None):
        self.pids = pids
        self.counters_url = counters_url
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def counters(self) -> dict[str, float]:
        """The server's counters now; empty without a URL or when it does not answer."""
        if not self.counters_url:
            return {}
        try:
            return server_counters.read(self.counters_url)
        except OSError:
            return {}

    async def settled_counters(self, seconds: float = 5.0, step: float = 1.1) -> dict[str, float]:
        """The server's counters once they stop moving (up to `seconds`): the dev server reports a
        request a moment after serving it, so read at once they would miss the last ones and count
        them in the next window."""
        counts = self.counters()
        deadline = time.monotonic() + seconds
        while counts and time.monotonic() < deadline:
            await asyncio.sleep(step)
            counts, before = self.counters(), counts
            if counts == before:
                break
        return counts

    def read(self) -> dict[str, float]:
        seconds = {}
        for name, pid in self.pids.items():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                seconds[name] = (int(fields[11]) + int(fields[12])) / self._tick
        with contextlib.suppress(OSError, IndexError, ValueError):  # the whole machine, to see who else is busy
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(
                int, Path("/proc/stat").read_text().split()[1:9]
            )
            seconds["machine"] = (user + nice + system + irq + softirq + steal) / self._tick
        return seconds


@dataclass
class Run:
    transitions: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)  # each latency's step of its case (0 = the first)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process while driving
    server: dict[str, float] = field(default_factory=dict)  # the server's counters while driving (server_counters)

    @property
    def rate(self) -> float:
        return self.transitions / self.seconds if self.seconds else 0.0

    def add(self, other: Run) -> None:
        self.transitions += other.transitions
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.steps += other.steps
        for name, used in other.cpu.items():
            self.cpu[name] = self.cpu.get(name, 0.0) + used
        for name, count in other.server.items():
            self.server[name] = self.server.get(name, 0.0) + count

    def summary(self) -> str:
        q = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return (
            f"{self.rate:7.1f} transitions/s  p50 {q[49] * 1000:6.1f} ms  p99 {q[98] * 1000:6.1f} ms"
            f"  ({self.transitions} in {self.seconds:.2f} s)"
        )

    def cpu_summary(self) -> str:
        ours = {name: used for name, used in self.cpu.items() if name != "machine"}
        per = ", ".join(f"{name} {used / self.transitions * 1000:.1f}" for name, used in ours.items())
        busy = sum(ours.values()) / self.seconds if self.seconds else 0.0
        others = max(self.cpu.get("machine", 0.0) - sum(ours.values()), 0.0) / self.seconds if self.seconds else 0.0
        return f"cpu ms/transition: {per}; cores busy: ours {busy:.2f}, other processes {others:.2f}"


async def drive(
    cases: list, steps: int, concurrency: int, fire: Callable[[object, int], Awaitable[None]], probe: CpuProbe
) -> Run:
    """C drivers; each takes the next case and fires its M transitions one after the other."""
    todo = list(reversed(cases))
    run = Run(transitions=len(cases) * steps)

    async def driver() -> None:
        while todo:
            case = todo.pop()
            for i in range(steps):
                started = time.perf_counter()
                await fire(case, i)
                run.latencies.append(time.perf_counter() - started)
                run.steps.append(i)

    counted = await probe.settled_counters()
    cpu, started = probe.read(), time.perf_counter()
    await asyncio.gather(*(driver() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - started
    run.cpu = {name: used - cpu.get(name, used) for name, used in probe.read().items()}
    if counted:
        run.server = {name: count - counted.get(name, 0.0) for name, count in (await probe.settled_counters()).items()}
    return run


async def gather_limited(n: int, concurrency: int, make: Callable[[], Awaitable[object]]) -> list:
    gate = asyncio.Semaphore(concurrency)

    async def one() -> object:
        async with gate:
            return await make()

    return await asyncio.gather(*(one() for _ in range(n)))


async def settled(client: Client, workflow_ids: list[str], concurrency: int, seconds: float = 120) -> None:
    """Wait until no workflow has a task or activity pending. Starting a case runs a workflow task
    (and, for Fahrplan, its first activity) after the start call has returned; the clock starts
    once that is done, so the transitions measured do not queue behind the cases' creation."""
    deadline = time.monotonic() + seconds

    async def idle(workflow_id: str) -> None:
        handle = client.get_workflow_handle(workflow_id)
        while True:
            raw = (await handle.describe()).raw_description
            if not raw.HasField("pending_workflow_task") and not raw.pending_activities:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{workflow_id} still busy after {seconds:.0f} s")
            await asyncio.sleep(0.05)

    gate = asyncio.Semaphore(concurrency)

    async def one(workflow_id: str) -> None:
        async with gate:
            await idle(workflow_id)

    await asyncio.gather(*(one(w) for w in workflow_ids))
