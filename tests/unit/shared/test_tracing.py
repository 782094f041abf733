"""Tracing is configured by the standard OpenTelemetry variables."""

from __future__ import annotations

import pytest

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
