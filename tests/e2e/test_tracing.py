"""One search is one trace across every service, joined to the caller's trace.

With an OTLP endpoint set (the standard variable), each service exports its spans:
a stack is started against an OTLP collector played by this test, and the spans of
one search must form one tree under the caller's span. Without one, nothing is
exported but the trace still travels: every service's log lines carry the caller's
trace id (checked on the shared stack).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import ExitStack

import grpc
import pytest
from factoryfinder.v1 import common_pb2, search_pb2, search_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.trace.v1 import trace_pb2

from tests.e2e.photos import variant
from tests.e2e.stack import Stack, running_stack

SERVICES = ("aggregator", "preprocess", "gateway", "ranking")
SERVER = trace_pb2.Span.SPAN_KIND_SERVER
CLIENT = trace_pb2.Span.SPAN_KIND_CLIENT


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """An OTLP trace receiver that keeps every span with its service's name."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, trace_pb2.Span]] = []

    async def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: object
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        for resource_spans in request.resource_spans:
            names = [
                a.value.string_value
                for a in resource_spans.resource.attributes
                if a.key == "service.name"
            ]
            for scope_spans in resource_spans.scope_spans:
                self.spans.extend((names[0] if names else "", s) for s in scope_spans.spans)
        return trace_service_pb2.ExportTraceServiceResponse()

    def of_trace(self, trace_id: bytes) -> list[tuple[str, trace_pb2.Span]]:
        return [(service, span) for service, span in self.spans if span.trace_id == trace_id]


@pytest.fixture
async def collector() -> AsyncIterator[tuple[Collector, int]]:
    server = grpc.aio.server()
    receiver = Collector()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield receiver, port
    await server.stop(0)


def _caller_span() -> tuple[bytes, bytes, tuple[tuple[str, str], ...]]:
    trace_id, span_id = secrets.token_bytes(16), secrets.token_bytes(8)
    traceparent = f"00-{trace_id.hex()}-{span_id.hex()}-01"
    return trace_id, span_id, (("traceparent", traceparent),)


async def _search(stack: Stack, photo: bytes, metadata: tuple[tuple[str, str], ...]) -> None:
    request = search_pb2.SearchByImageRequest(
        photo=common_pb2.Photo(image_data=photo, role=common_pb2.PHOTO_ROLE_PRODUCT)
    )
    async with grpc.aio.insecure_channel(stack.target) as channel:
        reply = await search_pb2_grpc.SearchServiceStub(channel).SearchByImage(
            request, metadata=(*stack.metadata, *metadata), timeout=60
        )
    assert len(reply.offers) > 0


async def test_a_search_is_one_trace_under_the_callers_span(
    collector: tuple[Collector, int],
) -> None:
    receiver, port = collector
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    with ExitStack() as stacks:
        # Started off the event loop: the collector must keep answering meanwhile.
        stack = await asyncio.to_thread(stacks.enter_context, running_stack(env))
        trace_id, caller_span, metadata = _caller_span()
        await _search(stack, variant("phone_rotated.jpg", 901), metadata)
        for _ in range(200):  # spans arrive in batches, each service's on its own schedule
            serving = {service for service, s in receiver.of_trace(trace_id) if s.kind == SERVER}
            if all(f"factoryfinder-{name}" in serving for name in SERVICES):
                break
            await asyncio.sleep(0.05)
        logs = stack.logs()
    spans = receiver.of_trace(trace_id)
    by_service: dict[str, list[trace_pb2.Span]] = {}
    for service, span in spans:
        by_service.setdefault(service.removeprefix("factoryfinder-"), []).append(span)
    assert set(SERVICES) <= set(by_service), (sorted(by_service), logs)
    # The aggregator's server span hangs under the caller's span ...
    (entry,) = [s for s in by_service["aggregator"] if s.kind == SERVER]
    assert entry.name == "/factoryfinder.v1.SearchService/SearchByImage"
    assert entry.parent_span_id == caller_span
    # ... its calls to the other services under it ...
    calls = {s.span_id: s for s in by_service["aggregator"] if s.kind == CLIENT}
    assert calls and all(c.parent_span_id == entry.span_id for c in calls.values())
    # ... and each service's server span under the aggregator's call to it.
    for name in ("preprocess", "gateway", "ranking"):
        served = [s for s in by_service[name] if s.kind == SERVER]
        assert served, name
        for span in served:
            assert span.parent_span_id in calls, (name, span.name)
            assert calls[span.parent_span_id].name == span.name
    # The gateway's calls to 1688 are spans under its server span.
    gateway_entry = {s.span_id for s in by_service["gateway"] if s.kind == SERVER}
    upstream = {s.name: s for s in by_service["gateway"] if s.kind == CLIENT}
    assert "1688 product.search.imageQuery" in upstream, sorted(upstream)
    assert all(s.parent_span_id in gateway_entry for s in upstream.values())
    # Health checks are not traced.
    assert not any("grpc.health" in span.name for _, span in receiver.spans)
    assert f'"trace_id": "{trace_id.hex()}"' in logs


async def test_without_an_exporter_the_trace_still_reaches_every_service(stack: Stack) -> None:
    trace_id, _, metadata = _caller_span()
    await _search(stack, variant("phone_rotated.jpg", 902), metadata)
    traced = set()
    for path in stack.log_dir.glob("*.log"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{") and json.loads(line).get("trace_id") == trace_id.hex():
                traced.add(path.stem)
    assert set(SERVICES) <= traced, traced
