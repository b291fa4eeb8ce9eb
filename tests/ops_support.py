"""Support for the operations tests: a client on its own Temporal runtime that exports the SDK's
metrics, a worker like production's (activity metrics interceptor) and the API on that client."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from runtime import metrics
from runtime.settings import Settings
from runtime.temporal import DATA_CONVERTER
from runtime.tracing import temporal_interceptors
from tests.api_fixtures import TOKENS
from tests.conftest import _RECORDERS, _settle, _StartRecorder, _terminate
from worker.main import build_worker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def series(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Sample name -> [(labels, value)] of a Prometheus text exposition. A family exported without
    samples yet (a labelled counter nothing counted, a gauge with no rows) is there with none:
    under its name, and a counter under its name with _total (the sample name it will have)."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        found.setdefault(family.name + ("_total" if family.type == "counter" else ""), [])
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


@dataclass
class Ops:
    client: Client
    worker: Worker
    http: httpx.AsyncClient  # the API at its root: /api/v1/… and /metrics
    settings: Settings
    sdk_port: int


@asynccontextmanager
async def ops_stack(
    env: WorkflowEnvironment, db, tmp_path, runtime: Any = None, tracer: Any = None, **extra
) -> AsyncIterator[Ops]:
    """A client with the SDK's Prometheus exporter (or `runtime`), the worker and the API on it;
    afterwards the workflows it started are settled and terminated."""
    sdk_port = free_port()
    recorder = _StartRecorder()
    client = await Client.connect(
        env.client.service_client.config.target_host,
        namespace=env.client.namespace,
        data_converter=DATA_CONVERTER,
        runtime=runtime or metrics.sdk_runtime("127.0.0.1", sdk_port),
        interceptors=[recorder, *temporal_interceptors(tracer)],
    )
    _RECORDERS[id(client)] = recorder
    worker = build_worker(
        client, db, f"tq-ops-{sdk_port}", sandboxed=True, interceptors=extra.pop("worker_interceptors", [])
    )
    settings = Settings(
        task_queue=worker.task_queue,
        api_tokens=TOKENS,
        data_dir=tmp_path,
        update_timeout_seconds=20,
        worker_metrics_port=free_port(),
        **extra,
    )
    app = create_app(settings, client=client, db=db, tracer=tracer)
    try:
        async with worker, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            yield Ops(client, worker, http, settings, sdk_port)
            await _settle(client, recorder.ids)
            await _terminate(client, recorder.ids)
    finally:
        del _RECORDERS[id(client)]
