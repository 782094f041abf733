"""A channel to a freshly started server, checked SERVING, stopped afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from grpc_health.v1 import health_pb2

from shared.grpc_client import health_check
from shared.grpc_server import RunningServer


@asynccontextmanager
async def serving_channel(
    running: RunningServer, service_name: str
) -> AsyncIterator[grpc.aio.Channel]:
    try:
        async with grpc.aio.insecure_channel(running.address) as channel:
            health = await health_check(channel)(
                health_pb2.HealthCheckRequest(service=service_name), timeout=5
            )
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            yield channel
    finally:
        await running.shutdown(grace=0)
