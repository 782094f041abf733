"""Prometheus metrics, exported on a separate HTTP port.

Every gRPC call is counted and timed by the shared server interceptor;
services add their own metrics next to their rules with the same registry.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Histogram, start_http_server

RPC_LATENCY = Histogram(
    "factoryfinder_rpc_duration_seconds",
    "Server-side latency of gRPC calls.",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RPC_TOTAL = Counter(
    "factoryfinder_rpc_total",
    "gRPC calls by final status code.",
    ["service", "method", "code"],
)


def start_exporter(host: str, port: int) -> int:
    """Serve /metrics on ``host:port`` (0 = any free port); returns the bound port."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    return int(server.server_port)
