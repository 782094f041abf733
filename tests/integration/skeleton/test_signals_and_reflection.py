"""A real process drains on SIGTERM; reflection describes every public message."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator

import grpc
import pytest
from factoryfinder.v1 import search_pb2
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import Descriptor
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from services.aggregator.server import build
from services.aggregator.settings import AggregatorSettings
from shared.config import load
from shared.grpc_client import health_watch
from shared.grpc_server import RunningServer, start_server


async def test_sigterm_turns_health_not_serving_then_exits_cleanly() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli.main",
        "serve",
        "planning",
        env={**os.environ, "FF_PLANNING_PORT": "0", "FF_PLANNING_DRAIN_DELAY_SECONDS": "1"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
    address = re.search(r"listening on (\S+)", line)
    assert address, line
    async with grpc.aio.insecure_channel(address.group(1)) as channel:
        watch = health_watch(channel)(health_pb2.HealthCheckRequest())
        seen = [await watch.read()]
        process.send_signal(signal.SIGTERM)
        seen.append(await asyncio.wait_for(watch.read(), 10))
        watch.cancel()
    assert seen == [
        health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING),
        health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.NOT_SERVING),
    ]
    assert await asyncio.wait_for(process.wait(), 30) == 0


@pytest.fixture
async def aggregator() -> AsyncIterator[RunningServer]:
    # Downstream channels connect lazily, so placeholder addresses are enough here.
    settings = load(
        AggregatorSettings,
        {
            "FF_AGGREGATOR_PREPROCESS_ADDRESSES": "127.0.0.1:9",
            "FF_AGGREGATOR_GATEWAY_ADDRESSES": "127.0.0.1:9",
            "FF_AGGREGATOR_RANKING_ADDRESSES": "127.0.0.1:9",
            "FF_AGGREGATOR_PLANNING_ADDRESSES": "127.0.0.1:9",
        },
    )
    server = await start_server(await build(settings), settings)
    yield server
    await server.shutdown(grace=0)


def _public_messages() -> set[str]:
    names: set[str] = set()

    def walk(message: Descriptor, prefix: str) -> None:
        for nested in message.nested_types:
            names.add(f"{prefix}.{nested.name}")
            walk(nested, f"{prefix}.{nested.name}")

    for message in search_pb2.DESCRIPTOR.message_types_by_name.values():
        names.add(message.full_name)
        walk(message, message.full_name)
    return names


async def test_reflection_lists_services_and_describes_every_public_message(
    aggregator: RunningServer,
) -> None:
    async with grpc.aio.insecure_channel(aggregator.address) as channel:
        # Called by name: the stubs of grpcio-reflection type the stub for sync channels only.
        reflect = channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        requests = [reflection_pb2.ServerReflectionRequest(list_services="")]
        requests += [
            reflection_pb2.ServerReflectionRequest(file_containing_symbol=name)
            for name in sorted(_public_messages())
        ]
        replies = [r async for r in reflect(iter(requests), timeout=10)]
    services = {s.name for s in replies[0].list_services_response.service}
    assert services >= {
        "factoryfinder.v1.SearchService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    for name, reply in zip(sorted(_public_messages()), replies[1:], strict=True):
        assert reply.WhichOneof("message_response") == "file_descriptor_response", name
        files = [
            descriptor_pb2.FileDescriptorProto.FromString(raw)
            for raw in reply.file_descriptor_response.file_descriptor_proto
        ]
        described = {f"{f.package}.{m.name}" for f in files for m in f.message_type}
        assert name.rsplit(".", 1)[0] in described or name in described, name
