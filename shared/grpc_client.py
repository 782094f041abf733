"""The one way to open a channel to a factoryfinder service.

A service given as several ``host:port`` addresses is balanced round-robin
over all of them (``pick_first``, gRPC's default, would send everything to
one replica). Services whose calls are safe to repeat get a retry policy for
UNAVAILABLE in the service config; the gateway does not, because its calls
spend upstream quota and it retries the upstream itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import grpc
from grpc_health.v1 import health_pb2

from shared import tracing

DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024


def target_for(addresses: Sequence[str]) -> str:
    """``["10.0.0.1:5", "10.0.0.2:5"]`` → ``ipv4:10.0.0.1:5,10.0.0.2:5``; a single URI-style
    target (``dns:///preprocess:50051``) is used as it is."""
    if len(addresses) == 1 and ":///" in addresses[0]:
        return addresses[0]
    if any(":///" in address for address in addresses):
        raise ValueError("give either one URI-style target or host:port addresses")
    if all(address.split(":")[0].replace(".", "").isdigit() for address in addresses):
        return "ipv4:" + ",".join(addresses)
    if len(addresses) == 1:
        return f"dns:///{addresses[0]}"
    raise ValueError("several addresses must be IPv4 host:port (or use one dns:/// target)")


def service_config(service_name: str, retry_unavailable: bool) -> str:
    config: dict[str, Any] = {"loadBalancingConfig": [{"round_robin": {}}]}
    if retry_unavailable:
        config["methodConfig"] = [
            {
                "name": [{"service": service_name}],
                "retryPolicy": {
                    "maxAttempts": 3,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "0.5s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    return json.dumps(config)


def open_channel(
    addresses: Sequence[str],
    service_name: str,
    *,
    retry_unavailable: bool,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
) -> grpc.aio.Channel:
    """An insecure channel (the mesh provides mTLS) to one service, reused for every call.

    Every call on it is a client span that carries the current trace on (:mod:`shared.tracing`).
    """
    options = [
        ("grpc.service_config", service_config(service_name, retry_unavailable)),
        ("grpc.enable_retries", 1),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        # A request larger than the retry buffer (256 KiB by default) is never
        # retried: photos are bigger than that, so the buffer holds a whole message.
        ("grpc.per_rpc_retry_buffer_size", max_message_bytes),
    ]
    return grpc.aio.insecure_channel(
        target_for(addresses), options=options, interceptors=tracing.client_interceptors()
    )


# The standard health service's methods, typed: the stubs of grpcio-health-checking declare
# HealthStub without them.
def health_check(
    channel: grpc.aio.Channel,
) -> grpc.aio.UnaryUnaryMultiCallable[
    health_pb2.HealthCheckRequest, health_pb2.HealthCheckResponse
]:
    return channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )


def health_watch(
    channel: grpc.aio.Channel,
) -> grpc.aio.UnaryStreamMultiCallable[
    health_pb2.HealthCheckRequest, health_pb2.HealthCheckResponse
]:
    return channel.unary_stream(
        "/grpc.health.v1.Health/Watch",
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
