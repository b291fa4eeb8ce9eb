"""Optional OpenTelemetry tracing: from the HTTP request through the workflow update to the activity.

Off by default. FAHRPLAN_OTLP_ENDPOINT (an OTLP/HTTP collector, e.g. http://127.0.0.1:4318/v1/traces)
turns it on for `fahrplan api` and `fahrplan worker`: the process gets a replay-safe tracer provider
(the Temporal SDK's `create_tracer_provider`: a replayed workflow task makes no second span) as the
global one, exporting there in batches; its Temporal client the SDK's OpenTelemetryInterceptor
(which the worker built on that client uses too: the update handler and the activity it runs are
children of the caller's span, carried in Temporal's headers); the API a span per request
(api/tracing.py). Span names and attributes are route templates and workflow, update and activity
type names: never a payload, never personal data.
"""

from __future__ import annotations

from typing import Any

from runtime.settings import Settings


def global_provider(service: str) -> Any:
    """The process's replay-safe tracer provider, made and set globally on first use."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from temporalio.contrib.opentelemetry import ReplaySafeTracerProvider, create_tracer_provider

    current = trace.get_tracer_provider()
    if isinstance(current, ReplaySafeTracerProvider):
        return current
    provider = create_tracer_provider(resource=Resource.create({"service.name": service}))
    trace.set_tracer_provider(provider)
    return provider


def tracer_from_settings(settings: Settings, service: str) -> Any:
    """A tracer exporting to FAHRPLAN_OTLP_ENDPOINT, or None when tracing is off."""
    if not settings.otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = global_provider(service)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
    return provider.get_tracer("fahrplan")


def flush_spans(timeout_millis: int = 5000) -> None:
    """Export the spans this process still holds, before it exits: uvicorn ends `fahrplan api` by
    raising SIGTERM again once it has shut down, so the SDK's own flush at exit never runs."""
    from opentelemetry import trace
    from temporalio.contrib.opentelemetry import ReplaySafeTracerProvider

    provider = trace.get_tracer_provider()
    if isinstance(provider, ReplaySafeTracerProvider):  # ours (global_provider): tracing is on
        provider.force_flush(timeout_millis)


def temporal_interceptors(tracer: Any) -> list[Any]:
    """The client interceptors when tracing is on (`tracer` not None): the SDK's OpenTelemetry
    interceptor, spans from the global provider (`global_provider`)."""
    if tracer is None:
        return []
    from temporalio.contrib.opentelemetry import OpenTelemetryInterceptor

    return [OpenTelemetryInterceptor(add_temporal_spans=True)]
