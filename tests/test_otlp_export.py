"""Traces on the wire: `fahrplan api` and `fahrplan worker`, started with FAHRPLAN_OTLP_ENDPOINT as
an operator would, export their spans over OTLP/HTTP to a collector (one in this test, decoding
the protobuf). The transition's request span in the API and the activity's span in the worker
share one trace; no byte sent to the collector holds the person's name, date of birth or street,
or the transition's comment; and the spans are all there once SIGTERM has stopped both processes,
before their batch's 5 s were up (tests/test_tracing.py has the spans in memory)."""

from __future__ import annotations

import gzip
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.faults.outage_support import Stack, free_port

PERSON = {
    "vorname": "Wiebke",
    "nachname": "Spurlosigkeit",
    "geburtsdatum": "1979-02-13",
    "anschrift": {"strasse": "Kettenweg 71", "plz": "58285", "ort": "Gevelsberg"},
}
COMMENT = "Rückruf bei Frau Spurlosigkeit wegen Kinderbetreuung"
SECRETS = [PERSON["vorname"], PERSON["nachname"], PERSON["geburtsdatum"], "Kettenweg", "Kinderbetreuung"]
EGS = {"Authorization": "Bearer fault-egs"}


class Collector(ThreadingHTTPServer):
    """An OTLP/HTTP trace collector on a free port: keeps every export's raw body."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        super().__init__(("127.0.0.1", 0), _Receive)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/traces"

    def spans(self) -> list[tuple[str, str, str]]:
        """(service.name, span name, trace id) of every span received so far."""
        found = []
        for body in list(self.bodies):
            export = ExportTraceServiceRequest.FromString(body)
            for resource_spans in export.resource_spans:
                attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope in resource_spans.scope_spans:
                    found += [(attributes.get("service.name", ""), s.name, s.trace_id.hex()) for s in scope.spans]
        return found


class _Receive(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path == "/v1/traces":
            self.server.bodies.append(body)
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200 if self.path == "/v1/traces" else 404)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


async def test_api_and_worker_export_one_trace_over_otlp_without_personal_data(tmp_path, collector, monkeypatch):
    monkeypatch.setenv("FAHRPLAN_OTLP_ENDPOINT", collector.endpoint)
    stack = Stack(tmp_path, f"sqlite:///{tmp_path / 'fahrplan.db'}", api_port=free_port())
    try:
        stack.migrate()
        await stack.start_temporal()
        stack.start_worker()
        await stack.start_api()
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
            r = await http.post(
                "/cases",
                json={"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}},
                headers=EGS | {"Idempotency-Key": uuid.uuid4().hex},
            )
            assert r.status_code == 201, r.text
            case_id = r.json()["case_id"]
            r = await http.post(
                f"/cases/{case_id}/transitions",
                json={"trigger": "identitaet_bestaetigt", "comment": COMMENT},
                headers=EGS,
            )
            assert r.status_code == 200, r.text
            for q in (PERSON["nachname"], PERSON["geburtsdatum"]):
                r = await http.get("/people", params={"q": q}, headers=EGS)
                assert r.status_code == 200 and r.json(), r.text
    finally:
        stack.close()  # SIGTERM: each process exports what it still holds before it exits
    transition = "POST /api/v1/cases/{case_id}/transitions"
    spans = collector.spans()
    traces = {t for service, name, t in spans if (service, name) == ("fahrplan-api", transition)}
    worker = [(n, t) for service, n, t in spans if service == "fahrplan-worker"]
    activity = [n for n, t in worker if t in traces and "record_transition" in n]
    searches = [n for service, n, _ in spans if service == "fahrplan-api" and n == "GET /api/v1/people"]
    assert traces, sorted({(s, n) for s, n, _ in spans})
    assert activity, sorted({(s, n) for s, n, _ in spans})  # the worker's span in the API request's trace
    wire = b"".join(collector.bodies)
    leaked = [secret for secret in SECRETS if secret.encode() in wire]
    assert not leaked, f"sent to the collector: {leaked}"
    assert len(searches) == 2, sorted({(s, n) for s, n, _ in spans})  # one server span per request
