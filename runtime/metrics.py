"""Fahrplan's Prometheus metrics, the same definitions in worker and API.

Counters count in the process that does the thing: the worker counts recorded transitions,
activity failures and retries and the operator actions its sweep fixed (worker/operator_sweep.py),
the API counts refusals by kind. The read model's figures (open and
overdue cases by process and state, open tasks by role, letters pending) are read from the
database when the endpoint is scraped, by `ReadModelCollector`. Labels are names from the process
declarations and refusal kinds only: never a case id, never personal data.

The Temporal SDK's own metrics (workflow task latencies, polls, activity executions …) come from
the SDK's core runtime on a port of their own (`sdk_runtime`), see README "Operations".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, disable_created_metrics, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from temporalio import activity
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
disable_created_metrics()  # no fahrplan_…_created series beside each counter

TRANSITIONS = Counter(
    "fahrplan_transitions", "Transitions recorded (audit event written)", ["process", "trigger"], registry=None
)
REFUSALS = Counter("fahrplan_refusals", "Requests refused, by refusal kind", ["kind"], registry=None)
ACTIVITY_FAILURES = Counter(
    "fahrplan_activity_failures", "Activity attempts that raised", ["activity", "error"], registry=None
)
ACTIVITY_RETRIES = Counter(
    "fahrplan_activity_retries", "Activity attempts after the first (retries)", ["activity"], registry=None
)
OPERATOR_ACTIONS = Counter(
    "fahrplan_operator_actions",
    "Cases the worker found terminated, cancelled or reset in Temporal and fixed, by kind",
    ["kind"],
    registry=None,
)
COUNTERS = (TRANSITIONS, REFUSALS, ACTIVITY_FAILURES, ACTIVITY_RETRIES, OPERATOR_ACTIONS)


@dataclass
class Figures:
    """The read model at one moment: what `ReadModelCollector` exports."""

    # (process, state, regime) -> count; regime is the policy's legal regime ("" when it names none)
    open_cases: dict[tuple[str, str, str], int] = field(default_factory=dict)
    overdue_cases: dict[tuple[str, str, str], int] = field(default_factory=dict)
    inbox: dict[str, int] = field(default_factory=dict)  # role -> open tasks
    letters_pending: int = 0


class ReadModelCollector:
    """Gauges read from the database on each scrape; `read` returns the Figures (or raises:
    then only `fahrplan_read_model_up 0` is exported, the scrape itself still succeeds)."""

    def __init__(self, read: Callable[[], Figures]):
        self._read = read

    def collect(self) -> Iterator[Metric]:
        try:
            figures = self._read()
        except Exception:  # noqa: BLE001 - a database that does not answer must not break the scrape
            yield GaugeMetricFamily("fahrplan_read_model_up", "The read model could be read", value=0)
            return
        yield GaugeMetricFamily("fahrplan_read_model_up", "The read model could be read", value=1)
        for name, text, values in (
            ("fahrplan_cases_open", "Open cases by process, state and regime", figures.open_cases),
            ("fahrplan_cases_overdue", "Overdue open cases by process, state and regime", figures.overdue_cases),
        ):
            gauge = GaugeMetricFamily(name, text, labels=["process", "state", "regime"])
            for key, count in sorted(values.items()):
                gauge.add_metric(list(key), count)
            yield gauge
        inbox = GaugeMetricFamily("fahrplan_inbox_tasks", "Open inbox tasks by role", labels=["role"])
        for role, count in sorted(figures.inbox.items()):
            inbox.add_metric([role], count)
        yield inbox
        yield GaugeMetricFamily(
            "fahrplan_letters_pending", "Letters in the outbox not sent yet", figures.letters_pending
        )


def registry(read: Callable[[], Figures] | None = None) -> CollectorRegistry:
    """A registry with Fahrplan's counters and, given `read`, the read model's gauges."""
    made = CollectorRegistry(auto_describe=False)
    for counter in COUNTERS:
        made.register(counter)
    if read is not None:
        made.register(ReadModelCollector(read))
    return made


def exposition(made: CollectorRegistry) -> bytes:
    return generate_latest(made)


def serve(made: CollectorRegistry, host: str, port: int) -> Any:
    """Serve `made` on http://host:port/metrics in a thread; returns the server (shutdown() stops it)."""
    server, _thread = start_http_server(port, addr=host, registry=made)
    return server


def sdk_runtime(host: str = "", port: int = 0) -> Runtime:
    """A Temporal core runtime exporting the SDK's metrics on http://host:port/metrics (port 0: none).
    The core's own log lines (WARN and up) go through Python logging ("temporalio.core"), so they
    come out in the process's format (runtime/logs.py) instead of as coloured text on stderr."""
    forwarded = LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )
    exporter = PrometheusConfig(bind_address=f"{host}:{port}") if port else None
    return Runtime(telemetry=TelemetryConfig(logging=forwarded, metrics=exporter))


class ActivityMetrics(Interceptor):
    """Worker interceptor: counts activity attempts that fail and attempts that are retries."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountingActivity(next)


class _CountingActivity(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        if info.attempt > 1:
            ACTIVITY_RETRIES.labels(info.activity_type).inc()
        try:
            return await super().execute_activity(input)
        except BaseException as failed:
            ACTIVITY_FAILURES.labels(info.activity_type, type(failed).__name__).inc()
            raise
