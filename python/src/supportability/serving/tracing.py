"""OpenTelemetry tracing through the gRPC instrumentation, off unless the operator turns it on.

The exporter's endpoint and headers come from the standard OTEL_EXPORTER_OTLP_* variables.
"""

from __future__ import annotations

import grpc

EXPORTERS = ("otlp", "console")


def server_interceptor(exporter: str) -> grpc.aio.ServerInterceptor:
    """A server interceptor that records a span per call and exports them with `exporter`."""
    from opentelemetry import trace
    from opentelemetry.instrumentation.grpc import aio_server_interceptor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "supportability"}))
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        raise ValueError(f"tracing exporter {exporter!r}: expected one of {', '.join(EXPORTERS)}")
    trace.set_tracer_provider(provider)
    return aio_server_interceptor(tracer_provider=provider)
