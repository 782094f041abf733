"""The shared server: health during drain, message size limits, errors, metrics, request ids."""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2

from shared.config import ServerSettings, load
from shared.errors import Code, FieldViolation, ServiceError
from shared.grpc_client import health_check
from shared.grpc_errors import status_of
from shared.grpc_server import PortInUseError, RunningServer, ServiceSpec, start_server

SERVICE = "test.v1.EchoService"
_identity = (lambda b: b, lambda b: b)


async def _echo(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    if request == b"fail":
        raise ServiceError(
            Code.INVALID_ARGUMENT,
            "INVALID_REQUEST",
            "bad echo",
            field_violations=[FieldViolation("payload", "must not be 'fail'")],
        )
    if request == b"crash":
        raise ZeroDivisionError("boom")
    if request == b"domain":
        raise LookupError("no such echo")
    if request.startswith(b"sleep"):
        await asyncio.sleep(float(request[5:]))
    return len(request).to_bytes(8, "big")


async def _named(
    request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext[bytes, bytes]
) -> bytes:
    return request.service.encode()


async def _count(
    requests: AsyncIterator[health_pb2.HealthCheckRequest],
    context: grpc.aio.ServicerContext[bytes, bytes],
) -> bytes:
    return str(len([r.service async for r in requests])).encode()


def _register(server: grpc.aio.Server) -> None:
    handler = grpc.unary_unary_rpc_method_handler(
        _echo, request_deserializer=_identity[0], response_serializer=_identity[1]
    )
    # Methods whose requests are a real message (a string field), to send them bad bytes.
    parse = health_pb2.HealthCheckRequest.FromString
    named: grpc.RpcMethodHandler[Any, bytes] = grpc.unary_unary_rpc_method_handler(
        _named, request_deserializer=parse
    )
    count: grpc.RpcMethodHandler[Any, bytes] = grpc.stream_unary_rpc_method_handler(
        _count, request_deserializer=parse
    )
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                SERVICE, {"Echo": handler, "Named": named, "Count": count}
            ),
        )
    )


@pytest.fixture
async def running() -> AsyncIterator[RunningServer]:
    settings = load(ServerSettings, {}, metrics_port=0, drain_delay_seconds=0.3)
    server = await start_server(ServiceSpec("echo", [SERVICE], _register), settings)
    yield server
    await server.shutdown(grace=0)


def _not_found(exc: Exception) -> ServiceError | None:
    if isinstance(exc, LookupError):
        return ServiceError(Code.NOT_FOUND, "OFFER_NOT_FOUND", str(exc))
    return None


def _channel(server: RunningServer) -> grpc.aio.Channel:
    limit = 64 * 1024 * 1024
    return grpc.aio.insecure_channel(
        server.address,
        options=[
            ("grpc.max_send_message_length", limit),
            ("grpc.max_receive_message_length", limit),
        ],
    )


def _echo_stub(channel: grpc.aio.Channel) -> grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]:
    return channel.unary_unary(f"/{SERVICE}/Echo", _identity[1], _identity[0])


async def _health(channel: grpc.aio.Channel) -> int:
    reply = await health_check(channel)(health_pb2.HealthCheckRequest(service=SERVICE), timeout=2)
    return int(reply.status)


async def test_drain_turns_health_not_serving_while_in_flight_call_completes(
    running: RunningServer,
) -> None:
    async with _channel(running) as channel:
        assert await _health(channel) == health_pb2.HealthCheckResponse.SERVING
        in_flight = asyncio.ensure_future(_echo_stub(channel)(b"sleep1.0", timeout=10))
        await asyncio.sleep(0.2)
        drain = asyncio.create_task(running.shutdown(grace=5))
        await asyncio.sleep(0.1)
        assert await _health(channel) == health_pb2.HealthCheckResponse.NOT_SERVING
        assert await in_flight == (8).to_bytes(8, "big")
        await drain


async def test_20_mib_accepted_and_40_mib_refused(running: RunningServer) -> None:
    async with _channel(running) as channel:
        echo = _echo_stub(channel)
        reply = await echo(b"x" * (20 * 1024 * 1024), timeout=30)
        assert int.from_bytes(reply, "big") == 20 * 1024 * 1024
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await echo(b"x" * (40 * 1024 * 1024), timeout=30)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_service_error_becomes_rich_status(running: RunningServer) -> None:
    async with _channel(running) as channel:
        call = _echo_stub(channel)(b"fail", timeout=5)
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await call
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        status = status_of(failed.value)
        assert status is not None
        info, bad = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
        assert status.details[0].Unpack(info) and status.details[1].Unpack(bad)
        assert (info.reason, info.domain) == ("INVALID_REQUEST", "factoryfinder")
        assert bad.field_violations[0].field == "payload"


