"""Tracing: one trace from the HTTP request through the workflow update to the activity
(in-memory span exporter; production exports over OTLP, runtime/tracing.py)."""

from __future__ import annotations

import gc

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from runtime.settings import Settings
from runtime.tracing import global_provider, temporal_interceptors, tracer_from_settings
from tests.api_fixtures import PERSON, auth
from tests.ops_support import ops_stack


async def test_request_update_and_activity_share_a_trace(env, sqlite_db, tmp_path):
    exporter = InMemorySpanExporter()
    provider = global_provider("fahrplan-test")  # the process's, as `fahrplan api` and `fahrplan worker` set it
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with ops_stack(env, sqlite_db, tmp_path, tracer=provider.get_tracer("test")) as ops:
        r = await ops.http.post(
            "/api/v1/cases",
            json={"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}},
            headers=auth("egs"),
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        exporter.clear()
        r = await ops.http.post(
            f"/api/v1/cases/{case_id}/transitions", json={"trigger": "identitaet_bestaetigt"}, headers=auth("egs")
        )
        assert r.status_code == 200, r.text
        spans = exporter.get_finished_spans()
        # The case ends, so its workflow ends and closes its span. A workflow evicted inside its
        # span is closed later by the garbage collector, at a random point, where the SDK
        # interceptor's "Failed to detach context" finalizer can trip CPython 3.11's "AST
        # constructor recursion depth mismatch" in another test's ast.parse.
        r = await ops.http.post(
            f"/api/v1/cases/{case_id}/transitions", json={"trigger": "antrag_zurueckgenommen"}, headers=auth("egs")
        )
        assert r.status_code == 200 and r.json()["final"], r.text
        await ops.client.get_workflow_handle(r.json()["workflow_id"]).result()
        # A search carries a name in its query string: no span may keep it (FastAPI's own request
        # telemetry, on by default since 0.142 once a global tracer provider is set, records it
        # as url.query), and each request is one server span, Fahrplan's.
        exporter.clear()
        for q in (PERSON["nachname"], PERSON["geburtsdatum"]):
            r = await ops.http.get("/api/v1/people", params={"q": q}, headers=auth("egs"))
            assert r.status_code == 200 and r.json(), r.text
        searched = exporter.get_finished_spans()
    gc.collect()
    servers = [s for s in searched if s.kind == SpanKind.SERVER]
    assert [s.name for s in servers] == ["GET /api/v1/people"] * 2, [(s.name, s.instrumentation_scope) for s in servers]
    names = {s.name: s for s in spans}
    request = names["POST /api/v1/cases/{case_id}/transitions"]
    trace = request.context.trace_id
    in_trace = {s.name for s in spans if s.context.trace_id == trace}
    assert any(n.startswith("StartWorkflowUpdate:transition") for n in in_trace), sorted(in_trace)
    assert any(n.startswith("HandleUpdate:transition") for n in in_trace), sorted(in_trace)
    assert any(n.startswith("RunActivity:record_transition") for n in in_trace), sorted(in_trace)
    for span in [*spans, *searched]:  # names and attributes: no personal data, no payload
        text = f"{span.name} {dict(span.attributes or {})}"
        assert PERSON["nachname"] not in text and PERSON["geburtsdatum"] not in text


def test_tracing_is_off_by_default(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert tracer_from_settings(settings, "fahrplan-api") is None
    assert temporal_interceptors(None) == []
    assert [type(i).__name__ for i in temporal_interceptors(object())] == ["OpenTelemetryInterceptor"]
