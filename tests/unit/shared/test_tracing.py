"""Tracing is configured by the standard OpenTelemetry variables."""

from __future__ import annotations

import pytest

from shared import tracing
from shared.tracing import current_ids, exporting


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4317"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "  "}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_SDK_DISABLED": "TRUE"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_SDK_DISABLED": "false"}, True),
    ],
)
def test_spans_are_exported_only_when_an_endpoint_is_set(
    environ: dict[str, str], expected: bool
) -> None:
    assert exporting(environ) is expected


def test_no_ids_outside_a_trace() -> None:
    assert current_ids() is None


def test_without_recording_a_call_joins_and_carries_on_the_callers_trace() -> None:
    trace_id, span_id = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    metadata = (("x-request-id", "r1"), ("traceparent", f"00-{trace_id}-{span_id}-01"))
    token = tracing.join(metadata)
    try:
        assert current_ids() == (trace_id, span_id)
        sent = dict(tracing.outgoing((("x-request-id", "r1"),)))
    finally:
        tracing.leave(token)
    assert sent["x-request-id"] == "r1"
    assert sent["traceparent"].split("-")[1] == trace_id
    assert current_ids() is None
    assert tracing.outgoing((("x-request-id", "r2"),)) == (("x-request-id", "r2"),)
