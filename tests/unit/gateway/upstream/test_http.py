"""The upstream HTTP client against a real server on 127.0.0.1: replies, failures, pooling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.gateway.upstream.http import HttpFailure, Limits, UpstreamHttp
from tests.unit.gateway.local_http import DROP, Answer, LocalHttp, Stall, json_reply, text_reply

POOLED = Limits(max_connections=4, max_keepalive=2, keepalive_expiry_s=30)
BODY = b"a=1&b=%2B"


@pytest.fixture
async def server() -> AsyncIterator[LocalHttp]:
    running = LocalHttp(lambda request: json_reply({"form": request.form}))
    await running.start()
    yield running
    await running.stop()


async def post(http: UpstreamHttp, server: LocalHttp, read_s: float = 2.0) -> int:
    reply = await http.post(
        f"{server.url}/x",
        BODY,
        {"Content-Type": "application/x-www-form-urlencoded"},
        connect_s=1.0,
        read_s=read_s,
        total_s=3.0,
    )
    return reply.status


async def test_a_reply_is_its_status_and_bytes(server: LocalHttp) -> None:
    server.handler = lambda request: text_reply(f"{request.form}", 502)
    http = UpstreamHttp(POOLED)
    try:
        reply = await http.post(f"{server.url}/x", BODY, {}, connect_s=1.0, read_s=1.0, total_s=1.0)
    finally:
        await http.aclose()
    assert (reply.status, reply.content) == (502, b"{'a': '1', 'b': '+'}")


async def test_pooled_connections_are_reused_up_to_the_keepalive_limit(
    server: LocalHttp,
) -> None:
    http = UpstreamHttp(POOLED)
    try:
        await asyncio.gather(*(post(http, server) for _ in range(4)))
        assert len(server.peers) == 4
        # Only two were kept: two more calls at once need no new connection...
        await asyncio.gather(*(post(http, server) for _ in range(2)))
        assert len(server.peers) == 4
        # ...a third one does.
        await asyncio.gather(*(post(http, server) for _ in range(3)))
        assert len(server.peers) == 5
    finally:
        await http.aclose()


async def test_no_keepalive_means_a_connection_per_request(server: LocalHttp) -> None:
    http = UpstreamHttp(Limits(max_connections=4, max_keepalive=0, keepalive_expiry_s=30))
    try:
        for _ in range(3):
            assert await post(http, server) == 200
    finally:
        await http.aclose()
    assert len(server.peers) == 3


async def test_a_refused_connection_never_reached_the_upstream(server: LocalHttp) -> None:
    await server.stop()
    http = UpstreamHttp(POOLED)
    try:
        with pytest.raises(HttpFailure) as caught:
            await post(http, server)
    finally:
        await http.aclose()
    assert (caught.value.reached, caught.value.timed_out) == (False, False)


@pytest.mark.parametrize(
    ("answer", "timed_out"), [(Stall(2.0, json_reply({})), True), (DROP, False)]
)
async def test_a_slow_or_dropped_reply_may_have_reached_it(
    server: LocalHttp, answer: Answer, timed_out: bool
) -> None:
    server.handler = lambda request: answer
    http = UpstreamHttp(POOLED)
    try:
        with pytest.raises(HttpFailure) as caught:
            await post(http, server, read_s=0.2)
    finally:
        await http.aclose()
    assert (caught.value.reached, caught.value.timed_out) == (True, timed_out)
