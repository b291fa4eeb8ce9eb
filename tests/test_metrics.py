"""The Prometheus endpoints: the API's /metrics, the worker's Fahrplan metrics and the Temporal
SDK's metrics, scraped after a few transitions; the Grafana dashboard asks only for series that
these endpoints export."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import httpx
import pytest

from runtime import metrics
from runtime.settings import Settings
from tests.api_fixtures import PERSON, auth
from tests.ops_support import ops_stack, series
from worker.main import start_metrics, temporal_runtime

DASHBOARD = Path(__file__).resolve().parent.parent / "ops" / "grafana" / "fahrplan.json"


async def _drive(http: httpx.AsyncClient) -> str:
    """Two cases, three transitions, one refusal (wrong role); returns the open case's id."""
    ids = []
    for _ in range(2):
        r = await http.post(
            "/api/v1/cases",
            json={"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}},
            headers=auth("egs"),
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["case_id"])
    for case_id, trigger, role in (
        (ids[0], "identitaet_bestaetigt", "egs"),
        (ids[1], "identitaet_bestaetigt", "egs"),
        (ids[1], "antrag_zurueckgenommen", "egs"),
    ):
        r = await http.post(f"/api/v1/cases/{case_id}/transitions", json={"trigger": trigger}, headers=auth(role))
        assert r.status_code == 200, r.text
    r = await http.post(
        f"/api/v1/cases/{ids[0]}/transitions", json={"trigger": "antrag_abgelehnt"}, headers=auth("egs")
    )
    assert r.status_code == 403, r.text
    return ids[0]


async def _scrape_all(ops) -> dict[str, str]:
    api = await ops.http.get("/metrics")
    assert api.status_code == 200, api.text
    assert api.headers["content-type"].startswith("text/plain")
    server = start_metrics(ops.settings, ops.worker_db)
    try:
        async with httpx.AsyncClient() as plain:
            worker = await plain.get(f"http://127.0.0.1:{ops.settings.worker_metrics_port}/metrics")
            sdk = await plain.get(f"http://127.0.0.1:{ops.sdk_port}/metrics")
    finally:
        server.shutdown()
    assert worker.status_code == 200 and sdk.status_code == 200
    return {"api": api.text, "worker": worker.text, "sdk": sdk.text}


@pytest.fixture
async def scraped(env, sqlite_db, tmp_path):
    async with ops_stack(env, sqlite_db, tmp_path) as ops:
        ops.worker_db = sqlite_db
        before = series(metrics.exposition(metrics.registry()).decode())  # counters are per process, not per test
        open_case = await _drive(ops.http)
        texts = await _scrape_all(ops)
    return texts, open_case, before


def _value(found, name: str, **labels) -> float:
    return sum(v for got, v in found.get(name, []) if all(got.get(k) == want for k, want in labels.items()))


async def test_endpoints_export_fahrplans_and_the_sdks_series(scraped):
    texts, open_case, before = scraped
    api, worker, sdk = (series(texts[k]) for k in ("api", "worker", "sdk"))

    def counted(found, name: str, **labels) -> float:
        return _value(found, name, **labels) - _value(before, name, **labels)

    for found in (api, worker):  # the counters are the process's, the gauges the read model's
        assert counted(found, "fahrplan_transitions_total", process="neuantrag", trigger="identitaet_bestaetigt") == 2
        assert counted(found, "fahrplan_transitions_total", process="neuantrag", trigger="antrag_zurueckgenommen") == 1
        assert counted(found, "fahrplan_refusals_total", kind="forbidden") == 1
        assert _value(found, "fahrplan_read_model_up") == 1
        assert _value(found, "fahrplan_cases_open", process="neuantrag") == 1  # the other one is closed
        assert "fahrplan_cases_overdue" in texts["api"] and "fahrplan_letters_pending" in found
        assert "fahrplan_inbox_tasks" in texts["api"]
    # The SDK's own metrics, from its core runtime: workflow tasks and activities ran.
    assert any(name.startswith("temporal_workflow_task") for name in sdk), sorted(sdk)[:20]
    assert any(name.startswith("temporal_local_activity") for name in sdk), sorted(sdk)[:20]  # record_transition
    # Nothing personal and no case id in any label or value.
    for text in texts.values():
        for marker in (PERSON["vorname"], PERSON["nachname"], PERSON["geburtsdatum"], open_case):
            assert marker not in text


def dashboard_metric_names(dashboard: dict) -> set[str]:
    """The metric names the dashboard's PromQL expressions ask for."""
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    assert exprs, "the dashboard has no queries"
    words = {w for expr in exprs for w in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", re.sub(r"\{[^}]*\}", "", expr))}
    return {w for w in words if w.startswith(("fahrplan_", "temporal_"))}


async def test_every_dashboard_query_asks_for_exported_series(scraped):
    texts, _, _ = scraped
    exported = {name for text in texts.values() for name in series(text)}
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["schemaVersion"] >= 36
    names = dashboard_metric_names(dashboard)
    assert names - exported == set()
    assert {"fahrplan_transitions_total", "fahrplan_cases_open", "fahrplan_refusals_total"} <= names


def test_the_dashboard_check_can_fail():
    names = dashboard_metric_names({"panels": [{"targets": [{"expr": 'sum(rate(fahrplan_nope_total{a="b"}[5m]))'}]}]})
    assert names == {"fahrplan_nope_total"}


async def test_the_metrics_token_is_asked_for_when_set(env, sqlite_db, tmp_path):
    async with ops_stack(env, sqlite_db, tmp_path, metrics_token="geheim-123") as ops:
        assert (await ops.http.get("/metrics")).status_code == 401
        wrong = await ops.http.get("/metrics", headers={"Authorization": "Bearer falsch"})
        assert wrong.status_code == 401 and wrong.headers["content-type"].startswith("application/problem+json")
        ok = await ops.http.get("/metrics", headers={"Authorization": "Bearer geheim-123"})
        assert ok.status_code == 200 and "fahrplan_cases_open" in ok.text


def test_worker_metrics_are_off_with_port_zero(tmp_path):
    assert start_metrics(Settings(data_dir=tmp_path, worker_metrics_port=0), db=None) is None


def test_a_taken_port_leaves_the_worker_running_without_metrics(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(data_dir=tmp_path, worker_metrics_port=port, temporal_metrics_port=port)
        assert start_metrics(settings, db=None) is None
        assert temporal_runtime(settings) is not None  # without the SDK's exporter, with its log forwarding


class _Next:
    def __init__(self, fail: bool):
        self.fail = fail

    async def execute_activity(self, input):
        if self.fail:
            raise ConnectionError("database down")
        return "ok"


@pytest.mark.parametrize(("attempt", "fail"), [(1, False), (2, False), (3, True)])
async def test_activity_failures_and_retries_are_counted(attempt, fail):
    from dataclasses import replace

    from temporalio.testing import ActivityEnvironment

    name = f"probe_{attempt}"
    env = ActivityEnvironment()
    env.info = replace(env.info, attempt=attempt, activity_type=name)
    counting = metrics._CountingActivity(_Next(fail))

    async def run():
        try:
            return await counting.execute_activity(None)
        except ConnectionError:
            return "failed"

    assert await env.run(run) == ("failed" if fail else "ok")
    found = series(metrics.exposition(metrics.registry()).decode())
    retries = [v for labels, v in found["fahrplan_activity_retries_total"] if labels["activity"] == name]
    failures = [
        (labels["error"], v) for labels, v in found["fahrplan_activity_failures_total"] if labels["activity"] == name
    ]
    assert retries == ([1.0] if attempt > 1 else [])
    assert failures == ([("ConnectionError", 1.0)] if fail else [])
