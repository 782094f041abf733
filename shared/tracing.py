"""Distributed tracing with OpenTelemetry: one trace per request, across every service.

Every server joins the trace its caller sent (W3C ``traceparent`` or B3 ``x-b3-*``,
what Envoy and Istio sidecars send) and the aggregator's calls to the other
services carry it on in their metadata. A service mesh needs exactly this from
applications: its sidecars make spans of their own, but only the application can
tie an inbound request to the calls it makes because of it. Health checks are not
traced (probes would drown everything else).

Configured with the standard OpenTelemetry environment variables, so the
OpenTelemetry Operator, a mesh's telemetry settings or a plain collector work as
they are:

- ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``: where
  spans go (OTLP over gRPC; ``http://`` for plaintext). Unset: no span is recorded
  or exported, but the trace context is still carried from callers to the calls
  made for them, so the mesh's own traces stay whole.
- ``OTEL_SERVICE_NAME`` (default ``factoryfinder-<service>``),
  ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER`` (default: follow the
  caller's decision, sample new traces), ``OTEL_BSP_*`` (batching).
- ``OTEL_PROPAGATORS`` (default here: ``tracecontext,baggage,b3multi``).
- ``OTEL_SDK_DISABLED=true``: nothing is recorded or exported.

Carrying the trace costs next to nothing; recording spans does not. When nothing is
exported, no gRPC interceptor is installed at all (an interceptor on a grpc.aio server or
channel costs ~0.1-0.15 ms of CPU per call even when its spans record nothing): the shared
server joins the caller's trace itself (:func:`join`) and the aggregator carries it on in
its calls' metadata (:func:`outgoing`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.instrumentation.grpc import (
    aio_client_interceptors,
    aio_server_interceptor,
    filters,
)
from opentelemetry.propagators.b3 import B3MultiFormat
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_NOT_TRACED = filters.negate(
    filters.any_of(
        filters.service_name("grpc.health.v1.Health"),
        filters.service_prefix("grpc.reflection."),
    )
)


# Set by configure(): spans are recorded and exported, so the OpenTelemetry interceptors are
# installed (they make the spans and carry the trace); otherwise join()/outgoing() carry it.
_recording = False


def exporting(environ: Mapping[str, str]) -> bool:
    """Spans are recorded and exported: an OTLP endpoint is set and the SDK is not disabled."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in _ENDPOINT_VARIABLES)


def configure(service: str, environ: Mapping[str, str] = os.environ) -> Callable[[], None]:
    """Set up this process's tracing; returns what flushes and stops it at shutdown."""
    global _recording
    if not environ.get("OTEL_PROPAGATORS", "").strip():
        propagate.set_global_textmap(
            CompositePropagator(
                [TraceContextTextMapPropagator(), W3CBaggagePropagator(), B3MultiFormat()]
            )
        )
    _recording = False
    if not exporting(environ):
        return lambda: None
    # Imported here: processes that export nothing never load the SDK and exporter.
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = (
        {} if environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: f"factoryfinder-{service}"}
    )
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _recording = True
    return provider.shutdown


def server_interceptors() -> list[Any]:
    """The interceptor that makes a server span per call, in the caller's trace (none when
    spans are not recorded: :func:`join` carries the trace then)."""
    if not _recording:
        return []
    return [aio_server_interceptor(filter_=_NOT_TRACED)]  # type: ignore[no-untyped-call]


def client_interceptors() -> Sequence[Any]:
    """Interceptors that make a client span per call and send the trace along (none when
    spans are not recorded: :func:`outgoing` carries the trace then)."""
    if not _recording:
        return []
    return list(aio_client_interceptors(filter_=_NOT_TRACED))  # type: ignore[no-untyped-call]


def join(metadata: Sequence[tuple[str, str | bytes]] | None) -> object | None:
    """Make the caller's trace (from a call's invocation metadata) the current one, when no
    server interceptor does; returns the token for :func:`leave` (None: nothing to undo)."""
    if _recording or not metadata:
        return None
    carrier = {key: value for key, value in metadata if isinstance(value, str)}
    return otel_context.attach(propagate.extract(carrier))


def leave(token: object | None) -> None:
    """Undo :func:`join`."""
    if token is not None:
        otel_context.detach(token)  # type: ignore[arg-type]


def outgoing(metadata: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """``metadata`` plus the current trace's headers, when no client interceptor sends them."""
    if _recording:
        return tuple(metadata)
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return (*metadata, *carrier.items())


def current_ids() -> tuple[str, str] | None:
    """Trace and span id (hex) of the span in effect, for log lines; None outside any trace."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