async def test_unexpected_exception_is_internal_with_request_id(running: RunningServer) -> None:
    async with _channel(running) as channel:
        call = _echo_stub(channel)(b"crash", timeout=5, metadata=(("x-request-id", "req-42"),))
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await call
        assert failed.value.code() == grpc.StatusCode.INTERNAL
        assert "req-42" in (failed.value.details() or "")
        assert ("x-request-id", "req-42") in tuple(await call.trailing_metadata())
        # The server survived: the next call works.
        assert await _echo_stub(channel)(b"ok", timeout=5) == (2).to_bytes(8, "big")


async def test_metrics_endpoint_shows_the_call_just_made(running: RunningServer) -> None:
    async with _channel(running) as channel:
        await _echo_stub(channel)(b"hello", timeout=5)
    url = f"http://127.0.0.1:{running.metrics_port}/metrics"
    body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read().decode())
    line = f'factoryfinder_rpc_total{{code="OK",method="/{SERVICE}/Echo",service="echo"}}'
    assert any(row.startswith(line) and float(row.split()[-1]) >= 1 for row in body.splitlines())


async def test_a_second_server_on_a_busy_port_is_refused_naming_it(
    running: RunningServer,
) -> None:
    # SO_REUSEPORT would let it bind beside the first and take half of its callers.
    settings = load(ServerSettings, {}, port=running.port, metrics_port=-1)
    with pytest.raises(PortInUseError) as refused:
        await start_server(ServiceSpec("echo", [SERVICE], _register), settings)
    assert f"127.0.0.1:{running.port}" in str(refused.value)
    assert "in use" in str(refused.value) and "FF_PORT" in str(refused.value)


async def test_the_error_mapping_hook_turns_domain_exceptions_into_statuses() -> None:
    settings = load(ServerSettings, {}, metrics_port=-1, drain_delay_seconds=0)
    spec = ServiceSpec("echo", [SERVICE], _register, map_error=_not_found)
    server = await start_server(spec, settings)
    try:
        async with _channel(server) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as failed:
                await _echo_stub(channel)(b"domain", timeout=5)
            assert failed.value.code() == grpc.StatusCode.NOT_FOUND
            status = status_of(failed.value)
            assert status is not None
            info = error_details_pb2.ErrorInfo()
            assert status.details[0].Unpack(info)
            assert info.reason == "OFFER_NOT_FOUND"
            # What the hook does not know stays INTERNAL.
            with pytest.raises(grpc.aio.AioRpcError) as crashed:
                await _echo_stub(channel)(b"crash", timeout=5)
            assert crashed.value.code() == grpc.StatusCode.INTERNAL
    finally:
        await server.shutdown(grace=0)


async def test_without_the_hook_a_domain_exception_is_internal(running: RunningServer) -> None:
    async with _channel(running) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await _echo_stub(channel)(b"domain", timeout=5)
        assert failed.value.code() == grpc.StatusCode.INTERNAL


# Field 1 (HealthCheckRequest.service, a string) holding bytes that are not UTF-8.
_BAD_UTF8 = b"\x0a\x02\xff\xfe"


async def test_a_request_that_does_not_parse_is_invalid_argument_not_a_logged_crash(
    running: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with _channel(running) as channel:
        named = channel.unary_unary(f"/{SERVICE}/Named", _identity[1], _identity[0])
        assert await named(b"\x0a\x02ok", timeout=5) == b"ok"
        count = channel.stream_unary(f"/{SERVICE}/Count", _identity[1], _identity[0])
        for call in (named(_BAD_UTF8, timeout=5), count(iter([b"", _BAD_UTF8]), timeout=5)):
            with pytest.raises(grpc.aio.AioRpcError) as failed:
                await call
            assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "UTF-8" in (failed.value.details() or "")
            status = status_of(failed.value)
            assert status is not None
            info = error_details_pb2.ErrorInfo()
            assert status.details[0].Unpack(info)
            assert info.reason == "INVALID_REQUEST"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
