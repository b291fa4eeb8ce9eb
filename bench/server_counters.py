"""The Temporal dev server's own counters (its Prometheus endpoint, `--metrics-port`): what a
path asks of the server per transition, beside the CPU it costs there, and how long the server
took for it (`timings`: its latency histograms' sums and counts)."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterable

# name{labels} value: the counters summed per (series name, service, operation)
_SAMPLE = re.compile(r"^(\w+)\{([^}]*)\}\s+([0-9.eE+-]+)$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')
SERIES = ("service_requests", "persistence_requests", "visibility_persistence_requests")
# Latency histograms whose sum (seconds) and count are kept, as "<series>_sum/…" and "<series>_count/…"
TIMED = ("service_latency", "persistence_latency", "visibility_persistence_latency", "semaphore_latency")
_TIMED = {f"{series}_{part}" for series in TIMED for part in ("sum", "count")}
# What `timings` shows: label, series, service ("" for all), operation ("" for all)
TIMINGS = (
    ("updates", "service_latency", "frontend", "UpdateWorkflowExecution"),
    ("workflow-task completions", "service_latency", "frontend", "RespondWorkflowTaskCompleted"),
    ("mutable-state writes", "persistence_latency", "", "UpdateWorkflowExecution"),
    ("visibility writes", "visibility_persistence_latency", "", ""),
    ("shard lock waits", "semaphore_latency", "", "ShardInfo"),
)


def parse(lines: Iterable[str]) -> dict[str, float]:
    """Counters by "series/service/operation" from the Prometheus text format (and the TIMED
    histograms' sums and counts by "series_sum/…", "series_count/…")."""
    counts: dict[str, float] = {}
    for line in lines:
        found = _SAMPLE.match(line.strip())
        if not found or (found.group(1) not in SERIES and found.group(1) not in _TIMED):
            continue
        labels = dict(_LABEL.findall(found.group(2)))
        key = f"{found.group(1)}/{labels.get('service_name', '')}/{labels.get('operation', '')}"
        counts[key] = counts.get(key, 0.0) + float(found.group(3))
    return counts


def read(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return parse(answer.read().decode().splitlines())


def _total(counts: dict[str, float], series: str, service: str = "", operation: str = "") -> float:
    return sum(
        v
        for k, v in counts.items()
        if k.startswith(series + "/")
        and (not service or k.split("/")[1] == service)
        and (not operation or k.split("/")[2] == operation)
    )


def summary(counts: dict[str, float], transitions: int) -> str:
    """Per transition: RPCs the frontend served, mutable-state writes, all persistence requests and
    visibility writes (a search attribute upsert, a start, a close)."""

    per = max(transitions, 1)
    return (
        f"server per transition: frontend RPCs {_total(counts, 'service_requests', 'frontend') / per:.2f}, "
        "mutable-state writes "
        f"{_total(counts, 'persistence_requests', operation='UpdateWorkflowExecution') / per:.2f}, "
        f"persistence requests {_total(counts, 'persistence_requests') / per:.2f}, "
        f"visibility writes {_total(counts, 'visibility_persistence_requests') / per:.2f}"
    )


def timings(counts: dict[str, float], transitions: int) -> str:
    """How long the server took, per transition: how many of each (TIMINGS) and their mean in ms,
    waits included (the dev server has one history shard, whose lock its writes wait for). Empty
    when the server reported none."""
    per = max(transitions, 1)
    parts = []
    for label, series, service, operation in TIMINGS:
        count = _total(counts, f"{series}_count", service, operation)
        if count:
            seconds = _total(counts, f"{series}_sum", service, operation)
            parts.append(f"{label} {count / per:.2f} x {seconds / count * 1000:.1f} ms")
    return "server time per transition: " + ", ".join(parts) if parts else ""


def table(runs: dict[str, tuple[dict[str, float], int]], least: float = 0.05) -> list[str]:
    """Every counter per transition, one line each, one column per path (`--server-detail`): where a
    path asks more of the server than another. Counters under `least` per transition in every
    path are left out."""
    names = list(runs)
    keys = sorted({key for counts, _ in runs.values() for key in counts if key.split("/")[0] in SERIES})
    rows = []
    for key in keys:
        values = [runs[name][0].get(key, 0.0) / max(runs[name][1], 1) for name in names]
        if max(values) >= least:
            rows.append(f"{key:70} " + " ".join(f"{value:9.2f}" for value in values))
    return [f"{'server counter per transition':70} " + " ".join(f"{name:>9}" for name in names), *rows]
